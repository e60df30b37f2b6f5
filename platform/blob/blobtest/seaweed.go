package blobtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/blob"
)

// WeedEnv names the environment variable that holds the path of a SeaweedFS `weed` binary
// (`make weed` builds the pinned version into .bin/weed).
const WeedEnv = "SANBAO_WEED_BIN"

// Seaweed starts a real SeaweedFS server (master, volume, filer, S3 gateway) on free loopback
// ports in a temporary directory, stopped when the test ends, and returns how to reach its
// S3 API. The test is skipped when SANBAO_WEED_BIN is not set (`make s3-test` sets it).
func Seaweed(t testing.TB, bucket string) blob.S3Config {
	t.Helper()
	bin := os.Getenv(WeedEnv)
	if bin == "" {
		t.Skipf("%s not set: run `make s3-test` (builds the pinned SeaweedFS into .bin/weed)", WeedEnv)
	}
	dir := t.TempDir()
	cfg := blob.S3Config{AccessKey: "sanbao-test", SecretKey: "sanbao-test-secret", Bucket: bucket}
	conf := filepath.Join(dir, "s3.json")
	identities := fmt.Sprintf(`{"identities":[{"name":"sanbao","credentials":[{"accessKey":%q,"secretKey":%q}],"actions":["Admin","Read","Write","List","Tagging"]}]}`,
		cfg.AccessKey, cfg.SecretKey)
	if err := os.WriteFile(conf, []byte(identities), 0o600); err != nil {
		t.Fatal(err)
	}
	p := freePorts(t, 8)
	port := func(i int) string { return strconv.Itoa(p[i]) }
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o750); err != nil {
		t.Fatal(err)
	}
	args := []string{"server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=" + data,
		"-master.port=" + port(0), "-master.port.grpc=" + port(1), "-master.telemetry=false",
		"-master.volumeSizeLimitMB=64", "-volume.max=4",
		"-volume.port=" + port(2), "-volume.port.grpc=" + port(3),
		"-filer", "-filer.port=" + port(4), "-filer.port.grpc=" + port(5),
		"-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
		"-s3", "-s3.port=" + port(6), "-s3.port.grpc=" + port(7), "-s3.config=" + conf,
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.localSocket=" + filepath.Join(dir, "s3.sock")}
	logf, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = logf, logf, dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("start weed: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil && len(b) > 0 {
				t.Logf("weed log (tail):\n%s", tail(b, 4000))
			}
		}
	})
	cfg.Endpoint = "127.0.0.1:" + port(6)
	// Ready when a bucket can be made and an object written (the volume server has joined).
	deadline := time.Now().Add(90 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		if cmd.ProcessState != nil {
			break
		}
		last = probe(cfg)
		if last == nil {
			return cfg
		}
		time.Sleep(200 * time.Millisecond) // polling a process that is starting, not async work under test
	}
	t.Fatalf("SeaweedFS S3 not ready at %s: %v", cfg.Endpoint, last)
	return cfg
}

func probe(cfg blob.S3Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := blob.OpenS3(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := s.Put(ctx, "probe", nil, 0); err != nil {
		return err
	}
	return s.Delete(ctx, "probe")
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
