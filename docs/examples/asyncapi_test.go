package examples_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	_ "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// asyncAPIShape is the part of the AsyncAPI 3.0 document structure the catalogue relies on,
// as a JSON Schema: what a code generator or an AsyncAPI tool reads first.
const asyncAPIShape = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["asyncapi", "info", "channels", "operations", "components"],
  "properties": {
    "asyncapi": {"const": "3.0.0"},
    "info": {"type": "object", "required": ["title", "version"],
      "properties": {"title": {"type": "string", "minLength": 1}, "version": {"type": "string", "minLength": 1}, "description": {"type": "string"}}},
    "defaultContentType": {"const": "application/json"},
    "servers": {"type": "object", "additionalProperties": {"type": "object", "required": ["host", "protocol"]}},
    "channels": {"type": "object", "minProperties": 1, "additionalProperties": {
      "type": "object", "required": ["address", "messages"], "additionalProperties": false,
      "properties": {
        "address": {"type": "string", "pattern": "^sanbao\\.[a-z]+\\.v1\\.[a-z_]+\\.[a-z_]+$"},
        "messages": {"type": "object", "minProperties": 1, "additionalProperties": {"$ref": "#/$defs/ref"}}}}},
    "operations": {"type": "object", "additionalProperties": {
      "type": "object", "required": ["action", "channel"], "additionalProperties": false,
      "properties": {"action": {"enum": ["send", "receive"]}, "channel": {"$ref": "#/$defs/ref"}}}},
    "components": {"type": "object", "required": ["messages", "schemas", "messageTraits"],
      "properties": {
        "messages": {"type": "object", "additionalProperties": {
          "type": "object", "required": ["name", "payload", "traits"],
          "properties": {"name": {"type": "string"}, "summary": {"type": "string"}, "payload": {"$ref": "#/$defs/ref"},
            "traits": {"type": "array", "items": {"$ref": "#/$defs/ref"}}}}},
        "schemas": {"type": "object", "additionalProperties": {"type": "object"}},
        "messageTraits": {"type": "object"}}}
  },
  "$defs": {"ref": {"type": "object", "required": ["$ref"], "additionalProperties": false,
    "properties": {"$ref": {"type": "string", "pattern": "^#/"}}}}
}`

func load(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("asyncapi.yaml is not YAML: %v", err)
	}
	// Through JSON, so that numbers and maps are what a JSON Schema validator expects.
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	doc = nil
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// pointer resolves a local JSON pointer ("#/a/b") in doc.
func pointer(doc map[string]any, ref string) (any, bool) {
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TestAsyncAPIDocument validates the generated catalogue's structure with a JSON Schema check
// and resolves every $ref in it.
func TestAsyncAPIDocument(t *testing.T) {
	doc := load(t)
	c := jsonschema.NewCompiler()
	shape, err := jsonschema.UnmarshalJSON(strings.NewReader(asyncAPIShape))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("asyncapi-shape.json", shape); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("asyncapi-shape.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(any(doc)); err != nil {
		t.Errorf("asyncapi.yaml does not have the AsyncAPI 3.0 shape: %v", err)
	}
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "$ref" {
					if r, _ := e.(string); !func() bool { _, ok := pointer(doc, r); return ok }() {
						t.Errorf("%s: $ref %v resolves to nothing", where, e)
					}
					continue
				}
				walk(where+"/"+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s/%d", where, i), e)
			}
		}
	}
	walk("#", doc)
}

// TestPayloadSchemas compiles every payload schema (so each is a valid JSON Schema) and
// validates a fully populated instance of every event message, as protojson encodes it,
// against the schema of its ce-type: the schemas describe what is really published.
func TestPayloadSchemas(t *testing.T) {
	doc := load(t)
	// The document itself is the schema resource, so that "#/components/schemas/..." resolves.
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("asyncapi.json", any(doc)); err != nil {
		t.Fatal(err)
	}
	msgs, _ := pointer(doc, "#/components/messages")
	if len(msgs.(map[string]any)) < 50 {
		t.Fatalf("only %d messages", len(msgs.(map[string]any)))
	}
	for key, mv := range msgs.(map[string]any) {
		m := mv.(map[string]any)
		name, _ := m["name"].(string)
		ref, _ := m["payload"].(map[string]any)["$ref"].(string)
		if ref != "#/components/schemas/"+name {
			t.Errorf("message %s: payload %q is not the schema of its ce-type %s", key, ref, name)
			continue
		}
		sch, err := c.Compile("asyncapi.json" + ref)
		if err != nil {
			t.Errorf("message %s: schema does not compile: %v", key, err)
			continue
		}
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
		if err != nil {
			t.Errorf("message %s: ce-type %s is no generated message: %v", key, name, err)
			continue
		}
		for _, depth := range []int{0, 4} {
			msg := mt.New()
			fill(msg, depth)
			js, err := protojson.Marshal(msg.Interface())
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(js)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s (filled to depth %d) does not match its schema: %v\n%s", name, depth, err, js)
			}
		}
	}
}

// fill sets every field of m (the first of each oneof) to a non-zero value, messages to depth.
func fill(m protoreflect.Message, depth int) {
	switch m.Descriptor().FullName() {
	case "google.protobuf.Timestamp":
		m.Set(m.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(timestamppb.Now().GetSeconds()))
		return
	case "google.protobuf.Duration":
		d := durationpb.New(90 * 1e9)
		m.Set(m.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(d.GetSeconds()))
		m.Set(m.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(500))
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() && o.Fields().Get(0) != fd {
			continue
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind && depth == 0 {
				continue
			}
			mp := m.Mutable(fd).Map()
			v := mp.NewValue()
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				fill(v.Message(), depth-1)
			} else {
				v = scalar(fd.MapValue())
			}
			mp.Set(scalar(fd.MapKey()).MapKey(), v)
		case fd.IsList():
			if fd.Kind() == protoreflect.MessageKind && depth == 0 {
				continue
			}
			l := m.Mutable(fd).List()
			if fd.Kind() == protoreflect.MessageKind {
				v := l.NewElement()
				fill(v.Message(), depth-1)
				l.Append(v)
			} else {
				l.Append(scalar(fd))
			}
		case fd.Kind() == protoreflect.MessageKind:
			if depth == 0 {
				continue
			}
			fill(m.Mutable(fd).Message(), depth-1)
		default:
			m.Set(fd, scalar(fd))
		}
	}
}

func scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		return protoreflect.ValueOfEnum(vals.Get(vals.Len() - 1).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(-7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(-1 << 60)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(1 << 63)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(1.5)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(2.25)
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte("sanbao"))
	default:
		return protoreflect.ValueOfString("x")
	}
}
