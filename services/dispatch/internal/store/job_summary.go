package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// summaryFields are the fields of a job summary: what planning a technician's day reads of a
// job they hold (its id, state, kind, site, product line, skills, level, priority, deadline,
// window, parts and appointment), and of its assignment only when it was made and the planned
// arrival; not its ranking, history, report or escalations. Their numbers come from the
// descriptors, so a renamed field fails at start rather than silently dropping out.
var summaryFields, summaryAssignment = func() (fieldSet, fieldSet) {
	num := func(md protoreflect.MessageDescriptor, name protoreflect.Name) protowire.Number {
		f := md.Fields().ByName(name)
		if f == nil {
			panic(fmt.Sprintf("dispatch store: %s has no field %s", md.FullName(), name))
		}
		return f.Number()
	}
	job := (&dispatchv1.Job{}).ProtoReflect().Descriptor()
	asg := (&dispatchv1.Assignment{}).ProtoReflect().Descriptor()
	var top, sub fieldSet
	for _, name := range []protoreflect.Name{"id", "state", "kind", "site", "product_line", "required_skills", "level",
		"priority", "arrive_by", "customer_window", "likely_parts", "appointment"} {
		top.add(num(job, name))
	}
	sub.add(num(asg, "planned_arrival_time"))
	sub.add(num(asg, "assigned_time"))
	return top, sub
}()

// fieldSet is a set of field numbers below 128 (a lookup per field of every job read).
type fieldSet [2]uint64

func (s *fieldSet) add(n protowire.Number) {
	if n >= 128 {
		panic(fmt.Sprintf("dispatch store: summary field number %d too large", n))
	}
	s[n/64] |= 1 << (n % 64)
}

func (s *fieldSet) has(n protowire.Number) bool { return n < 128 && s[n/64]&(1<<(n%64)) != 0 }

var assignmentField = (&dispatchv1.Job{}).ProtoReflect().Descriptor().Fields().ByName("assignment").Number()

// summarise copies from a stored job's encoding only the fields of a summary (see
// summaryFields), appending to dst: decoding that is a fraction of decoding the whole job,
// whose assignment carries a ranking of ten candidates and whose history grows with every
// visit. Of the assignment it keeps the fields of summaryAssignment.
func summarise(dst, v []byte) ([]byte, error) {
	var asg []byte
	for len(v) > 0 {
		num, typ, field, err := nextField(v)
		if err != nil {
			return nil, err
		}
		switch {
		case summaryFields.has(num):
			dst = append(dst, field...)
		case num == assignmentField && typ == protowire.BytesType:
			_, _, tag := protowire.ConsumeTag(field)
			body, _ := protowire.ConsumeBytes(field[tag:])
			asg = asg[:0]
			for len(body) > 0 {
				an, _, af, err := nextField(body)
				if err != nil {
					return nil, err
				}
				if summaryAssignment.has(an) {
					asg = append(asg, af...)
				}
				body = body[len(af):]
			}
			dst = protowire.AppendTag(dst, num, protowire.BytesType)
			dst = protowire.AppendBytes(dst, asg)
		}
		v = v[len(field):]
	}
	return dst, nil
}

// nextField reads the first field of encoded message v: its number, wire type, and its whole
// encoding (tag and value).
func nextField(v []byte) (protowire.Number, protowire.Type, []byte, error) {
	num, typ, n := protowire.ConsumeTag(v)
	if n < 0 {
		return 0, 0, nil, protowire.ParseError(n)
	}
	m := protowire.ConsumeFieldValue(num, typ, v[n:])
	if m < 0 {
		return 0, 0, nil, protowire.ParseError(m)
	}
	return num, typ, v[:n+m], nil
}

// OpenJobSummariesOf calls fn for each open job technician holds, in creation order, with the
// job's summary: a Job holding only the fields of summaryFields (what planning their day
// reads) and, of its assignment, the assigned and planned arrival times.
func OpenJobSummariesOf(tx *bbolt.Tx, technician string, fn func(summary *dispatchv1.Job) error) error {
	idx, err := pstore.Bucket(tx, bucketOpenJobsByTech)
	if err != nil {
		return err
	}
	jobs, err := pstore.Bucket(tx, bucketJobs)
	if err != nil {
		return err
	}
	prefix := pstore.Prefix(technician)
	var buf []byte
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := k[len(prefix):]
		v := jobs.Get(id)
		if v == nil {
			continue
		}
		if buf, err = summarise(buf[:0], v); err != nil {
			return fmt.Errorf("summarise job %s: %w", id, err)
		}
		s := &dispatchv1.Job{}
		if err := proto.Unmarshal(buf, s); err != nil {
			return fmt.Errorf("decode job summary %s: %w", id, err)
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}
