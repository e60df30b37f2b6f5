module github.com/sanbao/sanbao/services/dispatch

go 1.26.8

replace github.com/sanbao/sanbao/gen => ../../gen

replace github.com/sanbao/sanbao/platform => ../../platform

require (
	github.com/sanbao/sanbao/gen v0.0.0-00010101000000-000000000000
	github.com/sanbao/sanbao/platform v0.0.0-00010101000000-000000000000
	go.etcd.io/bbolt v1.5.0
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go v1.36.12-20260825204119-511051f7f437.2 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260819154853-08b0e4226688 // indirect
)
