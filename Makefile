# switchman: the two set-up commands are `make demo` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/switchman

.PHONY: all build test demo deps bench fuzz faults vet clean deb

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/switchman
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/switchman-shim ./cmd/switchman-shim
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/switchman-metrics ./cmd/switchman-metrics

# deps installs what the tests and the demo need on a fresh Debian machine:
# ZooKeeper (and Java) from Debian's packages.
deps:
	@bash scripts/install-zookeeper.sh

# test runs the whole suite, with the race detector, against real ZooKeeper
# servers it starts itself on 127.0.0.1.
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

# demo runs the main job end to end on a throwaway local ZooKeeper.
demo: deps
	$(GO) run ./examples/demo

# faults runs the full fault-injection suite against real ZooKeeper and
# writes the table to docs/RELIABILITY.md (issue 6).
faults: deps
	$(GO) run ./internal/faults -out docs/RELIABILITY.md

# bench measures the built binary against its floors (bare exec, flock,
# ZooKeeper's session timeout) on a private local ZooKeeper, prints the
# table and writes it to docs/BENCHMARKS.md (issue 7). A few minutes.
bench: deps build
	$(GO) run ./internal/bench -bin bin/switchman -out docs/BENCHMARKS.md

# fuzz runs every Fuzz target of the module for FUZZTIME each (one at a
# time: go test -fuzz takes a single target and package).
FUZZTIME ?= 10s
fuzz:
	@set -e; for pf in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs grep -H -o '^func Fuzz[A-Za-z0-9_]*' | sed 's/:func /:/'); do \
		dir=$$(dirname $${pf%%:*}); name=$${pf##*:}; \
		echo "fuzz $$dir $$name"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$dir; \
	done

# deb builds bin/switchman_VERSION-1_ARCH.deb with nfpm (internal/debpkg, a
# module of its own): the binary (PIE, as Debian hardens), man pages and
# shell completions generated from the command tree, /etc/switchman.yaml as
# a conffile, README and changelog.
deb:
	$(GO) build -trimpath -buildmode=pie -ldflags '$(LDFLAGS)' -o bin/deb/switchman ./cmd/switchman
	$(GO) build -trimpath -buildmode=pie -ldflags '$(LDFLAGS)' -o bin/deb/switchman-shim ./cmd/switchman-shim
	$(GO) build -trimpath -buildmode=pie -ldflags '$(LDFLAGS)' -o bin/deb/switchman-metrics ./cmd/switchman-metrics
	rm -rf bin/deb/docs
	$(GO) run -tags gendocs -ldflags '$(LDFLAGS)' ./cmd/switchman gen-docs bin/deb/docs
	cd internal/debpkg && $(GO) run . -binary ../../bin/deb/switchman -shim ../../bin/deb/switchman-shim -metrics ../../bin/deb/switchman-metrics -docs ../../bin/deb/docs \
		-root ../.. -out ../../bin -version '$(VERSION)'

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
