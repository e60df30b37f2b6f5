package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// validating checks every request against its protovalidate rules, and every Timestamp and
// Duration in it against what protojson (and so every event) can encode, before the handler
// sees it.
func validating(v protovalidate.Validator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if m, ok := req.(proto.Message); ok && !infrastructure(info.FullMethod) {
			if err := Validate(v, m); err != nil {
				return nil, err
			}
		}
		return h(ctx, req)
	}
}

// Validate checks m as the server checks a request: protovalidate rules, then well-formed
// Timestamps and Durations. It returns nil or an INVALID_ARGUMENT status with one field violation
// per broken rule (consumers of events use it too).
func Validate(v protovalidate.Validator, m proto.Message) error {
	if err := v.Validate(m); err != nil {
		return validationStatus(m, err)
	}
	if vs := wellKnown(m.ProtoReflect(), "", nil); len(vs) > 0 {
		return InvalidArgument(vs...)
	}
	return nil
}

func validationStatus(m proto.Message, err error) error {
	var verr *protovalidate.ValidationError
	if !errors.As(err, &verr) {
		return Internal(fmt.Errorf("validate request: %w", err))
	}
	vs := make([]Violation, 0, len(verr.Violations))
	for _, v := range verr.Violations {
		field := protovalidate.FieldPathString(v.Proto.GetField())
		if field == "" || strings.HasPrefix(v.Proto.GetRuleId(), "message.oneof") {
			if names := oneofFields(m, v); len(names) > 0 {
				// A message-level oneof rule names no field: name each of its fields, so the
				// caller sees which fields the rule is about.
				list := strings.Join(names, ", ")
				for _, n := range names {
					vs = append(vs, Violation{Field: joinPath(field, n), Rule: "message.oneof",
						Description: "is one of " + list + ": exactly one of " + list + " must be set",
						ZH:          "属于 " + strings.Join(names, "、") + "：其中必须且只能填写一项"})
				}
				continue
			}
		}
		if field == "" {
			field = string(m.ProtoReflect().Descriptor().Name())
		}
		en, zh := describe(v)
		rule := v.Proto.GetRuleId()
		if en == "is required" {
			rule = "required" // whichever rule says it (min_len 1, enum not_in [0])
		}
		vs = append(vs, Violation{Field: field, Description: en, ZH: zh, Rule: rule})
	}
	return InvalidArgument(vs...)
}

// oneofFields returns the fields of the message-level oneof rules of the message a violation is
// about (the request, or the message field the violation's path names).
func oneofFields(m proto.Message, v *protovalidate.Violation) []string {
	md := m.ProtoReflect().Descriptor()
	if fd := v.FieldDescriptor; fd != nil && fd.Message() != nil {
		md = fd.Message()
	}
	rules, ok := proto.GetExtension(md.Options(), validate.E_Message).(*validate.MessageRules)
	if !ok || rules == nil {
		return nil
	}
	var names []string
	for _, o := range rules.GetOneof() {
		names = append(names, o.GetFields()...)
	}
	return names
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Bounds of what protojson encodes (RFC 3339 years 1 to 9999; ±10,000 years of duration).
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
	maxDurationSeconds  = 315576000000
)

// wellKnown returns a violation for every Timestamp or Duration under m that protojson cannot
// encode (nanos out of range, years outside 1..9999, mixed signs): accepted, they would fail
// later, when an event carrying them is encoded.
func wellKnown(m protoreflect.Message, path string, vs []Violation) []Violation {
	switch m.Descriptor().FullName() {
	case "google.protobuf.Timestamp":
		fs := m.Descriptor().Fields()
		sec, nanos := m.Get(fs.ByName("seconds")).Int(), m.Get(fs.ByName("nanos")).Int()
		if sec < minTimestampSeconds || sec > maxTimestampSeconds || nanos < 0 || nanos > 999999999 {
			vs = append(vs, Violation{Field: path, Rule: "timestamp.valid",
				Description: fmt.Sprintf("is not a valid timestamp (seconds %d, nanos %d): years 1 to 9999, nanos 0 to 999999999", sec, nanos),
				ZH:          fmt.Sprintf("不是有效的时间（seconds %d，nanos %d）：年份须在 1 到 9999 之间", sec, nanos)})
		}
		return vs
	case "google.protobuf.Duration":
		fs := m.Descriptor().Fields()
		sec, nanos := m.Get(fs.ByName("seconds")).Int(), m.Get(fs.ByName("nanos")).Int()
		if sec < -maxDurationSeconds || sec > maxDurationSeconds || nanos <= -1e9 || nanos >= 1e9 || (sec > 0 && nanos < 0) || (sec < 0 && nanos > 0) {
			vs = append(vs, Violation{Field: path, Rule: "duration.valid",
				Description: fmt.Sprintf("is not a valid duration (seconds %d, nanos %d): at most 10,000 years, seconds and nanos of one sign", sec, nanos),
				ZH:          fmt.Sprintf("不是有效的时长（seconds %d，nanos %d）：最长一万年，seconds 与 nanos 符号须一致", sec, nanos)})
		}
		return vs
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		name := joinPath(path, fd.TextName())
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				vs = wellKnown(l.Get(i).Message(), fmt.Sprintf("%s[%d]", name, i), vs)
			}
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					vs = wellKnown(mv.Message(), fmt.Sprintf("%s[%q]", name, k.String()), vs)
					return true
				})
			}
		default:
			vs = wellKnown(v.Message(), name, vs)
		}
		return true
	})
	return vs
}
