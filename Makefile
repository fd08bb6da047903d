# Sightline: two commands to know. `make run` and `make test` install what is missing first.
SHELL := /bin/bash
CARGO ?= cargo
BENCH_EVENTS ?= 1000000
# v2: trails stopped or deleted rarely, as in a real account.
# BENCH_SHAPE=bodies: records with describe/list bodies (3-10 KB each) instead of ~1.1 KB.
BENCH_SHAPE ?= plain
BENCH_DATA ?= target/bench-data-v2-$(BENCH_EVENTS)$(if $(filter bodies,$(BENCH_SHAPE)),-bodies)
# The case the bench builds and bench-ui opens: `make bench BENCH_EVENTS=10000000` and
# `make bench-ui BENCH_EVENTS=10000000` for ten million events (11 GB of data, ~1.2 GB gzipped).
BENCH_CASE ?= $(if $(filter 1000000-plain,$(BENCH_EVENTS)-$(BENCH_SHAPE)),target/bench-case,target/bench-case-$(BENCH_EVENTS)-$(BENCH_SHAPE))
# SigmaHQ's rules the bench imports with (beside Sightline's pack), when ../shared/sigma is there.
SIGMA_RULES ?= ../shared/sigma/rules
BENCH_RULES ?= $(SIGMA_RULES)/cloud $(SIGMA_RULES)/linux $(SIGMA_RULES)/windows
APP := target/debug/sightline-desktop
BINDINGS := ui/src/lib/bindings

.PHONY: run test setup setup-desktop ui app bindings check-bindings test-engine test-ui e2e bench bench-ui cli-demo fuzz

setup:
	@scripts/setup.sh

setup-desktop:
	@scripts/setup.sh desktop

## Build the UI and the desktop app, then open the window on the demo case.
run: app
	SIGHTLINE_OPEN_DEMO=1 $(APP)

## Every test: engine unit and integration tests, binding drift, UI unit tests, the real window.
test: test-engine check-bindings test-ui e2e

test-engine: setup
	$(CARGO) test --locked

ui: setup-desktop
	npm --prefix ui run build

app: ui
	$(CARGO) build --locked -p sightline-desktop --bin sightline-desktop
	$(CARGO) build --locked --bin sightline

## Regenerate the TypeScript types of the IPC from the Rust types.
bindings: ui
	$(CARGO) test --locked --features ts --lib export_bindings -q
	$(CARGO) test --locked -p sightline-desktop export_bindings -q

## Fails when the committed bindings differ from what the Rust types generate.
check-bindings: bindings
	@if [ -n "$$(git status --porcelain -- $(BINDINGS))" ]; then \
		echo "error: $(BINDINGS) is out of date with the Rust types; run 'make bindings' and commit:"; \
		git status --porcelain -- $(BINDINGS); git --no-pager diff --stat -- $(BINDINGS); exit 1; \
	fi
	@echo "bindings: up to date"

test-ui: setup-desktop
	npm --prefix ui run check
	npm --prefix ui test

## The real window under Xvfb, driven through WebDriver; screenshots go to target/e2e/.
e2e: app
	mkdir -p target/e2e
	xvfb-run -a -s "-screen 0 1400x900x24" node --test --test-concurrency=1 ui/e2e/

## The engine alone: import the demo bundle with the CLI and print a summary and a search.
cli-demo: setup
	$(CARGO) build --release --bin sightline
	rm -rf target/demo-case
	target/release/sightline import --case target/demo-case tests/fixtures/cloudtrail tests/fixtures/generic
	target/release/sightline stats --case target/demo-case
	target/release/sightline search --case target/demo-case --limit 10 'outcome:failure OR category:permission_change'

## Import and query benchmark over generated CloudTrail (1M events by default): imported without
## rules, then with Sightline's pack and SigmaHQ's rules; a detection run and the slowest rules.
bench: setup
	$(CARGO) build --release --bin sightline-bench
	@if [ ! -f $(BENCH_DATA)/.complete ]; then \
		rm -rf $(BENCH_DATA) && target/release/sightline-bench generate --out $(BENCH_DATA) --events $(BENCH_EVENTS) --shape $(BENCH_SHAPE) && touch $(BENCH_DATA)/.complete; \
	fi
	/usr/bin/env time -v target/release/sightline-bench run --data $(BENCH_DATA) --case $(BENCH_CASE) \
		$(foreach d,$(BENCH_RULES),$(if $(wildcard $(d)),--rules $(d))) 2> >(grep -E 'Maximum resident|Elapsed' >&2)
	rm -rf target/bench-follow-case target/bench-follow-case.logs
	target/release/sightline-bench follow --case target/bench-follow-case --rate 20000 --seconds 30

## The window on the 1M-event bench case: launch, query-to-screen and deep-scroll timings.
## Every parser under cargo fuzz for FUZZ_SECONDS each (default 600); not part of `make test`.
fuzz:
	scripts/fuzz.sh

bench-ui: app
	@test -f $(BENCH_CASE)/case.sqlite || $(MAKE) bench
	SIGHTLINE_CASE=$(BENCH_CASE) xvfb-run -a -s "-screen 0 1400x900x24" node ui/bench/window.mjs
