package auth

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sanbao/sanbao/platform/store"
)

// Stamp records on record m who makes the change running in tx: its updated_by field (when it
// has one) becomes the actor of the call, timer or event behind the transaction (Actor of
// store.Context(tx)), or "service:"+service for a service's own work; on a new record (created)
// its created_by too, whatever a request said. An update leaves created_by as stored. Store and
// api layers call it where records are put, so that every write path — calls, imports,
// consumers, timers — stamps the same way.
func Stamp(tx *bbolt.Tx, m proto.Message, service string, created bool) {
	who := Actor(store.Context(tx), "service:"+service)
	r := m.ProtoReflect()
	set := func(name protoreflect.Name) {
		fd := r.Descriptor().Fields().ByName(name)
		if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
			return
		}
		r.Set(fd, protoreflect.ValueOfString(who))
	}
	if created {
		set("created_by")
	}
	set("updated_by")
}
