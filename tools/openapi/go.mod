// Module openapi pins protoc-gen-openapiv2, which `make generate` builds into .bin/ to write
// docs/openapi/ from the protos' google.api.http annotations. It has its own module so that its
// dependencies never move the other generators' versions.
module github.com/sanbao/sanbao/tools/openapi

go 1.26.8

tool github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2

require (
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.33.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261026165753-2ffab32bce7e // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261019180522-ce908d29299b // indirect
	google.golang.org/grpc v1.84.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
