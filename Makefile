# Sightline: two commands to know. `make run` and `make test` install what is missing first.
SHELL := /bin/bash
CARGO ?= cargo
DEMO_CASE ?= target/demo-case
BENCH_EVENTS ?= 1000000
BENCH_DATA ?= target/bench-data-$(BENCH_EVENTS)

.PHONY: run test setup build bench demo clean-demo

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --release --bin sightline

## Build, import the demo bundle that ships in tests/fixtures, print a summary and a search.
run: build clean-demo
	target/release/sightline import --case $(DEMO_CASE) tests/fixtures/cloudtrail tests/fixtures/generic
	target/release/sightline stats --case $(DEMO_CASE)
	target/release/sightline search --case $(DEMO_CASE) --limit 10 'outcome:failure OR category:permission_change'

clean-demo:
	@rm -rf $(DEMO_CASE)

## Every test: unit tests and the integration suite (tests/it).
test: setup
	$(CARGO) test --workspace --locked

## Import and query benchmark over generated CloudTrail (1M events by default).
bench: setup
	$(CARGO) build --release --bin sightline-bench
	@if [ ! -f $(BENCH_DATA)/.complete ]; then \
		rm -rf $(BENCH_DATA) && target/release/sightline-bench generate --out $(BENCH_DATA) --events $(BENCH_EVENTS) && touch $(BENCH_DATA)/.complete; \
	fi
	/usr/bin/env time -v target/release/sightline-bench run --data $(BENCH_DATA) --case target/bench-case 2> >(grep -E 'Maximum resident|Elapsed' >&2)
