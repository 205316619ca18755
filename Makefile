# RPL's development tasks. Everything is plain `go` underneath; nothing here
# must run before `go build ./...` or `go test ./...` work.

GO       ?= go
FUZZTIME ?= 20s
# A new input is minimized for at most this long. Go's default, 60s, stalls
# a target whose inputs take milliseconds (FuzzParse runs the reference
# parser on each): 45s of FuzzParse from its seeds found 3 new inputs with
# the default and 70 with 2s.
FUZZMINIMIZE ?= 2s

.PHONY: all test bench fuzz lint build count

all: lint test

# The whole suite: vet first, then every test.
test:
	$(GO) vet ./...
	$(GO) test ./...

build:
	$(GO) build ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Every Fuzz* target of every package, FUZZTIME each, new inputs minimized
# for FUZZMINIMIZE. Targets are found with `go test -list`, so new ones are
# picked up without editing this file. A target that fails with "context
# deadline exceeded" and writes no failing input has hit a race in Go's
# fuzzing coordinator at the end of FUZZTIME (golang/go#75804, fixed in Go
# 1.27), not a bug: it is reported and the sweep goes on.
fuzz:
	@set -e; out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	for pkg in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $$pkg 2>&1 | tee $$out; \
	    if grep -q '^ok' $$out; then :; \
	    elif grep -q 'context deadline exceeded' $$out && ! grep -q 'Failing input written' $$out; then \
	      echo "== $$target: no failing input; Go's fuzzing coordinator missed its own deadline (golang/go#75804)"; \
	    else exit 1; fi; \
	  done; \
	done

# Instructions and cache misses per CP1 and v2 exchange, counted by
# callgrind's cache simulation (needs valgrind: apt-get install valgrind):
# figures that do not move with the machine, for a change whose effect on
# the clock is within its noise (docs/performance.md). Only
# Engine.HandleCP1 / HandleV2 are collected, in two runs of COUNTN and
# 2×COUNTN exchanges whose difference is COUNTN exchanges; GOGC=off keeps
# the collector's work out (allocations are -benchmem's), and
# GODEBUG=asyncpreemptoff=1 spares callgrind Go's preemption signals, on
# which it aborts; cpu.rdtscp=off keeps Go's runtime from the RDTSCP
# instruction, which valgrind 3.19 (Debian 12's) does not know (SIGILL).
COUNTN ?= 5000
count:
	@set -e; t=$$(mktemp -d); trap 'rm -rf $$t' EXIT; \
	$(GO) test -c -o $$t/rt.test ./runtime; \
	for kind in CP1 V2; do \
	  for n in $(COUNTN) $$((2 * $(COUNTN))); do \
	    (cd runtime && GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off valgrind --tool=callgrind --cache-sim=yes \
	      --toggle-collect="*Engine).Handle$$kind" --callgrind-out-file=$$t/out.$$n \
	      $$t/rt.test -test.run '^$$' -test.bench "^BenchmarkEngineDecide$$kind\$$" -test.benchtime $${n}x) >$$t/log 2>&1 \
	      || { cat $$t/log; exit 1; }; \
	  done; \
	  awk -v kind=$$kind -v n=$(COUNTN) '/^summary:/ { for (i = 2; i <= NF; i++) v[FILENAME, i] = $$i; f[++k] = FILENAME } \
	    END { \
	      printf "%s exchange: %d instructions, %d I1 misses, %d D1 misses (per exchange, %d counted)\n", kind, \
	        (v[f[2], 2] - v[f[1], 2]) / n, (v[f[2], 5] - v[f[1], 5]) / n, \
	        (v[f[2], 6] + v[f[2], 7] - v[f[1], 6] - v[f[1], 7]) / n, n }' $$t/out.$(COUNTN) $$t/out.$$((2 * $(COUNTN))); \
	done

# gofmt must have nothing to say; vet must pass.
lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
