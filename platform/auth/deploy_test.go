package auth

import (
	"os"
	"path/filepath"
	"testing"
)

// DeployIntegrators are the integrators deploy/'s NATS configuration names (an example; see
// deploy/README.md, "Giving an integrator access").
var deployIntegrators = []string{"crm"}

const deployHeader = `# NATS users and permissions: generated from platform/auth (nats.go) by
#   SANBAO_UPDATE_DEPLOY=1 go test ./platform/auth -run TestDeployNATSAuthorization
# Do not edit by hand: the test fails when this file and the declared permissions differ.
`

// TestDeployNATSAuthorization: deploy/'s NATS configuration carries exactly the users and
// permissions declared beside the gRPC policy.
func TestDeployNATSAuthorization(t *testing.T) {
	want := deployHeader + NATSAuthorization(NATSUsers(DefaultTrustDomain, deployIntegrators...))
	for _, p := range []string{"base/nats", "overlays/dev", "overlays/production"} {
		path := filepath.Join("..", "..", "deploy", p, "authorization.conf")
		if os.Getenv("SANBAO_UPDATE_DEPLOY") != "" {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s differs from platform/auth's NATS users; regenerate it: SANBAO_UPDATE_DEPLOY=1 go test ./platform/auth -run TestDeployNATSAuthorization", path)
		}
	}
}
