package importer

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// set parses value into the field at a dotted path of m ("dates.sale", "customer.contact.name"),
// creating the messages on the way. Strings are taken as they are, numbers and booleans parsed,
// enums by their value name with or without the type's prefix (case-insensitive, "WARRANTY" or
// "PART_KIND_WARRANTY"), sanbao.type.v1.Date from a day, sanbao.type.v1.Money from an amount
// in major units ("12.50").
func set(m proto.Message, path, value string) error {
	msg := m.ProtoReflect()
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		fd := msg.Descriptor().Fields().ByName(protoreflect.Name(p))
		if fd == nil || fd.Message() == nil {
			return fmt.Errorf("no message field %s", p) // a bug in a kind's column table
		}
		msg = msg.Mutable(fd).Message()
	}
	fd := msg.Descriptor().Fields().ByName(protoreflect.Name(parts[len(parts)-1]))
	if fd == nil {
		return fmt.Errorf("no field %s", path)
	}
	if fd.IsList() {
		list := msg.Mutable(fd).List()
		for _, item := range strings.FieldsFunc(value, func(r rune) bool { return r == ';' || r == '；' || r == '|' }) {
			v, err := scalar(fd, strings.TrimSpace(item))
			if err != nil {
				return err
			}
			list.Append(v)
		}
		return nil
	}
	if fd.Message() != nil {
		switch fd.Message().FullName() {
		case "sanbao.type.v1.Date":
			d, err := parseDate(value)
			if err != nil {
				return err
			}
			msg.Set(fd, protoreflect.ValueOfMessage(d.ProtoReflect()))
			return nil
		case "sanbao.type.v1.Money":
			mo, err := parseMoney(value)
			if err != nil {
				return err
			}
			msg.Set(fd, protoreflect.ValueOfMessage(mo.ProtoReflect()))
			return nil
		}
		return fmt.Errorf("no field %s", path)
	}
	v, err := scalar(fd, value)
	if err != nil {
		return err
	}
	msg.Set(fd, v)
	return nil
}

func scalar(fd protoreflect.FieldDescriptor, s string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s), nil
	case protoreflect.BoolKind:
		switch strings.ToLower(s) {
		case "true", "yes", "y", "1", "是", "√":
			return protoreflect.ValueOfBool(true), nil
		case "false", "no", "n", "0", "否", "":
			return protoreflect.ValueOfBool(false), nil
		}
		return protoreflect.Value{}, fmt.Errorf("%q is not a yes/no value (true/false, 是/否)", s)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(number(s), 10, 32)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is not a whole number", s)
		}
		return protoreflect.ValueOfInt32(int32(n)), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := strconv.ParseInt(number(s), 10, 64)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is not a whole number", s)
		}
		return protoreflect.ValueOfInt64(n), nil
	case protoreflect.DoubleKind:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return protoreflect.Value{}, fmt.Errorf("%q is not a number", s)
		}
		return protoreflect.ValueOfFloat64(f), nil
	case protoreflect.EnumKind:
		return enum(fd.Enum(), s)
	}
	return protoreflect.Value{}, fmt.Errorf("field %s: unsupported kind %s", fd.Name(), fd.Kind())
}

// number drops a whole number's ".0" that spreadsheets add ("12.0").
func number(s string) string { return strings.TrimSuffix(s, ".0") }

// enum finds a value by name: "PART_KIND_WARRANTY", "warranty" or its number.
func enum(ed protoreflect.EnumDescriptor, s string) (protoreflect.Value, error) {
	vals := ed.Values()
	up := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "_"))
	var names []string
	prefix := ""
	if vals.Len() > 0 {
		first := string(vals.Get(0).Name()) // XXX_UNSPECIFIED
		prefix = strings.TrimSuffix(first, "UNSPECIFIED")
	}
	for i := 0; i < vals.Len(); i++ {
		v := vals.Get(i)
		if v.Number() == 0 {
			continue
		}
		name := string(v.Name())
		short := strings.TrimPrefix(name, prefix)
		names = append(names, short)
		if up == name || up == short {
			return protoreflect.ValueOfEnum(v.Number()), nil
		}
	}
	return protoreflect.Value{}, fmt.Errorf("%q is not one of %s", s, strings.Join(names, ", "))
}

var dateRE = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)

// parseDate takes 2026-03-07, 2026/3/7, 2026.3.7, 2026年3月7日, or an Excel date serial number
// (XLSX cells hold dates as days since 1899-12-30).
func parseDate(s string) (*typev1.Date, error) {
	if m := dateRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
			return nil, fmt.Errorf("%q is not a day of the calendar", s)
		}
		return &typev1.Date{Year: int32(y), Month: int32(mo), Day: int32(d)}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 2958466 {
		t, err := excelize.ExcelDateToTime(f, false)
		if err == nil {
			return &typev1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}, nil
		}
	}
	return nil, fmt.Errorf("%q is not a date (write 2026-03-07)", s)
}

var moneyRE = regexp.MustCompile(`^(-)?(\d{1,15})(?:\.(\d{1,2}))?$`)

// parseMoney takes an amount in yuan ("12", "12.5", "12.50"; "¥" and thousands commas are
// dropped) as CNY fen.
func parseMoney(s string) (*typev1.Money, error) {
	c := strings.NewReplacer("¥", "", "￥", "", ",", "", " ", "").Replace(s)
	m := moneyRE.FindStringSubmatch(c)
	if m == nil {
		return nil, fmt.Errorf("%q is not an amount (write 12.50)", s)
	}
	whole, _ := strconv.ParseInt(m[2], 10, 64)
	frac := m[3]
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	amount := whole*100 + f
	if m[1] == "-" {
		amount = -amount
	}
	return &typev1.Money{CurrencyCode: "CNY", AmountMinor: amount}, nil
}
