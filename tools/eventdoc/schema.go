package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/descriptorpb"
)

// catalogue indexes every message and enum of the image by full name, with its leading comments,
// so payload schemas can follow field types into other files.
type catalogue struct {
	messages map[string]*descriptorpb.DescriptorProto
	enums    map[string]*descriptorpb.EnumDescriptorProto
	docs     map[string]string // full name of a message, "message.field" or enum → comment
}

func newCatalogue(set *descriptorpb.FileDescriptorSet) *catalogue {
	c := &catalogue{messages: map[string]*descriptorpb.DescriptorProto{}, enums: map[string]*descriptorpb.EnumDescriptorProto{}, docs: map[string]string{}}
	for _, f := range set.GetFile() {
		comments := map[string]string{}
		for _, loc := range f.GetSourceCodeInfo().GetLocation() {
			comments[pathKey(loc.GetPath())] = strings.TrimSpace(loc.GetLeadingComments())
		}
		var addMsg func(prefix string, path []int32, m *descriptorpb.DescriptorProto)
		addEnum := func(prefix string, path []int32, e *descriptorpb.EnumDescriptorProto) {
			name := prefix + "." + e.GetName()
			c.enums[name] = e
			c.docs[name] = oneLine(comments[pathKey(path)])
		}
		addMsg = func(prefix string, path []int32, m *descriptorpb.DescriptorProto) {
			name := prefix + "." + m.GetName()
			c.messages[name] = m
			c.docs[name] = oneLine(comments[pathKey(path)])
			for j, fd := range m.GetField() {
				c.docs[name+"."+fd.GetName()] = oneLine(comments[pathKey(append(append([]int32{}, path...), 2, int32(j)))])
			}
			for j, n := range m.GetNestedType() {
				addMsg(name, append(append([]int32{}, path...), 3, int32(j)), n)
			}
			for j, e := range m.GetEnumType() {
				addEnum(name, append(append([]int32{}, path...), 4, int32(j)), e)
			}
		}
		for i, m := range f.GetMessageType() {
			addMsg(f.GetPackage(), []int32{4, int32(i)}, m)
		}
		for i, e := range f.GetEnumType() {
			addEnum(f.GetPackage(), []int32{5, int32(i)}, e)
		}
	}
	return c
}

// schemas returns the JSON Schemas (draft-07, as AsyncAPI's Schema Object takes them) of the
// protojson encoding of roots and of every message they reach, by full name. References
// between them are "#/components/schemas/<full name>".
func (c *catalogue) schemas(roots []string) (map[string]any, error) {
	out := map[string]any{}
	var visit func(name string) error
	visit = func(name string) error {
		if _, done := out[name]; done {
			return nil
		}
		if s, ok := wellKnown[name]; ok {
			out[name] = s
			return nil
		}
		m, ok := c.messages[name]
		if !ok {
			return fmt.Errorf("message %s is not in the image", name)
		}
		props := map[string]any{}
		s := map[string]any{"type": "object", "title": name, "properties": props}
		if d := c.docs[name]; d != "" {
			s["description"] = d
		}
		out[name] = s
		for _, fd := range m.GetField() {
			fs, refs := c.field(fd)
			if d := c.docs[name+"."+fd.GetName()]; d != "" {
				fs["description"] = d
			}
			props[fd.GetJsonName()] = fs
			for _, r := range refs {
				if err := visit(r); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, r := range roots {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// field returns the schema of one field as protojson writes it and the messages it refers to.
func (c *catalogue) field(fd *descriptorpb.FieldDescriptorProto) (map[string]any, []string) {
	typeName := strings.TrimPrefix(fd.GetTypeName(), ".")
	if fd.GetLabel() == descriptorpb.FieldDescriptorProto_LABEL_REPEATED {
		if m, ok := c.messages[typeName]; ok && m.GetOptions().GetMapEntry() {
			v, refs := c.field(m.GetField()[1])
			return map[string]any{"type": "object", "additionalProperties": v}, refs
		}
		item, refs := c.single(fd, typeName)
		return map[string]any{"type": "array", "items": item}, refs
	}
	return c.single(fd, typeName)
}

func (c *catalogue) single(fd *descriptorpb.FieldDescriptorProto, typeName string) (map[string]any, []string) {
	switch fd.GetType() {
	case descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, descriptorpb.FieldDescriptorProto_TYPE_GROUP:
		return ref(typeName), []string{typeName}
	case descriptorpb.FieldDescriptorProto_TYPE_ENUM:
		var names []any
		for _, v := range c.enums[typeName].GetValue() {
			names = append(names, v.GetName())
		}
		s := map[string]any{"type": "string", "enum": names}
		if d := c.docs[typeName]; d != "" {
			s["title"] = typeName
		}
		return s, nil
	case descriptorpb.FieldDescriptorProto_TYPE_STRING:
		return map[string]any{"type": "string"}, nil
	case descriptorpb.FieldDescriptorProto_TYPE_BYTES:
		return map[string]any{"type": "string", "contentEncoding": "base64"}, nil
	case descriptorpb.FieldDescriptorProto_TYPE_BOOL:
		return map[string]any{"type": "boolean"}, nil
	case descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_SINT64, descriptorpb.FieldDescriptorProto_TYPE_SFIXED64,
		descriptorpb.FieldDescriptorProto_TYPE_UINT64, descriptorpb.FieldDescriptorProto_TYPE_FIXED64:
		// protojson writes 64-bit integers as decimal strings (JavaScript numbers lose digits).
		return map[string]any{"type": "string", "pattern": "^-?[0-9]+$"}, nil
	case descriptorpb.FieldDescriptorProto_TYPE_FLOAT, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE:
		return map[string]any{"oneOf": []any{map[string]any{"type": "number"}, map[string]any{"type": "string", "enum": []any{"NaN", "Infinity", "-Infinity"}}}}, nil
	default: // 32-bit integers
		return map[string]any{"type": "integer"}, nil
	}
}

// wellKnown are the protojson forms of the well-known types the events use.
var wellKnown = map[string]any{
	"google.protobuf.Timestamp": map[string]any{"type": "string", "format": "date-time", "title": "google.protobuf.Timestamp",
		"description": "RFC 3339 time in UTC, e.g. 2026-12-01T08:00:00Z"},
	"google.protobuf.Duration": map[string]any{"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$", "title": "google.protobuf.Duration",
		"description": "seconds with an s suffix, e.g. 3600s or 1.5s"},
}

// yamlSchemas writes the schemas sorted by name as YAML (each schema in JSON flow style, which
// is YAML), indented under components.schemas.
func yamlSchemas(s map[string]any) (string, error) {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		js, err := json.Marshal(s[n])
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "    %s: %s\n", n, js)
	}
	return b.String(), nil
}
