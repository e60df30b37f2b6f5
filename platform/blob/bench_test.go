package blob_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/platform/blob/blobtest"
)

// BenchmarkDirPut measures the embedded store's Put (hash, write, fsync, rename, dir fsync) of
// a signature-, photo- and video-sized blob; MB/s is printed.
func BenchmarkDirPut(b *testing.B) {
	for _, size := range []int{64 << 10, 2 << 20, 20 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			d, err := blob.OpenDir(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			data := blobtest.Bytes(1, size)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := range b.N {
				if _, err := d.Put(context.Background(), fmt.Sprint("k", i%8), bytes.NewReader(data), 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
