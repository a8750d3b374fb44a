# switchman: the two set-up commands are `make demo` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
BIN     := bin/switchman

.PHONY: all build test demo deps bench fuzz faults vet clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/switchman

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

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
