// Command protodeps writes the .proto sources that Sanbao's protos import but that buf cannot
// fetch here (the Buf Schema Registry is out of reach): buf/validate/validate.proto and the
// google.api.http annotations (google/api/annotations.proto, http.proto) are printed from the
// descriptors compiled into the pinned protovalidate and genproto Go modules, so generation
// needs only the Go module proxy. Usage: protodeps OUTDIR.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"github.com/jhump/protoreflect/v2/protoprint"
	_ "google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/reflect/protoregistry"
)

var files = []string{"buf/validate/validate.proto", "google/api/annotations.proto", "google/api/http.proto"}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: protodeps OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "protodeps:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	p := &protoprint.Printer{}
	for _, name := range files {
		fd, err := protoregistry.GlobalFiles.FindFileByPath(name)
		if err != nil {
			return fmt.Errorf("find %s: %w", name, err)
		}
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := p.PrintProtoFile(fd, f); err != nil {
			f.Close()
			return fmt.Errorf("print %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
