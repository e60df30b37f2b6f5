package outbox

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// ticketOf returns the ticket an event belongs to when the caller did not say: the resource's
// id when the resource is a ticket ("tickets/<id>"), else the message's ticket_id field, or
// the ticket_id of a message it carries directly (a job snapshot's). "" when there is none.
func ticketOf(ev Event) string {
	if id, ok := strings.CutPrefix(ev.Resource, "tickets/"); ok && id != "" && !strings.Contains(id, "/") {
		return id
	}
	m := ev.Data.ProtoReflect()
	if id := ticketField(m); id != "" {
		return id
	}
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
			found = ticketField(v.Message())
		}
		return found == ""
	})
	return found
}

func ticketField(m protoreflect.Message) string {
	fd := m.Descriptor().Fields().ByName("ticket_id")
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return ""
	}
	return m.Get(fd).String()
}
