# Xenolith: `make help` lists the targets.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)

BIN := bin/xenolith

.PHONY: all xenolith guests hello test test-short fuzz bench deps clean help

all: xenolith guests ## build bin/xenolith and every guest image (build/guests/)

xenolith: ## build bin/xenolith
	$(GO) build -o $(BIN) ./cmd/xenolith

guests: ## build the guest library and guest images with gcc
	$(MAKE) -C guestlib

deps: ## install build and test dependencies (apt packages, Go modules)
	scripts/deps.sh

hello: deps all ## boot examples/hello.cfg
	$(BIN) run examples/hello.cfg

test: deps all ## run the whole test suite (needs /dev/kvm; XENOLITH_SKIP_KVM=1 skips KVM tests)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

FUZZTIME ?= 30s
fuzz: all ## run every fuzz target for FUZZTIME each (make fuzz FUZZTIME=2m)
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench: all ## run the benchmarks (boot time, exits) and print their figures
	$(GO) test -run XXX -bench . -benchtime 5x ./tests/

clean: ## remove build outputs
	rm -rf bin build

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'
