# RPL's development tasks. Everything is plain `go` underneath; nothing here
# must run before `go build ./...` or `go test ./...` work.

GO       ?= go
FUZZTIME ?= 20s

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

# Every Fuzz* target of every package, FUZZTIME each. Targets are found with
# `go test -list`, so new ones are picked up without editing this file.
fuzz:
	@set -e; \
	for pkg in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# gofmt must have nothing to say; vet must pass.
lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
