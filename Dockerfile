# syntax=docker/dockerfile:1
#
# One image per Sanbao service, built from the Go workspace:
#   docker build --build-arg SERVICE=ticket -t ghcr.io/sanbao/ticket:VERSION .
# (`make images` builds all four, and the sanbao CLI image with --target sanbao). SERVICE is
# ticket, warranty, dispatch or inventory.
# The result is a static binary on distroless, running as the non-root user 65532, with no
# shell; configure it with SANBAO_* environment variables (deploy/README.md).

ARG GO_IMAGE=golang:1.26
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

# The sanbao CLI image (the web console's deployable: `sanbao console`), a target of its own so
# the service builds below never build it:
#   docker build --target sanbao -t ghcr.io/sanbao/sanbao:VERSION .
FROM ${GO_IMAGE} AS build-cli
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.work* ./
COPY cli/go.* cli/
COPY docs/examples/go.* docs/examples/
COPY gen/go.* gen/
COPY platform/go.* platform/
COPY services/dispatch/go.* services/dispatch/
COPY services/inventory/go.* services/inventory/
COPY services/ticket/go.* services/ticket/
COPY services/warranty/go.* services/warranty/
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY gen/ gen/
COPY platform/ platform/
COPY services/ services/
COPY cli/ cli/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -buildvcs=false -ldflags="-s -w" -o /out/sanbao ./cli/cmd/sanbao

FROM ${BASE_IMAGE} AS sanbao
LABEL org.opencontainers.image.title="sanbao" \
      org.opencontainers.image.description="Sanbao CLI and web console (sanbao console)" \
      org.opencontainers.image.source="https://github.com/sanbao/sanbao"
COPY --from=build-cli /out/sanbao /usr/local/bin/sanbao
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sanbao"]

FROM ${GO_IMAGE} AS build
ARG SERVICE
RUN case "${SERVICE}" in \
      ticket|warranty|dispatch|inventory) ;; \
      *) echo "build argument SERVICE must be ticket, warranty, dispatch or inventory, got '${SERVICE}'" >&2; exit 1 ;; \
    esac
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath

# Module files first, so the download layer is reused until a go.mod or go.sum changes.
# go.work names every module below; each needs its go.mod present (go.* also matches a
# missing go.sum without failing the COPY, as go.mod is always there).
COPY go.work* ./
COPY cli/go.* cli/
COPY docs/examples/go.* docs/examples/
COPY gen/go.* gen/
COPY platform/go.* platform/
COPY services/dispatch/go.* services/dispatch/
COPY services/inventory/go.* services/inventory/
COPY services/ticket/go.* services/ticket/
COPY services/warranty/go.* services/warranty/
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

# Then only the source this service builds from: the generated code, the platform and the
# service itself, so a change to another service does not rebuild this image.
COPY gen/ gen/
COPY platform/ platform/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -buildvcs=false -ldflags="-s -w" -o /out/sanbao-service ./services/${SERVICE}/cmd/${SERVICE}d

FROM ${BASE_IMAGE}
ARG SERVICE
LABEL org.opencontainers.image.title="${SERVICE}d" \
      org.opencontainers.image.description="Sanbao ${SERVICE} service" \
      org.opencontainers.image.source="https://github.com/sanbao/sanbao"
COPY --from=build /out/sanbao-service /usr/local/bin/sanbao-service
USER 65532:65532
# The exec form takes no build arguments, so every image's binary has the same path.
ENTRYPOINT ["/usr/local/bin/sanbao-service"]
