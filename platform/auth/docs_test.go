package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// accessDoc renders the policy table for people: docs/access.md.
func accessDoc(t *testing.T) string {
	var b strings.Builder
	b.WriteString("# Who may call what\n\n")
	b.WriteString("Generated from `platform/auth/policy.go` (`SANBAO_UPDATE_DEPLOY=1 go test ./platform/auth -run TestAccessDoc`);\n")
	b.WriteString("a test fails when it differs. A method not listed is denied to everyone; `grpc.health.v1` and\n")
	b.WriteString("server reflection are open. *own organisation*: a dealer's requests are narrowed to the `org`\n")
	b.WriteString("of its token and another organisation's records are NOT_FOUND; *own jobs*: a technician acts\n")
	b.WriteString("as the `technician_id` of its token and sees only jobs assigned to it; *own unit*: a customer\n")
	b.WriteString("(a token the ticket service mints on a verified one-time code) reaches only the `unit_serial`\n")
	b.WriteString("of its token and that unit's tickets, anything else is NOT_FOUND. Actor fields are set\n")
	b.WriteString("to the caller's `sub`. Personal data (customers' contact and address) is blanked for roles\n")
	b.WriteString("other than " + roleList(PersonalData) + ", and always for `integrator`.\n")
	service := ""
	for _, m := range apiMethods(t) {
		svc := m.full[1:strings.LastIndexByte(m.full, '/')]
		if svc != service {
			service = svc
			fmt.Fprintf(&b, "\n## %s\n\n| method | roles | actor fields | personal data |\n| --- | --- | --- | --- |\n", svc)
		}
		r, _ := Lookup(m.full)
		var roles []string
		for role, s := range r.Grants {
			if s == ScopeAll {
				roles = append(roles, "`"+string(role)+"`")
			} else if r.Handover {
				roles = append(roles, fmt.Sprintf("`%s` (%s; the answer shows the record handed over)", role, s))
			} else {
				roles = append(roles, fmt.Sprintf("`%s` (%s)", role, s))
			}
		}
		slices.Sort(roles)
		actor := strings.Join(r.Actor, ", ")
		pii := ""
		if r.Personal {
			pii = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", m.desc.Name(), strings.Join(roles, ", "), actor, pii)
	}
	return b.String()
}

func roleList(rs []Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = "`" + string(r) + "`"
	}
	return strings.Join(out, ", ")
}

// TestAccessDoc: docs/access.md is the policy table as it is.
func TestAccessDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "access.md")
	want := accessDoc(t)
	if os.Getenv("SANBAO_UPDATE_DEPLOY") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s differs from the policy table; regenerate it: SANBAO_UPDATE_DEPLOY=1 go test ./platform/auth -run TestAccessDoc", path)
	}
}
