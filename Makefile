# Tollgate build. Every tool is pinned and installed into .tools/ by `make tools`;
# a fresh machine needs only Go, gcc, node/npm and git.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

BUF_VERSION              := v1.75.0
PROTOC_GEN_GO_VERSION    := v1.36.12
PROTOC_GEN_GO_GRPC_VER   := v1.6.2
GRPC_GATEWAY_VERSION     := v2.33.0
# No tagged release after v0.6.0 carries the fix for nil oneof messages
# (vtprotobuf#137); gen/go.mod requires the same commit as the runtime.
VTPROTOBUF_VERSION       := v0.6.1-0.20250313105119-ba97887b0a25
GOOGLE_PROTO_FILES_VER   := 6.0.1

TOOLS    := $(CURDIR)/.tools
TOOLBIN  := $(TOOLS)/bin
BUF      := $(TOOLBIN)/buf
VTPROTO  := $(TOOLBIN)/protoc-gen-go-vtproto
BIN      := $(CURDIR)/bin
MODULES  := gen services/kit services/authz services/quota services/provideradapter services/telemetry services/router services/allinone e2e
SERVICE_MODULES := services/kit services/authz services/quota services/provideradapter services/telemetry services/router services/allinone
GOFLAGS_TEST ?=

export PATH := $(TOOLBIN):$(PATH)

.PHONY: tools generate check lint breaking drift vet fmt build run test test-unit test-e2e bench clean e2e-deps test-deps

## tools: install pinned buf, protoc plugins and googleapis protos into .tools/
tools: $(BUF) $(VTPROTO) $(TOOLS)/googleapis/google/api/httpbody.proto

$(BUF):
	mkdir -p $(TOOLBIN)
	GOBIN=$(TOOLBIN) GOWORK=off go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOBIN=$(TOOLBIN) GOWORK=off go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(TOOLBIN) GOWORK=off go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VER)
	GOBIN=$(TOOLBIN) GOWORK=off go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
	GOBIN=$(TOOLBIN) GOWORK=off go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)

# Its own target, so machines whose .tools/ predates it install it too.
$(VTPROTO):
	mkdir -p $(TOOLBIN)
	GOBIN=$(TOOLBIN) GOWORK=off go install github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto@$(VTPROTOBUF_VERSION)

# googleapis' http annotation protos come from the npm package google-proto-files
# (the buf.build registry is unreachable); only the three files we import are staged.
$(TOOLS)/googleapis/google/api/httpbody.proto:
	mkdir -p $(TOOLS)/npm $(TOOLS)/googleapis/google/api
	cd $(TOOLS)/npm && npm install --no-audit --no-fund --silent google-proto-files@$(GOOGLE_PROTO_FILES_VER) >/dev/null
	cp $(TOOLS)/npm/node_modules/google-proto-files/google/api/{annotations,http,httpbody}.proto $(TOOLS)/googleapis/google/api/

## generate: regenerate gen/ from proto/
generate: tools
	$(BUF) generate

## check: regenerate and fail on drift, lint, breaking-change check against main, go vet, GOWORK=off builds
check: drift lint breaking fmt vet

fmt:
	@out=$$(gofmt -l services e2e); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

drift: generate
	@if [ -n "$$(git status --porcelain -- gen)" ]; then \
		echo "gen/ is out of date with proto/: run 'make generate' and commit"; git status --short -- gen; exit 1; fi

lint: tools
	$(BUF) lint

# The googleapis protos are not in git, so the main side is built from a
# `git archive` of main with the staged googleapis copied beside it.
breaking: tools
	@if git rev-parse --verify -q main >/dev/null && git cat-file -e main:buf.yaml 2>/dev/null; then \
		tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		git archive main | tar -x -C "$$tmp"; mkdir -p "$$tmp/.tools"; cp -r $(TOOLS)/googleapis "$$tmp/.tools/"; \
		(cd "$$tmp" && $(BUF) build proto -o image.binpb); \
		$(BUF) breaking proto --against "$$tmp/image.binpb"; \
		echo "buf breaking: no breaking change against main"; \
	else echo "breaking: no main branch with buf.yaml to compare against; skipped"; fi

vet:
	for m in $(MODULES); do (cd $$m && go vet ./... && GOWORK=off go build ./...); done

## build: build every binary into bin/
build:
	mkdir -p $(BIN)
	go build -o $(BIN)/tollgate ./services/allinone/cmd/tollgate
	go build -o $(BIN)/tollgate-router ./services/router/cmd/tollgate-router
	go build -o $(BIN)/tollgate-authz ./services/authz/cmd/tollgate-authz
	go build -o $(BIN)/tollgate-quota ./services/quota/cmd/tollgate-quota
	go build -o $(BIN)/tollgate-provider-adapter ./services/provideradapter/cmd/tollgate-provider-adapter
	go build -o $(BIN)/tollgate-telemetry ./services/telemetry/cmd/tollgate-telemetry
	go build -o $(BIN)/tollgate-fake-upstream ./services/provideradapter/cmd/tollgate-fake-upstream

## run: the whole gateway in one process on 127.0.0.1:8080 with the embedded dev config
run:
	go run ./services/allinone/cmd/tollgate $(ARGS)

## test: unit, integration and e2e tests (installs the npm SDKs the e2e suite drives)
test: test-unit test-e2e

test-unit: test-deps
	for m in $(SERVICE_MODULES) gen; do (cd $$m && go test $(GOFLAGS_TEST) ./...); done

# Test-only readers and servers: chdb (an independent Delta reader, npm) and
# Debian's clickhouse-server (the hot store's integration tests).
CHDB_READER := services/telemetry/delta/testdata/chdb-reader
test-deps:
	@[ -d $(CHDB_READER)/node_modules/chdb ] || npm install --no-save --no-audit --no-fund --silent --prefix $(CHDB_READER) >/dev/null
	@if ! [ -x /usr/sbin/clickhouse-server ] && ! command -v clickhouse-server >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's clickhouse-server for the hot-store integration tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null; \
		else echo "clickhouse-server is not installed and apt-get needs root: its integration tests will skip"; fi; \
	fi

e2e-deps:
	cd e2e/node && npm ci --no-audit --no-fund --silent

test-e2e: build e2e-deps test-deps
	cd e2e && TOLLGATE_BIN=$(BIN) go test $(GOFLAGS_TEST) -count=1 -timeout 15m ./...

## bench: load-test direct upstream, all-in-one and the split mesh; prints the figures table
bench: build test-deps
	cd e2e && go run ./cmd/bench -bin $(BIN) $(BENCH_ARGS)
	@echo; echo "Telemetry: usage events loaded into ClickHouse (Debian's 18.16, batched; rows/s = events/s; target ≥ 50k/s):"
	cd services/telemetry && go test ./clickhouse -run '^$$' -bench 'LoaderThroughput' -benchtime 300000x | grep -E 'Benchmark' || true

clean:
	rm -rf $(BIN)
