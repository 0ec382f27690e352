# gqlauth developer commands. `make test` is the whole suite, as CI runs it.
GO ?= go
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export TEST_DATABASE_URL

.PHONY: run test pg-ready check generate vet fmt-check generate-check tidy-check build fuzz e2e bench image image-offline playground-assets docs

run:
	$(GO) run .

# -buildvcs=auto stamps the commit `gqlauth --version` prints, even where
# GOFLAGS turns VCS stamping off, and builds outside a checkout too.
build:
	$(GO) build -buildvcs=auto -o gqlauth .

# The whole suite: static checks, then every test with the race detector
# against a real PostgreSQL (required: an unreachable one fails the run).
test: pg-ready check
	REQUIRE_POSTGRES=1 $(GO) test -race -count=1 -timeout 20m ./...

# The PostgreSQL at TEST_DATABASE_URL answers, and has its database (created
# when missing); otherwise one line says what to set, before anything else runs.
PGPREPARE := $(or $(TMPDIR),/tmp)/gqlauth-pgprepare
pg-ready:
	@$(GO) build -o $(PGPREPARE) ./db/dbtest/pgprepare && $(PGPREPARE)

check: fmt-check vet tidy-check generate-check

# go.mod and go.sum must say exactly what the code imports.
tidy-check:
	@$(GO) mod tidy -diff || (echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit"; exit 1)

# Each fuzz target for a short while (CI runs this after the suite);
# FUZZTIME=5m make fuzz for a longer hunt. Seeds live in testdata/fuzz.
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParseToken$$' -fuzztime=$(FUZZTIME) ./auth
	$(GO) test -run='^$$' -fuzz='^FuzzGraphQLEndpoint$$' -fuzztime=$(FUZZTIME) .

# End-to-end tests with real JavaScript tooling (Node's test runner): the
# server, built from this tree, against Apollo's federation tools, jose,
# Apollo Client, and headless Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
# driving the example React app, built here first. Screenshots go to
# e2e/artifacts/.
e2e:
	cd examples/react-apollo && npm ci --no-audit --no-fund && npm run build
	cd e2e && npm ci --no-audit --no-fund && npm test

# The playground's React, ReactDOM and GraphiQL files, embedded in the
# binary, at the versions pinned in httpapi/playground/assets.json: each
# tarball is fetched with npm and must match the registry's published
# dist.integrity before any file is written; the files' SHA-384 go back
# into assets.json (checked when the server starts).
playground-assets:
	node httpapi/playground/refresh.mjs

vet:
	$(GO) vet ./...

# The Go files git tracks; outside a git checkout (a release tarball),
# every Go file but those under node_modules.
GO_FILES = $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path '*/node_modules/*')

fmt-check:
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

generate:
	$(GO) run github.com/99designs/gqlgen generate

# Fails when the committed generated code differs from what the schema gives:
# compared with git's index in a checkout, else with a copy taken first.
generate-check:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		$(GO) run github.com/99designs/gqlgen generate && \
		git diff --exit-code -- graph/ || { echo "generated code is stale: run 'make generate' and commit"; exit 1; }; \
	else \
		before=$$(mktemp -d) && cp -R graph "$$before/" && \
		$(GO) run github.com/99designs/gqlgen generate && \
		diff -ru "$$before/graph" graph; status=$$?; rm -rf "$$before"; \
		if [ $$status -ne 0 ]; then echo "generated code is stale: run 'make generate'"; exit 1; fi; \
	fi

# The end-to-end benchmark (issue #5): builds the server, seeds it, drives it
# over loopback and writes BENCHMARKS.md. SQLite in a temporary directory by
# default; DATABASE_URL=postgres://… make bench runs it in a schema of its
# own (gqlauth_bench, dropped afterwards). BENCH_SCALE=1 seeds a million
# users and revoked tokens; BENCH_DURATION sets the recorded time per
# scenario; BENCH_FLAGS passes anything else (go run ./bench -h).
BENCH_DURATION ?= 10s
BENCH_FLAGS ?=
bench:
	$(GO) run ./bench -duration=$(BENCH_DURATION) $(if $(filter 1,$(BENCH_SCALE)),-scale=1000000) $(BENCH_FLAGS)

# The container image (Containerfile): with a registry, `make image`; without
# one, `make image-offline` builds the binary here, hands it to the build in
# place of the Go stage, and checks the image (CI runs this).
image:
	podman build -t gqlauth .

image-offline:
	bash .ci/image-check

# The configuration reference, generated from the settings table (a test
# fails when docs/configuration.md is out of date).
docs:
	$(GO) run . config docs > docs/configuration.md
