package e2e_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// subjectLiteral is an event subject written in Go source.
var subjectLiteral = regexp.MustCompile(`"(sanbao\.[a-z]+\.v1\.[a-z_]+\.[a-z_]+)"`)

// TestEverySubjectIsDocumented: every event subject the services name (publish or consume) is
// in docs/events.md and docs/asyncapi.yaml, which `make generate` writes from the protos.
func TestEverySubjectIsDocumented(t *testing.T) {
	root := repoRoot(t)
	md, err := os.ReadFile(filepath.Join(root, "docs", "events.md"))
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join(root, "docs", "asyncapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	err = filepath.WalkDir(filepath.Join(root, "services"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range subjectLiteral.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 40 {
		t.Fatalf("found %d subjects in services/, want the whole set", len(seen))
	}
	for subject, path := range seen {
		if !strings.Contains(string(md), "`"+subject+"`") {
			t.Errorf("%s (%s) is not in docs/events.md", subject, path)
		}
		if !strings.Contains(string(yaml), "address: "+subject+"\n") {
			t.Errorf("%s (%s) is not a channel of docs/asyncapi.yaml", subject, path)
		}
	}
}
