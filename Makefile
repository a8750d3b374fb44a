# switchman: the two set-up commands are `make demo` and `make test`.
GO      ?= go
# VERSION grows with every commit: the last v* tag, the commits since it and
# the hash ("v1.2.0-3-gabc1234"); before any tag "v0.0.0-COUNT-gHASH". The
# package turns it into a Debian version (internal/debpkg).
VERSION ?= $(shell git describe --tags --long --dirty --match 'v[0-9]*' 2>/dev/null || \
	echo "v0.0.0-$$(git rev-list --count HEAD 2>/dev/null || echo 0)-g$$(git rev-parse --short HEAD 2>/dev/null || echo 0)")
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/switchman

.PHONY: all build test demo deps bench fleet fuzz faults soak vet clean deb

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/switchman
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/switchman-shim ./cmd/switchman-shim
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/switchman-metrics ./cmd/switchman-metrics
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/switchman-serve ./cmd/switchman-serve

# deps installs what the tests and the demo need on a fresh Debian machine:
# ZooKeeper (and Java) from Debian's packages, the package tests' tools
# (lintian, man-db, cron, logrotate, and systemd for systemd-analyze),
# Chromium for the dashboard's browser
# test, and the Debian parts of the original
# Perl switchman when ../shared/perl-switchman is beside the clone (the
# side-by-side tests build it from there).
deps:
	@bash scripts/install-zookeeper.sh
	@bash scripts/install-packaging-tools.sh
	@bash scripts/install-chromium.sh
	@bash scripts/install-original-deps.sh

# test runs the whole suite, with the race detector, against real ZooKeeper
# servers it starts itself on 127.0.0.1.
# A 3-minute soak (seed TESTSEED) runs in the background meanwhile, so that
# CI plays the fault mix on every submission without waiting for it; its
# hosts launch their jobs every 2 s instead of every second, to leave the
# suite its share of the machine. Its log is bin/soak-test.log, and its
# failure fails the target.
TESTSEED ?= 1
test: deps
	@mkdir -p bin; \
	$(GO) run ./internal/soak -seed $(TESTSEED) -duration 3m -tick 2s >bin/soak-test.log 2>&1 & soak=$$!; \
	st=0; \
	{ $(GO) vet ./... && $(GO) test -race -count=1 -timeout 30m ./... && \
	  $(GO) vet -tags soakclock ./internal/skewclock ./cmd/switchman && $(GO) test -count=1 -tags soakclock ./internal/skewclock && \
	  (cd internal/debpkg && $(GO) vet ./... && $(GO) test -count=1 ./...); } || st=1; \
	if ! wait $$soak; then st=1; grep -E '^(VIOLATION|soak:)' bin/soak-test.log | head -50; fi; \
	tail -n 1 bin/soak-test.log; exit $$st

# demo runs the main job end to end on a throwaway local ZooKeeper.
demo: deps
	$(GO) run ./examples/demo

# faults runs the full fault-injection suite against real ZooKeeper and
# writes the table to docs/RELIABILITY.md.
faults: deps
	$(GO) run ./internal/faults -out docs/RELIABILITY.md

# soak runs DURATION of randomized chaos (seed SEED: the same SEED and DURATION
# play the same fault schedule) on a real 3-server ensemble behind fault proxies,
# with six simulated hosts and one running the original Perl switchman,
# checks the whole history and writes its section of docs/RELIABILITY.md.
# The last line says "N violations (seed S)". The release run is
# make soak DURATION=1h.
SEED     ?= 1
DURATION ?= 3m
soak: deps
	$(GO) run ./internal/soak -seed $(SEED) -duration $(DURATION) -out docs/RELIABILITY.md

# bench measures the built binary against its floors (bare exec, flock,
# ZooKeeper's session timeout) on a private local ZooKeeper, prints the
# table and writes it to docs/BENCHMARKS.md. A few minutes.
bench: deps build
	$(GO) run ./internal/bench -bin bin/switchman -out docs/BENCHMARKS.md

# fleet fires simulated fleets (every host's every job at one instant, each
# run the wrapper's own code with its own session and host name) at real
# 3-node ensembles, with global sessions, local sessions and observers;
# checks the runs against the built binary; and writes the table and the
# capacity model to docs/SCALE.md; then the largest fleet spread by a 30 s
# --splay, and a burst at an ensemble refusing connections past 3 per
# server. Several minutes.
fleet: deps build
	$(GO) run ./internal/fleetsim -bin bin/switchman -observers 2 -repeat 2 -splay 30s -burst 20x10 -burst-cnxns 3 -out docs/SCALE.md

# fuzz runs every Fuzz target of the module for FUZZTIME each (one at a
# time: go test -fuzz takes a single target and package).
FUZZTIME ?= 10s
fuzz:
	@set -e; for pf in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs grep -H -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/:func /:/'); do \
		dir=$$(dirname $${pf%%:*}); name=$${pf##*:}; \
		echo "fuzz $$dir $$name"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$dir; \
	done

# deb builds DEBOUT/switchman_VERSION-1_ARCH.deb with nfpm (internal/debpkg, a
# module of its own): the binaries (PIE, as Debian hardens; dynamically
# linked against glibc, whose version the package's Depends names), man
# pages and shell completions generated from the command tree, the example
# config under /usr/share/doc, the maintainer scripts, README and changelog.
# -bindnow: full RELRO, as Debian's hardening wants.
DEBOUT   ?= bin
DEBBUILD := $(DEBOUT)/deb
DEBFLAGS := -trimpath -buildmode=pie -ldflags '$(LDFLAGS) -bindnow'
deb:
	$(GO) build $(DEBFLAGS) -o $(DEBBUILD)/switchman ./cmd/switchman
	$(GO) build $(DEBFLAGS) -o $(DEBBUILD)/switchman-shim ./cmd/switchman-shim
	$(GO) build $(DEBFLAGS) -o $(DEBBUILD)/switchman-metrics ./cmd/switchman-metrics
	$(GO) build $(DEBFLAGS) -o $(DEBBUILD)/switchman-serve ./cmd/switchman-serve
	rm -rf $(DEBBUILD)/docs
	$(GO) run -tags gendocs -ldflags '$(LDFLAGS)' ./cmd/switchman gen-docs $(DEBBUILD)/docs
	cd internal/debpkg && $(GO) run . -binary $(abspath $(DEBBUILD))/switchman -shim $(abspath $(DEBBUILD))/switchman-shim \
		-metrics $(abspath $(DEBBUILD))/switchman-metrics -serve $(abspath $(DEBBUILD))/switchman-serve \
		-docs $(abspath $(DEBBUILD))/docs \
		-root $(CURDIR) -out $(abspath $(DEBOUT)) -version '$(VERSION)'

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
