package style_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/sanbao/sanbao/cli/internal/style"
)

func TestNoColourWhenNotATerminal(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]any{"buffer": &bytes.Buffer{}, "file": f} {
		s := style.For(w.(interface{ Write([]byte) (int, error) }))
		if got := s.Red("breached"); got != "breached" {
			t.Errorf("%s: Red() = %q, want no escapes", name, got)
		}
	}
}

func TestNoColourWithNO_COLOR(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	if style.Enabled(os.Stdout) {
		t.Error("Enabled(stdout) with NO_COLOR = true, want false")
	}
}
