// Package blobtest is the behaviour every blob.Store must have, as one test suite run against
// the embedded store and against a real S3-compatible server.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/sanbao/sanbao/platform/blob"
)

// Run runs the suite against the store open returns (a fresh, empty one per call).
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	t.Run("RoundTrip", func(t *testing.T) { roundTrip(t, open(t)) })
	t.Run("Replace", func(t *testing.T) { replace(t, open(t)) })
	t.Run("Limit", func(t *testing.T) { limit(t, open(t)) })
	t.Run("FailedReaderLeavesNothing", func(t *testing.T) { failedReader(t, open(t)) })
	t.Run("Missing", func(t *testing.T) { missing(t, open(t)) })
	t.Run("BadKeys", func(t *testing.T) { badKeys(t, open(t)) })
	t.Run("Large", func(t *testing.T) { large(t, open(t)) })
	t.Run("ListAndDelete", func(t *testing.T) { listAndDelete(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { concurrent(t, open(t)) })
}

// Bytes returns n deterministic pseudo-random bytes.
func Bytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func put(t *testing.T, s blob.Store, key string, b []byte) blob.Info {
	t.Helper()
	info, err := s.Put(context.Background(), key, bytes.NewReader(b), 0)
	if err != nil {
		t.Fatalf("Put(%s) = %v", key, err)
	}
	return info
}

func read(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s) = %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%s) read = %v", key, err)
	}
	if info.Size != int64(len(b)) {
		t.Errorf("Get(%s) size = %d, read %d", key, info.Size, len(b))
	}
	return b
}

func roundTrip(t *testing.T, s blob.Store) {
	b := Bytes(1, 1000)
	info := put(t, s, "01JATTACH0001", b)
	if info.Size != 1000 || info.SHA256 != sum(b) || info.Key != "01JATTACH0001" {
		t.Errorf("Put = %+v, want size 1000 sha %s", info, sum(b))
	}
	if got := read(t, s, "01JATTACH0001"); !bytes.Equal(got, b) {
		t.Errorf("Get = %d bytes differing from the %d put", len(got), len(b))
	}
	st, err := s.Stat(context.Background(), "01JATTACH0001")
	if err != nil || st.Size != 1000 {
		t.Errorf("Stat = %+v, %v; want size 1000", st, err)
	}
	empty := put(t, s, "empty", nil)
	if empty.Size != 0 || empty.SHA256 != sum(nil) {
		t.Errorf("Put(empty) = %+v", empty)
	}
}

func replace(t *testing.T, s blob.Store) {
	put(t, s, "k", []byte("first"))
	put(t, s, "k", []byte("second, longer"))
	if got := string(read(t, s, "k")); got != "second, longer" {
		t.Errorf("Get after replace = %q", got)
	}
}

func limit(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := Bytes(2, 4096)
	if _, err := s.Put(ctx, "exact", bytes.NewReader(b), 4096); err != nil {
		t.Fatalf("Put(limit = size) = %v", err)
	}
	_, err := s.Put(ctx, "over", bytes.NewReader(append(b, 1)), 4096)
	if !errors.Is(err, blob.ErrTooLarge) {
		t.Fatalf("Put(limit+1) = %v, want ErrTooLarge", err)
	}
	if _, err := s.Stat(ctx, "over"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(refused) = %v, want ErrNotFound", err)
	}
}

type failing struct {
	n int
}

var errBroken = errors.New("connection broken")

func (f *failing) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errBroken
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func failedReader(t *testing.T, s blob.Store) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "broken", &failing{n: 3000}, 0); err == nil {
		t.Fatal("Put(failing reader) = nil error")
	}
	if _, err := s.Stat(ctx, "broken"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(failed put) = %v, want ErrNotFound", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cctx, "cancelled", bytes.NewReader(Bytes(3, 100)), 0); err == nil {
		t.Error("Put(cancelled ctx) = nil error")
	}
	n := 0
	if err := s.List(ctx, func(blob.Info) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("List after failed puts = %d blobs, %v; want none", n, err)
	}
}

func missing(t *testing.T, s blob.Store) {
	ctx := context.Background()
	if _, _, err := s.Get(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "nope"); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
}

func badKeys(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, k := range []string{"", ".", "..", "../etc", "a/b", `a\b`, "a b", "é", string(make([]byte, 201))} {
		if _, err := s.Put(ctx, k, bytes.NewReader([]byte("x")), 0); !errors.Is(err, blob.ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", k, err)
		}
		if _, _, err := s.Get(ctx, k); !errors.Is(err, blob.ErrBadKey) {
			t.Errorf("Get(%q) = %v, want ErrBadKey", k, err)
		}
		if err := s.Delete(ctx, k); !errors.Is(err, blob.ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", k, err)
		}
	}
}

func large(t *testing.T, s blob.Store) {
	b := Bytes(4, 12<<20+17) // over one multipart part
	info, err := s.Put(context.Background(), "video", io.MultiReader(bytes.NewReader(b[:5]), bytes.NewReader(b[5:])), 50<<20)
	if err != nil {
		t.Fatalf("Put(12 MiB) = %v", err)
	}
	if info.Size != int64(len(b)) || info.SHA256 != sum(b) {
		t.Errorf("Put(12 MiB) = %+v, want size %d", info, len(b))
	}
	if got := read(t, s, "video"); sum(got) != sum(b) {
		t.Errorf("Get(12 MiB) differs")
	}
}

func listAndDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	var want []string
	for i := range 5 {
		k := fmt.Sprintf("k%02d", i)
		put(t, s, k, Bytes(uint64(i), 10+i))
		want = append(want, k)
	}
	var got []string
	if err := s.List(ctx, func(i blob.Info) error { got = append(got, i.Key); return nil }); err != nil {
		t.Fatalf("List = %v", err)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := s.List(ctx, func(blob.Info) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("List(fn fails) = %v, want its error", err)
	}
	if err := s.Delete(ctx, "k02"); err != nil {
		t.Fatalf("Delete = %v", err)
	}
	if _, _, err := s.Get(ctx, "k02"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get(deleted) = %v, want ErrNotFound", err)
	}
}

func concurrent(t *testing.T, s blob.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			b := Bytes(uint64(100+i), 64<<10)
			info, err := s.Put(context.Background(), fmt.Sprintf("c%d", i), bytes.NewReader(b), 0)
			if err == nil && info.SHA256 != sum(b) {
				err = fmt.Errorf("c%d: sha %s, want %s", i, info.SHA256, sum(b))
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range 8 {
		if got := read(t, s, fmt.Sprintf("c%d", i)); sum(got) != sum(Bytes(uint64(100+i), 64<<10)) {
			t.Errorf("c%d differs", i)
		}
	}
}
