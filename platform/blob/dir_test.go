package blob_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/platform/blob/blobtest"
)

func TestDir(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		d, err := blob.OpenDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// TestDirRemovesCrashLeftovers: a temporary file left by a crash mid-Put is removed on open
// and never listed.
func TestDirRemovesCrashLeftovers(t *testing.T) {
	root := t.TempDir()
	fan := filepath.Join(root, "objects", "ab")
	if err := os.MkdirAll(fan, 0o750); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(fan, ".tmp-xxab-123")
	if err := os.WriteFile(left, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.OpenDir(root); err != nil {
		t.Fatalf("OpenDir = %v", err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("leftover still there: %v", err)
	}
}

func TestValidKey(t *testing.T) {
	for k, want := range map[string]bool{"01JABC": true, "a.b-c_d": true, "": false, "..": false,
		"a/b": false, strings.Repeat("a", 200): true, strings.Repeat("a", 201): false} {
		if got := blob.ValidKey(k); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", k, got, want)
		}
	}
}
