package auth

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Where a scope's owner fields are looked for: the request or response message is level 0, a
// resource in it (ticket, unit, each item of a list) level 1, a part of a resource level 2.
var scopeFields = map[Scope]struct {
	names []protoreflect.Name
	level int
}{
	ScopeOrg:     {[]protoreflect.Name{"organisation_id", "dealer_id"}, 1},
	ScopeOwnJobs: {[]protoreflect.Name{"technician_id"}, 2},
	ScopeOwnUnit: {[]protoreflect.Name{"unit_serial"}, 1},
}

// value is the caller's value for a scope's owner fields.
func (c *Caller) value(s Scope) string {
	switch s {
	case ScopeOwnJobs:
		return c.TechnicianID
	case ScopeOwnUnit:
		return c.UnitSerial
	}
	return c.Org
}

// narrow forces a scoped caller's request onto its own data: every owner field of the scope
// that is empty is set to the caller's value; one naming someone else is PERMISSION_DENIED.
func narrow(m protoreflect.Message, s Scope, c *Caller) error {
	sf := scopeFields[s]
	want := c.value(s)
	if want == "" {
		return status.Errorf(codes.PermissionDenied, "the caller's token names no %s to scope this call to", sf.names[0])
	}
	var err error
	walk(m, sf.level, true, func(m protoreflect.Message, f protoreflect.FieldDescriptor) {
		if err != nil || !isOwner(f, sf.names) {
			return
		}
		switch got := m.Get(f).String(); got {
		case "":
			m.Set(f, protoreflect.ValueOfString(want))
		case want:
		default:
			if s == ScopeOwnUnit { // a customer learns nothing of other units, not even that they exist
				err = status.Error(codes.NotFound, "not found")
				return
			}
			err = status.Errorf(codes.PermissionDenied, "%s %q: this caller may only act on its own (%s)", f.Name(), got, s)
		}
	})
	return err
}

// owned reports whether every owner field the response names is the caller's; a response that
// names another's is answered NOT_FOUND, as if the record did not exist. selfScoped: the
// method's handler has checked the owner of what the response holds (ScopeOwnUnit).
func owned(m protoreflect.Message, s Scope, c *Caller, selfScoped bool) bool {
	switch s {
	case ScopeOwnJobs:
		return ownJobs(m, c.TechnicianID)
	case ScopeOwnUnit:
		return ownUnit(m, c.UnitSerial, selfScoped)
	}
	sf := scopeFields[s]
	want := c.value(s)
	ok := true
	walk(m, sf.level, false, func(m protoreflect.Message, f protoreflect.FieldDescriptor) {
		if isOwner(f, sf.names) {
			if got := m.Get(f).String(); got != "" && got != want {
				ok = false
			}
		}
	})
	return ok
}

// onTeam reports whether an assignment's member_ids name technician.
func onTeam(a protoreflect.Message, technician string) bool {
	if a == nil {
		return false
	}
	f := a.Descriptor().Fields().ByName("member_ids")
	if f == nil || !f.IsList() || f.Kind() != protoreflect.StringKind {
		return false
	}
	l := a.Get(f).List()
	for i := range l.Len() {
		if l.Get(i).String() == technician {
			return true
		}
	}
	return false
}

// ownJobs reports whether every job in a response (a resource at level 1, alone or listed) is
// assigned to technician: its technician_id, or its assignment's, or the technician is a member
// of the assignment's team (member_ids). Other technicians a job names
// (previous assignments, the van its parts came from, a ranking) do not make it someone else's.
func ownJobs(m protoreflect.Message, technician string) bool {
	names := scopeFields[ScopeOwnJobs].names
	ok := true
	check := func(res protoreflect.Message) {
		if onTeam(sub(res, "assignment"), technician) {
			return // a member of the job's team (seed 002: two or more engineers, one leads)
		}
		for _, r := range []protoreflect.Message{res, sub(res, "assignment")} {
			if r == nil {
				continue
			}
			if f := r.Descriptor().Fields().ByName(names[0]); f != nil && isOwner(f, names) {
				if got := r.Get(f).String(); got != "" && got != technician {
					ok = false
				}
			}
		}
	}
	eachMessage(m, check)
	return ok
}

// ownUnit reports whether a response is all about unit serial: the response's own unit_serial
// if it names one, and every resource in it (level 1, alone or listed) by its unit_serial or
// its unit's serial. A resource naming no unit is the customer's only when the handler scoped
// it (selfScoped: an attachment, by its ticket); else it is not (deny by default).
func ownUnit(m protoreflect.Message, serial string, selfScoped bool) bool {
	if serial == "" {
		return false
	}
	if f := m.Descriptor().Fields().ByName("unit_serial"); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
		if got := m.Get(f).String(); got != "" && got != serial {
			return false
		}
	}
	ok := true
	check := func(res protoreflect.Message) {
		if !strings.HasPrefix(string(res.Descriptor().FullName()), "sanbao.") {
			return // a timestamp, a duration: not a resource
		}
		fs := res.Descriptor().Fields()
		if f := fs.ByName("unit_serial"); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
			ok = ok && res.Get(f).String() == serial
			return
		}
		if u := fs.ByName("unit"); u != nil && u.Kind() == protoreflect.MessageKind && !u.IsList() && !u.IsMap() {
			if sf := u.Message().Fields().ByName("serial"); sf != nil && sf.Kind() == protoreflect.StringKind {
				ok = ok && res.Has(u) && res.Get(u).Message().Get(sf).String() == serial
				return
			}
		}
		ok = ok && selfScoped
	}
	eachMessage(m, check)
	return ok
}

// sub returns m's populated singular message field name, or nil.
func sub(m protoreflect.Message, name protoreflect.Name) protoreflect.Message {
	f := m.Descriptor().Fields().ByName(name)
	if f == nil || f.Kind() != protoreflect.MessageKind || f.IsList() || f.IsMap() || !m.Has(f) {
		return nil
	}
	return m.Get(f).Message()
}

func isOwner(f protoreflect.FieldDescriptor, names []protoreflect.Name) bool {
	if f.Kind() != protoreflect.StringKind || f.IsList() || f.IsMap() {
		return false
	}
	for _, n := range names {
		if f.Name() == n {
			return true
		}
	}
	return false
}

// walk calls fn for every field of m (all declared fields when all is set, else the populated
// ones) and descends into populated message fields down to level. It descends into list items
// only from the root (the resources of a List response); a list inside a resource is its
// history (a job's previous assignments), which names others by design.
func walk(m protoreflect.Message, level int, all bool, fn func(protoreflect.Message, protoreflect.FieldDescriptor)) {
	walkFrom(m, level, all, true, fn)
}

func walkFrom(m protoreflect.Message, level int, all, root bool, fn func(protoreflect.Message, protoreflect.FieldDescriptor)) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Kind() != protoreflect.MessageKind || f.IsMap() {
			if all || m.Has(f) {
				fn(m, f)
			}
			continue
		}
		if level == 0 || !m.Has(f) {
			continue
		}
		if f.IsList() {
			if !root {
				continue
			}
			l := m.Get(f).List()
			for j := range l.Len() {
				walkFrom(l.Get(j).Message(), level-1, all, false, fn)
			}
			continue
		}
		walkFrom(m.Mutable(f).Message(), level-1, all, false, fn)
	}
}

// setActor writes the caller's subject into the request's actor field (a dotted path of
// singular fields, e.g. "contact.handled_by"), whatever the caller put there.
func setActor(m protoreflect.Message, path, subject string) {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		f := m.Descriptor().Fields().ByName(protoreflect.Name(p))
		if f == nil || f.IsList() || f.IsMap() {
			return
		}
		if i == len(parts)-1 {
			if f.Kind() == protoreflect.StringKind {
				m.Set(f, protoreflect.ValueOfString(subject))
			}
			return
		}
		if f.Kind() != protoreflect.MessageKind {
			return
		}
		m = m.Mutable(f).Message()
	}
}

// Personal data in responses: contacts and addresses wherever they appear, and a customer's
// organisation name.
const (
	contactMessage  protoreflect.FullName = "sanbao.type.v1.Contact"
	addressMessage  protoreflect.FullName = "sanbao.type.v1.Address"
	customerOrgName protoreflect.Name     = "organisation_name"
)

// redact clears customers' personal data in m (down to 8 levels).
func redact(m protoreflect.Message) { redactLevel(m, 8) }

func redactLevel(m protoreflect.Message, level int) {
	d := m.Descriptor()
	switch d.FullName() {
	case contactMessage, addressMessage:
		clearAll(m)
		return
	}
	if d.Name() == "Customer" {
		if f := d.Fields().ByName(customerOrgName); f != nil {
			m.Clear(f)
		}
	}
	if level == 0 {
		return
	}
	eachMessage(m, func(sub protoreflect.Message) { redactLevel(sub, level-1) })
}

// eachMessage calls fn with every message m holds one level down: its populated message
// fields, and each element of its lists of messages (maps are not resources).
func eachMessage(m protoreflect.Message, fn func(protoreflect.Message)) {
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.Kind() != protoreflect.MessageKind || f.IsMap():
		case f.IsList():
			l := v.List()
			for j := range l.Len() {
				fn(l.Get(j).Message())
			}
		default:
			fn(v.Message())
		}
		return true
	})
}

func clearAll(m protoreflect.Message) {
	m.Range(func(f protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		m.Clear(f)
		return true
	})
}

// seesPersonalData reports whether the caller may read customers' personal data: it holds a
// role that needs it, and is not an integrator.
func seesPersonalData(c *Caller) bool {
	if c.Has(RoleIntegrator) {
		return false
	}
	for _, r := range PersonalData {
		if c.Has(r) {
			return true
		}
	}
	return false
}

// clone copies a response before the interceptor changes it (a handler may hand out a message
// it keeps).
func clone(m proto.Message) proto.Message { return proto.Clone(m) }
