package contract

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// widest is the character whose JSON encoding is longest among those the character-set rules
// allow (a 4-byte UTF-8 sequence, written as is by protojson).
const widest = "\U0001F6E0"

// Maximal fills m with the largest value its validation rules allow: every string at its
// max_len of 4-byte characters, every list at max_items, every map at max_pairs, every number
// at its widest. It returns the fields that have no bound (an unbounded string or list), whose
// size it cannot know.
func Maximal(m protoreflect.Message) (unbounded []string) {
	fill(m, string(m.Descriptor().FullName()), 0, &unbounded)
	return unbounded
}

// JSONSize is the size of m in protojson.
func JSONSize(m proto.Message) (int, error) {
	b, err := protojson.Marshal(m)
	return len(b), err
}

func rules(fd protoreflect.FieldDescriptor) *validate.FieldRules {
	r, _ := proto.GetExtension(fd.Options(), validate.E_Field).(*validate.FieldRules)
	return r
}

func fill(m protoreflect.Message, path string, depth int, unbounded *[]string) {
	if depth > 8 {
		return
	}
	switch m.Descriptor().FullName() {
	case "google.protobuf.Timestamp", "google.protobuf.Duration":
		fs := m.Descriptor().Fields()
		m.Set(fs.ByName("seconds"), protoreflect.ValueOfInt64(-315576000000/1000))
		m.Set(fs.ByName("nanos"), protoreflect.ValueOfInt32(-999999999/1000*1000+1))
		if m.Descriptor().FullName() == "google.protobuf.Timestamp" {
			m.Set(fs.ByName("seconds"), protoreflect.ValueOfInt64(7258118399))
			m.Set(fs.ByName("nanos"), protoreflect.ValueOfInt32(999999999))
		}
		return
	}
	fields := m.Descriptor().Fields()
	done := map[protoreflect.OneofDescriptor]bool{}
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			if done[od] {
				continue
			}
			done[od] = true
			fillOneof(m, od, path, depth, unbounded)
			continue
		}
		fillField(m, fd, path, depth, unbounded)
	}
}

// fillOneof sets the member of the oneof whose largest value is the largest.
func fillOneof(m protoreflect.Message, od protoreflect.OneofDescriptor, path string, depth int, unbounded *[]string) {
	best, bestSize := protoreflect.FieldDescriptor(nil), -1
	for i := 0; i < od.Fields().Len(); i++ {
		fd := od.Fields().Get(i)
		probe := m.New()
		var u []string
		fillField(probe, fd, path, depth, &u)
		*unbounded = append(*unbounded, u...)
		if n, _ := JSONSize(probe.Interface()); n > bestSize {
			best, bestSize = fd, n
		}
	}
	if best != nil {
		fillField(m, best, path, depth, new([]string))
	}
}

func fillField(m protoreflect.Message, fd protoreflect.FieldDescriptor, path string, depth int, unbounded *[]string) {
	fillValue(m, fd, path, depth, unbounded)
	if fd.Kind() == protoreflect.MessageKind && !fd.IsMap() {
		for p := range excluded(fd) {
			if fd.IsList() {
				l := m.Get(fd).List()
				for i := 0; i < l.Len(); i++ {
					clearPath(l.Get(i).Message(), p)
				}
				continue
			}
			clearPath(m.Get(fd).Message(), p)
		}
	}
}

// clearPath clears the field a snapshot-rule path names under m ("a", "a.b", "list[].b").
func clearPath(m protoreflect.Message, p string) {
	head, rest, _ := strings.Cut(p, ".")
	list := strings.HasSuffix(head, "[]")
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(strings.TrimSuffix(head, "[]")))
	if fd == nil || !m.Has(fd) {
		return
	}
	switch {
	case rest == "":
		m.Clear(fd)
	case list && fd.IsList():
		l := m.Get(fd).List()
		for i := 0; i < l.Len(); i++ {
			clearPath(l.Get(i).Message(), rest)
		}
	case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
		clearPath(m.Mutable(fd).Message(), rest)
	}
}

func fillValue(m protoreflect.Message, fd protoreflect.FieldDescriptor, path string, depth int, unbounded *[]string) {
	name := path + "." + string(fd.Name())
	r := rules(fd)
	switch {
	case fd.IsList():
		n := int(r.GetRepeated().GetMaxItems())
		if n == 0 {
			*unbounded = append(*unbounded, name+" (list without max_items)")
			n = 1
		}
		l := m.Mutable(fd).List()
		for i := 0; i < n; i++ {
			if fd.Kind() == protoreflect.MessageKind {
				e := l.NewElement()
				fill(e.Message(), name+"[]", depth+1, unbounded)
				l.Append(e)
				continue
			}
			l.Append(scalar(fd, r.GetRepeated().GetItems(), name+"[]", unbounded))
		}
	case fd.IsMap():
		n := int(r.GetMap().GetMaxPairs())
		if n == 0 {
			*unbounded = append(*unbounded, name+" (map without max_pairs)")
			n = 1
		}
		mp := m.Mutable(fd).Map()
		for i := 0; i < n; i++ {
			k := scalar(fd.MapKey(), r.GetMap().GetKeys(), name+"{key}", unbounded)
			if fd.MapKey().Kind() == protoreflect.StringKind {
				s := k.String()
				k = protoreflect.ValueOfString(fmt.Sprintf("%06d", i) + s[min(len(s), 6):])
			}
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v := mp.NewValue()
				fill(v.Message(), name+"{}", depth+1, unbounded)
				mp.Set(k.MapKey(), v)
				continue
			}
			mp.Set(k.MapKey(), scalar(fd.MapValue(), r.GetMap().GetValues(), name+"{}", unbounded))
		}
	case fd.Kind() == protoreflect.MessageKind:
		fill(m.Mutable(fd).Message(), name, depth+1, unbounded)
	default:
		m.Set(fd, scalar(fd, r, name, unbounded))
	}
}

func scalar(fd protoreflect.FieldDescriptor, r *validate.FieldRules, name string, unbounded *[]string) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		n := int(r.GetString().GetMaxLen())
		if l := r.GetString().GetLen(); l > 0 {
			n = int(l)
		}
		if n == 0 {
			if p := r.GetString().GetPattern(); p != "" && strings.HasSuffix(p, "{0,128}$") {
				return protoreflect.ValueOfString(strings.Repeat("x", 128))
			}
			if in := r.GetString().GetIn(); len(in) > 0 {
				return protoreflect.ValueOfString(longest(in))
			}
			*unbounded = append(*unbounded, name+" (string without max_len)")
			n = 1
		}
		if isID(r) {
			return protoreflect.ValueOfString(strings.Repeat("x", n))
		}
		return protoreflect.ValueOfString(strings.Repeat(widest, n))
	case protoreflect.BytesKind:
		n := int(r.GetBytes().GetMaxLen())
		if n == 0 {
			*unbounded = append(*unbounded, name+" (bytes without max_len)")
			n = 1
		}
		return protoreflect.ValueOfBytes(make([]byte, n))
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		best := vals.Get(0)
		for i := 0; i < vals.Len(); i++ {
			if len(vals.Get(i).Name()) > len(best.Name()) {
				best = vals.Get(i)
			}
		}
		return protoreflect.ValueOfEnum(best.Number())
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(math.MinInt32)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(math.MinInt64)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(math.MaxUint32)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(math.MaxUint64)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(-math.MaxFloat32)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(-math.SmallestNonzeroFloat64 * 3)
	}
	return protoreflect.Value{}
}

func longest(ss []string) string {
	out := ""
	for _, s := range ss {
		if len(s) > len(out) {
			out = s
		}
	}
	return out
}

// Estimate is an upper bound of the protojson size of the largest value of md that its
// validation rules allow, computed from the bounds without building it (a list of lists of
// messages can be too large to build when its bounds are not tight).
func Estimate(md protoreflect.MessageDescriptor) int {
	return estimate(md, 0)
}

func estimate(md protoreflect.MessageDescriptor, depth int) int {
	return estimateExcept(md, depth, nil)
}

// Snapshot rules: a field's CEL rule with id "sanbao.snapshot" is a conjunction of terms that
// keep parts of a message out of an event: !has(this.f), size(this.f) == 0, !has(this.f.g)
// and this.f.all(x, !has(x.g)). Estimate honours them; Maximal leaves those parts empty.
var (
	absentTerm = regexp.MustCompile(`!has\(this\.([a-z_.]+)\)`)
	emptyTerm  = regexp.MustCompile(`size\(this\.([a-z_]+)\) == 0`)
	allTerm    = regexp.MustCompile(`this\.([a-z_]+)\.all\((\w+), !has\((\w+)\.([a-z_]+)\)\)`)
)

// excluded returns the field paths (relative to the field's message) a snapshot rule keeps empty;
// a list's element paths are written "list[].field".
func excluded(fd protoreflect.FieldDescriptor) map[string]bool {
	out := map[string]bool{}
	for _, c := range rules(fd).GetCel() {
		if c.GetId() != "sanbao.snapshot" {
			continue
		}
		for _, m := range absentTerm.FindAllStringSubmatch(c.GetExpression(), -1) {
			out[m[1]] = true
		}
		for _, m := range emptyTerm.FindAllStringSubmatch(c.GetExpression(), -1) {
			out[m[1]] = true
		}
		for _, m := range allTerm.FindAllStringSubmatch(c.GetExpression(), -1) {
			out[m[1]+"[]."+m[4]] = true
		}
	}
	return out
}

// sub returns the exclusions under field name (for a list, under its elements).
func sub(ex map[string]bool, name string) map[string]bool {
	if len(ex) == 0 {
		return nil
	}
	out := map[string]bool{}
	for k := range ex {
		for _, p := range []string{name + ".", name + "[]."} {
			if strings.HasPrefix(k, p) {
				out[k[len(p):]] = true
			}
		}
	}
	return out
}

func estimateExcept(md protoreflect.MessageDescriptor, depth int, ex map[string]bool) int {
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return 34
	case "google.protobuf.Duration":
		return 26
	}
	if depth > 8 {
		return 0
	}
	total := 2
	oneofs := map[protoreflect.OneofDescriptor]int{}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if ex[string(fd.Name())] {
			continue
		}
		n := len(fd.JSONName()) + 4 + estimateField(fd, depth, sub(ex, string(fd.Name())))
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			oneofs[od] = max(oneofs[od], n)
			continue
		}
		total += n
	}
	for _, n := range oneofs {
		total += n
	}
	return total
}

func estimateField(fd protoreflect.FieldDescriptor, depth int, ex map[string]bool) int {
	r := rules(fd)
	for k := range excluded(fd) {
		if ex == nil {
			ex = map[string]bool{}
		}
		ex[k] = true
	}
	switch {
	case fd.IsList():
		n := max(int(r.GetRepeated().GetMaxItems()), 1)
		return 2 + n*(1+estimateValue(fd, r.GetRepeated().GetItems(), depth, ex))
	case fd.IsMap():
		n := max(int(r.GetMap().GetMaxPairs()), 1)
		return 2 + n*(2+estimateValue(fd.MapKey(), r.GetMap().GetKeys(), depth, nil)+estimateValue(fd.MapValue(), r.GetMap().GetValues(), depth, nil))
	}
	return estimateValue(fd, r, depth, ex)
}

func estimateValue(fd protoreflect.FieldDescriptor, r *validate.FieldRules, depth int, ex map[string]bool) int {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return estimateExcept(fd.Message(), depth+1, ex)
	case protoreflect.StringKind:
		n := max(int(r.GetString().GetMaxLen()), int(r.GetString().GetLen()))
		if n == 0 && strings.HasSuffix(r.GetString().GetPattern(), "{0,128}$") {
			return 130
		}
		if in := r.GetString().GetIn(); n == 0 && len(in) > 0 {
			return len(longest(in)) + 2
		}
		if isID(r) {
			return 2 + max(n, 1)
		}
		return 2 + max(n, 1)*len(widest)
	case protoreflect.BytesKind:
		return 2 + (max(int(r.GetBytes().GetMaxLen()), 1)+2)/3*4
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		n := 0
		for i := 0; i < vals.Len(); i++ {
			n = max(n, len(vals.Get(i).Name()))
		}
		return n + 2
	}
	return 26
}

// isID reports whether a string's rules name the id character set (printable ASCII that JSON
// never escapes: one byte a character).
func isID(r *validate.FieldRules) bool {
	sr := r.GetString()
	return sr != nil && proto.HasExtension(sr, typev1.E_Id) && proto.GetExtension(sr, typev1.E_Id).(bool)
}
