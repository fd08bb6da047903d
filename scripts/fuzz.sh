#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZ_SECONDS each, default 600), each with a corpus
# seeded from tests/fixtures and, when present, ../shared/datasets. Installs the nightly toolchain
# and cargo-fuzz when missing. Crashes land in fuzz/artifacts/<target>/; the executions per
# target are printed at the end and kept in target/fuzz-summary.txt. cargo fuzz builds the targets
# from this checkout: to keep editing while it runs, run it from a worktree
# (git worktree add ../fuzz-tree HEAD && ../fuzz-tree/scripts/fuzz.sh).
#
#   make fuzz                      every target, 10 minutes each
#   FUZZ_SECONDS=60 make fuzz      shorter
#   scripts/fuzz.sh query csv_framer   some targets only
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-600}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(json_framer csv_framer line_framer normalizers import_file evtx archive query)
fi

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

shared=../shared/datasets
seed() {
  # seed TARGET FIND-ARGS...: copies matching files (up to 1 MiB each) into the target's corpus.
  local target=$1; shift
  local dir="fuzz/corpus/$target"
  mkdir -p "$dir"
  for root in tests/fixtures "$shared"; do
    [ -d "$root" ] || continue
    find "$root" -type f -size -1024k "$@" -print0 | while IFS= read -r -d '' f; do
      cp -n "$f" "$dir/$(sha256sum "$f" | cut -c1-16)" 2>/dev/null || true
    done
  done
}
seed json_framer \( -name '*.json' -o -name '*.jsonl' -o -name '*.ndjson' \)
seed csv_framer \( -name '*.csv' -o -name '*.tsv' \)
seed line_framer \( -name '*.log' -o -name '*.txt' -o -name 'messages*' -o -name 'secure*' \)
seed normalizers \( -name '*.json' -o -name '*.jsonl' -o -name '*.log' \)
seed import_file \( -name '*.json' -o -name '*.jsonl' -o -name '*.csv' -o -name '*.log' -o -name '*.gz' -o -name '*.evtx' \)
seed evtx -name '*.evtx'
seed archive \( -name '*.zip' -o -name '*.tar' -o -name '*.tar.gz' -o -name '*.tgz' -o -name '*.gz' \)
mkdir -p fuzz/corpus/query
printf '%s' 'actor:alice AND outcome:failure' > fuzz/corpus/query/a
printf '%s' 'ip:(10.0.0.1 OR 10.0.0.2) -action:Get* "two words" raw.userIdentity.type:IAMUser' > fuzz/corpus/query/b
printf '%s' 'time:[2024-01-01 TO 2024-02-01} flag:* NOT (a OR b)' > fuzz/corpus/query/c

mkdir -p target
summary=target/fuzz-summary.txt
: > "$summary"
for target in "${targets[@]}"; do
  echo "== $target: ${seconds}s"
  log="target/fuzz-$target.log"
  status=0
  (cd fuzz && cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1) >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  corpus=$(ls "fuzz/corpus/$target" | wc -l)
  echo "$target: ${runs:-?} executions, corpus $corpus, exit $status" | tee -a "$summary"
  if [ "$status" -ne 0 ]; then
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
done
cat "$summary"
