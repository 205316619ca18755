# RPL's development tasks. Everything is plain `go` underneath; nothing here
# must run before `go build ./...` or `go test ./...` work.

GO       ?= go
FUZZTIME ?= 20s
# A new input is minimized for at most this long. Go's default, 60s, stalls
# a target whose inputs take milliseconds (FuzzParse runs the reference
# parser on each): 45s of FuzzParse from its seeds found 3 new inputs with
# the default and 70 with 2s.
FUZZMINIMIZE ?= 2s

.PHONY: all test bench fuzz lint build

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

# gofmt must have nothing to say; vet must pass.
lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
