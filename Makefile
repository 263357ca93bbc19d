# Kordon's build, test and benchmark entry points. Every target is also a
# plain command, written out below, so nothing here is magic.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: build run test test-deps check bench clean

# The kordon binary (cgo: SQLite).
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o kordon ./cmd/appliance

# Run the appliance on embedded defaults: ./kordon-data, a local key file,
# a self-signed certificate, https://127.0.0.1:8443.
run: build
	./kordon serve

# Install every test dependency (Debian packages, a Vault dev server built
# from the Go module proxy), then run every test with the race detector.
# Vault-backed tests fail rather than skip here. A short benchmark run
# comes first, so that every CI log carries the figures and their ratios
# and ends with the test results.
test: test-deps
	$(GO) vet ./...
	BENCHTIME=1s bash scripts/bench.sh
	KORDON_REQUIRE_VAULT=1 KORDON_REQUIRE_PEERS=1 $(GO) test -race -count=1 -timeout 30m ./...
	# Allocation guards skip under -race (it empties sync.Pools at random);
	# run them once without it.
	$(GO) test -count=1 -run 'NotAllocate' ./media/...

test-deps:
	bash scripts/test-deps.sh

# Static checks: vet and the dependency-direction test.
check:
	$(GO) vet ./...
	$(GO) test -count=1 -run 'TestDependencies' .

# Benchmarks with the reference figures and ratios (DESIGN.md §6).
bench: test-deps
	bash scripts/bench.sh

clean:
	rm -f kordon
