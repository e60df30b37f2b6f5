# Sanbao: the two set-up commands are `make run` and `make test`. Everything beyond Go that
# they need is built from tools/ at pinned versions into .bin/.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/.bin
MODULES := cli docs/examples gen platform services/dispatch services/inventory services/ticket services/warranty
PKGS := $(addprefix ./,$(addsuffix /...,$(MODULES)))
TESTFLAGS ?= -race -count=1 -timeout 12m
OPENAPI_SERVICES := ticket warranty dispatch inventory
# buf template of one service's OpenAPI document (SERVICE is replaced by its name)
OPENAPI_TEMPLATE := {"version":"v2","managed":{"enabled":true,"override":[{"file_option":"go_package_prefix","value":"github.com/sanbao/sanbao/gen"}],"disable":[{"path":"buf/validate"},{"path":"google/api"}]},"plugins":[{"local":"$(BIN)/protoc-gen-openapiv2","out":"docs/openapi","opt":["allow_merge=true","merge_file_name=SERVICE","openapi_naming_strategy=simple"]}]}

IMAGE_PREFIX ?= ghcr.io/sanbao
CONTAINER_ENGINE ?= $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: chromium grpcurl weed s3-test run test chaos generate protodeps lint build bench bench-suite verify tools images fmt clean

## run: start the embedded NATS server, all four services and the web console (dev sign-in) in one process (data in ./data)
run:
	$(GO) run ./cli/cmd/sanbao run --data-dir $(or $(DATA_DIR),./data) --console-dev

## test: every test: unit, store, service, end-to-end, the console in headless Chromium and manifest validation
test: $(BIN)/nats-server chromium
	SANBAO_NATS_SERVER_BIN=$(BIN)/nats-server $(GO) test $(TESTFLAGS) $(PKGS)
	@if [ -d deploy ] && [ -f deploy/go.mod ]; then cd deploy && GOWORK=off $(GO) test -count=1 ./...; fi

## chromium: install Debian's chromium for the console's browser tests when it is missing
## (tools/chromium/install; under CI=true a browser that cannot be installed fails the run)
chromium:
	@tools/chromium/install

## s3-test: the content-store suite and the attachment API against a real SeaweedFS S3 gateway
## (Apache-2.0), built once at the pinned version into .bin/weed (slow the first time: 43 min of a
## loaded 2-core machine, ~10 CPU-min). Not in make test for that build's sake; .ci/run calls it.
SEAWEEDFS_VERSION := v0.0.0-20261109003541-7506e5f91cd6
s3-test: $(BIN)/weed $(BIN)/nats-server
	SANBAO_WEED_BIN=$(BIN)/weed SANBAO_NATS_SERVER_BIN=$(BIN)/nats-server $(GO) test $(TESTFLAGS) -run 'TestS3|TestAttachments' ./platform/blob/... ./services/ticket/

## weed: build the pinned SeaweedFS server into .bin/weed (go install refuses it: its go.mod has
## replace directives, so it is built inside its own module directory)
weed: $(BIN)/weed
$(BIN)/weed:
	@dir=$$(GOFLAGS=-mod=mod GOWORK=off $(GO) mod download -json github.com/seaweedfs/seaweedfs@$(SEAWEEDFS_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p'); \
	  test -n "$$dir" || { echo "seaweedfs $(SEAWEEDFS_VERSION): download failed"; exit 1; }; \
	  cd "$$dir" && GOWORK=off GOFLAGS=-mod=mod $(GO) build -o $(BIN)/weed ./weed

## chaos: the fault suite against separate processes and a nats-server on loopback (not in
## make test; about 10 minutes): SIGKILL cycles with bbolt check, NATS down 60s, SIGTERM,
## duplicate request ids, the full malformed sweep, poison events. Prints one summary table
## (also .build/chaos-summary.md); fails on any loss, duplicate, panic or INTERNAL.
## Knobs: SANBAO_CHAOS_KILLS (52), SANBAO_CHAOS_NATS_DOWN_SECONDS (60).
chaos: $(BIN)/nats-server
	mkdir -p .build && SANBAO_NATS_SERVER_BIN=$(BIN)/nats-server $(GO) test -tags chaos -run '^TestChaos$$' -count=1 -timeout 40m -v ./cli/e2e/ 2>&1 | tee .build/chaos.log | grep -v '^\s*logger.go' ; test $${PIPESTATUS[0]} -eq 0

## build: compile every binary into .bin/
build:
	$(GO) build -o $(BIN)/ ./cli/cmd/sanbao ./services/ticket/cmd/ticketd ./services/warranty/cmd/warrantyd ./services/dispatch/cmd/dispatchd ./services/inventory/cmd/inventoryd

## bench: the Go benchmarks of every module (figures go to stdout)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

## bench-suite: start the suite on loopback and print the event-backbone figures beside their ceilings
bench-suite:
	$(GO) run ./cli/cmd/sanbao bench suite $(BENCHFLAGS)

## generate: regenerate gen/ from proto/ with the pinned buf and plugins, and the OpenAPI
## documents of the services' HTTP/JSON faces (docs/openapi/<service>.swagger.json)
generate: tools protodeps
	cd $(CURDIR) && PATH=$(BIN):$$PATH $(BIN)/buf generate
	rm -rf docs/openapi
	for s in $(OPENAPI_SERVICES); do \
	  $(BIN)/buf generate --path proto/sanbao/$$s/v1 --template '$(subst SERVICE,'$$s',$(OPENAPI_TEMPLATE))' || exit 1; \
	done
	cd gen && $(GO) mod tidy
	$(BIN)/buf build -o .build/image.binpb
	$(BIN)/eventdoc .build/image.binpb docs

protodeps: $(BIN)/protodeps
	rm -rf .build/protodeps && $(BIN)/protodeps .build/protodeps

## lint: buf lint, go vet and gofmt
lint: tools protodeps
	$(BIN)/buf lint
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $(MODULES) tools)" || (gofmt -l $(MODULES) tools; exit 1)

## verify: fail when generation or go mod tidy would change the tree
verify: generate
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy) || exit 1; done
	git diff --exit-code -- gen docs $(addsuffix /go.mod,$(MODULES)) $(addsuffix /go.sum,$(MODULES))

tools: $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/protoc-gen-openapiv2 $(BIN)/protodeps $(BIN)/eventdoc

$(BIN)/buf: tools/buf/go.mod
	cd tools/buf && GOWORK=off $(GO) build -o $(BIN)/buf github.com/bufbuild/buf/cmd/buf
$(BIN)/protoc-gen-go: tools/go.mod
	cd tools && GOWORK=off $(GO) build -o $(BIN)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
$(BIN)/protoc-gen-go-grpc: tools/go.mod
	cd tools && GOWORK=off $(GO) build -o $(BIN)/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc
$(BIN)/protoc-gen-openapiv2: tools/openapi/go.mod
	cd tools/openapi && GOWORK=off $(GO) build -o $(BIN)/protoc-gen-openapiv2 github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2
$(BIN)/protodeps: tools/go.mod tools/protodeps/main.go
	cd tools && GOWORK=off $(GO) build -o $(BIN)/protodeps ./protodeps
$(BIN)/eventdoc: tools/go.mod $(wildcard tools/eventdoc/*.go)
	cd tools && GOWORK=off $(GO) build -o $(BIN)/eventdoc ./eventdoc
$(BIN)/nats-server: tools/go.mod
	cd tools && GOWORK=off $(GO) build -o $(BIN)/nats-server github.com/nats-io/nats-server/v2
## grpcurl: build the pinned grpcurl into .bin/ (for calling the services by hand)
grpcurl: $(BIN)/grpcurl
$(BIN)/grpcurl: tools/go.mod
	cd tools && GOWORK=off $(GO) build -o $(BIN)/grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl

## images: one container image per service, $(IMAGE_PREFIX)/<service>:$(VERSION), and the CLI/console image $(IMAGE_PREFIX)/sanbao (needs docker or podman)
images:
	@test -n "$(CONTAINER_ENGINE)" || { echo "make images: no container engine (docker or podman) here" >&2; exit 1; }
	@for s in ticket warranty dispatch inventory; do \
		echo "$(CONTAINER_ENGINE) build --build-arg SERVICE=$$s -t $(IMAGE_PREFIX)/$$s:$(VERSION) ."; \
		$(CONTAINER_ENGINE) build --build-arg SERVICE=$$s -t $(IMAGE_PREFIX)/$$s:$(VERSION) . || exit 1; \
	done
	$(CONTAINER_ENGINE) build --target sanbao -t $(IMAGE_PREFIX)/sanbao:$(VERSION) .

fmt:
	gofmt -w $(MODULES) tools

clean:
	rm -rf .bin .build
