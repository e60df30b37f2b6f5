package importer_test

import (
	"os"
	"testing"

	"github.com/sanbao/sanbao/cli/internal/importer"
)

func TestImportDoc(t *testing.T) {
	const path = "../../../docs/import.md"
	want := importer.Markdown()
	if os.Getenv("SANBAO_UPDATE_DEPLOY") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s differs from the importer's kinds; regenerate it: SANBAO_UPDATE_DEPLOY=1 go test ./cli/internal/importer -run TestImportDoc", path)
	}
}
