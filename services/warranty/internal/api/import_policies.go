package api

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/bulk"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// policyRow is a received row and the policy it builds (set by the check).
type policyRow struct {
	in  *warrantyv1.ImportPolicyRow
	pol domain.Policy
}

// ImportPolicies stores the policies of a file in one transaction, or none of them: each row
// a new policy, the next version of one, or unchanged.
func (s *Server) ImportPolicies(stream warrantyv1.WarrantyService_ImportPoliciesServer) error {
	var rows []*policyRow
	opts, err := bulk.Receive(stream.Recv, s.validator,
		func(m *warrantyv1.ImportPoliciesRequest) int { return len(m.GetRows()) },
		func(m *warrantyv1.ImportPoliciesRequest) {
			for _, r := range m.GetRows() {
				rows = append(rows, &policyRow{in: r})
			}
		})
	if err != nil {
		return err
	}
	// Each row as CreatePolicy would see it: its rules, not a second copy.
	seen := make(map[string]int32, len(rows))
	check := func(rep *bulk.Report, row *policyRow) (bool, error) {
		full, err := rowPolicy(row.in)
		if err == nil {
			err = rpc.Validate(s.validator, &warrantyv1.CreatePolicyRequest{Policy: full})
		}
		if err == nil {
			row.pol, err = s.policyFrom(full, "")
		}
		if err != nil {
			return false, rep.Reject(row.in.GetLine(), "", err)
		}
		shown, key, field := full.GetName(), "name "+full.GetName(), "policy.name"
		if full.GetId() != "" {
			shown, key, field = full.GetId(), "id "+full.GetId(), "policy.id"
		}
		if first, dup := seen[key]; dup {
			rep.Rejectf(row.in.GetLine(), field, "policy %s is also on line %d", shown, first)
			return false, nil
		}
		seen[key] = row.in.GetLine()
		return true, nil
	}
	ctx := stream.Context()
	now := s.p.Clock.Now()
	var byName map[string][]string
	var claimed map[string]int32
	rep, applied, err := bulk.Apply(ctx, s.p.DB, rows, opts, check, func(tx *bbolt.Tx, rep *bulk.Report, row *policyRow) error {
		if byName == nil {
			names, err := store.PolicyIDsByName(tx)
			if err != nil {
				return err
			}
			byName, claimed = names, map[string]int32{}
		}
		return s.importPolicy(tx, rep, row, byName, claimed, now)
	})
	if err != nil {
		return toStatus(err)
	}
	if applied {
		s.p.Log.Info("policies imported", zap.String("actor", auth.Actor(ctx, "")), zap.Int("rows", len(rows)))
	}
	return stream.SendAndClose(&warrantyv1.ImportPoliciesResponse{Report: rep})
}

// importPolicy stores one valid row in tx. Its policy is found by id, else by name (byName,
// kept up to date with the policies the import creates): none, a new policy (version 1); one
// whose latest version equals the row, unchanged; one that differs, its next version. Versions
// are never edited. claimed maps each policy a row found to that row's line: a second row that
// finds the same policy (one by id, one by name) is rejected.
func (s *Server) importPolicy(tx *bbolt.Tx, rep *bulk.Report, row *policyRow, byName map[string][]string,
	claimed map[string]int32, now time.Time) error {
	line := row.in.GetLine()
	p := row.pol
	id := row.in.GetPolicy().GetId()
	if id == "" {
		switch found := byName[p.Name]; len(found) {
		case 0:
		case 1:
			id = found[0]
		default:
			rep.Rejectf(line, "policy.name", "policies %s are all named %q; give the policy_id of the one to change", strings.Join(found, ", "), p.Name)
			return nil
		}
	}
	var latest *warrantyv1.Policy
	if id != "" {
		old, err := store.GetPolicy(tx, id, 0)
		switch {
		case errors.Is(err, store.ErrNotFound):
			rep.Rejectf(line, "policy.id", "policy %s is not known", id)
			return nil
		case err != nil:
			return err
		}
		latest = old
		if first, dup := claimed[id]; dup {
			rep.Rejectf(line, "policy.id", "policy %s is also on line %d", id, first)
			return nil
		}
		claimed[id] = line
	}
	if latest != nil && samePolicy(latest, policyOut(p)) {
		rep.Unchanged()
		return nil
	}
	p.CreateTime = now.UTC()
	if latest == nil {
		p.ID, p.Version = ids.NewAt(now), 1
		byName[p.Name] = append(byName[p.Name], p.ID)
	} else {
		p.ID, p.Version = id, int(latest.GetVersion())+1
	}
	out := policyOut(p)
	if err := store.PutPolicy(tx, out); err != nil {
		return fmt.Errorf("import policy %s: %w", p.ID, err)
	}
	if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectPolicyCreated, Resource: "policies/" + p.ID,
		Data: &warrantyv1.PolicyCreated{Policy: out}, Time: now}); err != nil {
		return err
	}
	if latest == nil {
		rep.Created()
	} else {
		rep.Updated()
	}
	return nil
}

// samePolicy reports whether a stored version and a row's policy set every clause alike: id,
// version, creation time and creator aside.
func samePolicy(stored, row *warrantyv1.Policy) bool {
	a, b := proto.Clone(stored).(*warrantyv1.Policy), proto.Clone(row).(*warrantyv1.Policy)
	for _, p := range []*warrantyv1.Policy{a, b} {
		p.Id, p.Version, p.CreateTime, p.CreatedBy = "", 0, nil, ""
	}
	return proto.Equal(a, b)
}

// rowFixed are the Policy fields a sheet row may not list in template_fields: set by the
// service, or by the row's template.
var rowFixed = map[string]bool{"version": true, "create_time": true, "created_by": true, "template": true}

// rowPolicy is the whole policy a row describes: with a template, the template's settings with
// the row's id, name and template_fields taken from the row (a listed field the row leaves
// unset is cleared); without, the row's policy. The error is a status naming the row's field.
func rowPolicy(in *warrantyv1.ImportPolicyRow) (*warrantyv1.Policy, error) {
	src := proto.Clone(in.GetPolicy()).(*warrantyv1.Policy)
	if src == nil || in.GetPolicy() == nil {
		src = &warrantyv1.Policy{}
	}
	if in.GetTemplate() == "" {
		if len(in.GetTemplateFields()) > 0 {
			return nil, rpc.FieldError("template", "is required: a row that sets single settings (template_fields) names the template it changes")
		}
		return src, nil
	}
	tp, ok := domain.TemplateByName(in.GetTemplate())
	if !ok {
		return nil, rpc.FieldError("template", "must be one of %s; got %q", strings.Join(templateNames(), ", "), in.GetTemplate())
	}
	base := tp.Policy
	base.Template = tp.Name
	out := policyOut(base)
	out.Id, out.Name = src.GetId(), src.GetName()
	for _, path := range in.GetTemplateFields() {
		if err := copyPath(out.ProtoReflect(), src.ProtoReflect(), path); err != nil {
			return nil, rpc.FieldError("template_fields", "%s", err)
		}
	}
	return out, nil
}

// copyPath sets the field at a dotted path of dst to src's (clearing it when src's is unset),
// creating dst's messages on the way. src is not used afterwards: its values are shared.
func copyPath(dst, src protoreflect.Message, path string) error {
	parts := strings.Split(path, ".")
	if rowFixed[parts[0]] {
		return fmt.Errorf("%s is not a setting a row may change", path)
	}
	for i, name := range parts {
		fd := dst.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return fmt.Errorf("%s is not a field of a policy", path)
		}
		if i == len(parts)-1 {
			if src.Has(fd) {
				dst.Set(fd, src.Get(fd))
			} else {
				dst.Clear(fd)
			}
			return nil
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return fmt.Errorf("%s: %s holds no fields", path, name)
		}
		dst, src = dst.Mutable(fd).Message(), src.Get(fd).Message()
	}
	return nil
}
