package importer

import (
	"fmt"

	"google.golang.org/grpc"

	"github.com/sanbao/sanbao/platform/rpc"
)

// Dial connects to the services that own the imports ("warranty", "dispatch", "inventory", …
// by name → gRPC address) for Handler, as the console serves the upload screen; close closes
// the connections. The caller's token goes with each call (Handler passes it on).
func Dial(addrs map[string]string, o rpc.ClientOptions) (Conns, func(), error) {
	o.PerRPC = nil
	conns := map[string]*grpc.ClientConn{}
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	for name, addr := range addrs {
		conn, err := rpc.Dial(addr, o)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("imports: dial %s: %w", name, err)
		}
		conns[name] = conn
	}
	return func(service string) grpc.ClientConnInterface {
		if c, ok := conns[service]; ok {
			return c
		}
		return nil
	}, closeAll, nil
}
