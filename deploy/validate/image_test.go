package validate_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfileCoversWorkspace: the image build copies every go.work module's go.mod (the Go
// workspace refuses to load without them), builds each service the overlays deploy, and runs
// as the non-root user the manifests expect; .dockerignore keeps what the build needs.
func TestDockerfileCoversWorkspace(t *testing.T) {
	work, err := os.ReadFile("../../go.work")
	if err != nil {
		t.Fatal(err)
	}
	df, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(df)
	use := regexp.MustCompile(`(?m)^\s*\./([^\s)]+)\s*$`).FindAllStringSubmatch(string(work), -1)
	if len(use) == 0 {
		t.Fatal("no modules found in go.work")
	}
	for _, m := range use {
		dir := m[1]
		if !strings.Contains(dockerfile, "COPY "+dir+"/go.* "+dir+"/\n") {
			t.Errorf("Dockerfile does not copy %s/go.* (go.work uses ./%s)", dir, dir)
		}
	}
	for _, svc := range services {
		if !strings.Contains(dockerfile, svc.name+"|") && !strings.Contains(dockerfile, "|"+svc.name+")") {
			t.Errorf("Dockerfile does not accept SERVICE=%s", svc.name)
		}
	}
	for _, want := range []string{
		"./services/${SERVICE}/cmd/${SERVICE}d",
		"CGO_ENABLED=0",
		"gcr.io/distroless/static-debian12:nonroot",
		"USER 65532:65532",
		"ENTRYPOINT [",
	} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(ignore), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "/")
		for _, needed := range []string{"go.work", "gen", "platform", "services"} {
			if line == needed || line == needed+"/" || line == "*" {
				t.Errorf(".dockerignore excludes %s, which the image builds from", needed)
			}
		}
	}
}
