package api

import (
	"context"
	"testing"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
)

// TestReach: who may reach a ticket's attachments, by role and scope: technicians only the
// tickets with a job of theirs (and, for a job's attachment, that job), dealers their
// organisation's, staff all; no caller is the service itself.
func TestReach(t *testing.T) {
	tk := &ticketv1.Ticket{Id: "T1", OrganisationId: "dealer-a", Jobs: []*ticketv1.Job{
		{Visit: 1, JobId: "J1", TechnicianId: "tech-1"},
		{Visit: 2, JobId: "J2", TechnicianId: "tech-2"},
	}}
	tech := func(id string) *auth.Caller {
		return &auth.Caller{Subject: "u-" + id, Kind: auth.KindPerson, Roles: []auth.Role{auth.RoleTechnician}, TechnicianID: id}
	}
	dealer := func(org string) *auth.Caller {
		return &auth.Caller{Subject: "u-" + org, Kind: auth.KindPerson, Roles: []auth.Role{auth.RoleDealer}, Org: org}
	}
	tests := []struct {
		name   string
		caller *auth.Caller
		method string
		job    string
		want   bool
	}{
		{"no caller", nil, methodDownload, "", true},
		{"desk", &auth.Caller{Subject: "d", Kind: auth.KindPerson, Roles: []auth.Role{auth.RoleServiceDesk}}, methodDownload, "J1", true},
		{"technician of a job, ticket attachment", tech("tech-1"), methodDownload, "", true},
		{"technician of the job", tech("tech-1"), methodDownload, "J1", true},
		{"technician of another job of the ticket", tech("tech-1"), methodDownload, "J2", false},
		{"technician with no job on the ticket", tech("tech-9"), methodDownload, "", false},
		{"technician upload to their job", tech("tech-2"), methodUpload, "J2", true},
		{"technician without an id", tech(""), methodDownload, "", false},
		{"own dealer", dealer("dealer-a"), methodDownload, "", true},
		{"other dealer", dealer("dealer-b"), methodDownload, "", false},
		{"dealer without an organisation", dealer(""), methodDownload, "", false},
		{"warehouse (no grant)", &auth.Caller{Subject: "w", Kind: auth.KindPerson, Roles: []auth.Role{auth.RoleWarehouse}}, methodDownload, "", false},
		{"integrator may read records", &auth.Caller{Subject: "i", Kind: auth.KindPerson, Roles: []auth.Role{auth.RoleIntegrator}}, methodGet, "", true},
		{"integrator may not download", &auth.Caller{Subject: "i", Kind: auth.KindPerson, Roles: []auth.Role{auth.RoleIntegrator}}, methodDownload, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.caller != nil {
				ctx = auth.NewContext(ctx, tc.caller)
			}
			if got := reach(ctx, tc.method, tk, tc.job); got != tc.want {
				t.Errorf("reach(%s, job %q) = %v, want %v", tc.method, tc.job, got, tc.want)
			}
		})
	}
	other := &ticketv1.Ticket{Id: "T2"} // a desk ticket of no organisation
	if reach(auth.NewContext(context.Background(), dealer("dealer-a")), methodDownload, other, "") {
		t.Error("a dealer reached a ticket of no organisation")
	}
}
