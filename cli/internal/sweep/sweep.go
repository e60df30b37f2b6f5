// Package sweep sends malformed requests to every RPC of the Sanbao services, generated from
// their proto descriptors: for every field (and the fields of its messages, to a depth), a
// handful of bad values (empty, too long, NUL and control characters, out-of-range times,
// negative and extreme numbers, undefined enums, huge lists). It records the code of every
// answer; INTERNAL, UNKNOWN, DATA_LOSS, a call that outlives its deadline and an error without
// a google.rpc.ErrorInfo reason and a LocalizedMessage are failures.
// `make test` runs a short sweep in-process; `make chaos` runs the full one against processes.
package sweep

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Target is one service to sweep: its descriptor and a connection to it.
type Target struct {
	Service protoreflect.ServiceDescriptor
	Conn    *grpc.ClientConn
}

// Options tune a sweep. The zero value is the short sweep.
type Options struct {
	Depth   int           // how deep into message fields to go (default 2: fields and theirs)
	Full    bool          // more bad values per field
	PerCall time.Duration // deadline of each call (default 10s); a call that hits it is a hang
	Workers int           // calls in parallel (default 4)
}

// Report is what a sweep found.
type Report struct {
	Calls    int
	Codes    map[string]map[codes.Code]int // by full method
	Failures []string                      // INTERNAL, UNKNOWN, DATA_LOSS, hangs, errors without details
}

// Failed reports whether any call failed.
func (r *Report) Failed() bool { return len(r.Failures) > 0 }

// Lines returns one line per method: its name and the count of each code.
func (r *Report) Lines() []string {
	methods := make([]string, 0, len(r.Codes))
	for m := range r.Codes {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	out := make([]string, 0, len(methods))
	for _, m := range methods {
		cs := make([]string, 0, len(r.Codes[m]))
		for c, n := range r.Codes[m] {
			cs = append(cs, fmt.Sprintf("%s=%d", c, n))
		}
		sort.Strings(cs)
		out = append(out, fmt.Sprintf("%-62s %s", m, strings.Join(cs, " ")))
	}
	return out
}

// Totals returns the count of each code over all methods.
func (r *Report) Totals() map[codes.Code]int {
	t := map[codes.Code]int{}
	for _, cs := range r.Codes {
		for c, n := range cs {
			t[c] += n
		}
	}
	return t
}

type probe struct {
	method string
	what   string
	req    proto.Message
	out    protoreflect.MessageDescriptor
	conn   *grpc.ClientConn
}

// Run sweeps the targets until done or ctx ends.
func Run(ctx context.Context, targets []Target, o Options) *Report {
	if o.Depth <= 0 {
		o.Depth = 2
	}
	if o.PerCall <= 0 {
		o.PerCall = 10 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	probes := make(chan probe)
	go func() {
		defer close(probes)
		for _, t := range targets {
			ms := t.Service.Methods()
			for i := 0; i < ms.Len(); i++ {
				md := ms.Get(i)
				if md.IsStreamingClient() || md.IsStreamingServer() {
					continue
				}
				method := fmt.Sprintf("/%s/%s", t.Service.FullName(), md.Name())
				emit := func(what string, req proto.Message) bool {
					select {
					case probes <- probe{method: method, what: what, req: req, out: md.Output(), conn: t.Conn}:
						return true
					case <-ctx.Done():
						return false
					}
				}
				if !emit("empty request", dynamicpb.NewMessage(md.Input())) {
					return
				}
				if !variants(md.Input(), nil, o, 0, emit) {
					return
				}
			}
		}
	}()
	r := &Report{Codes: map[string]map[codes.Code]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range probes {
				cctx, cancel := context.WithTimeout(ctx, o.PerCall)
				err := p.conn.Invoke(cctx, p.method, p.req, dynamicpb.NewMessage(p.out))
				hung := cctx.Err() != nil && ctx.Err() == nil
				cancel()
				code := status.Code(err)
				mu.Lock()
				r.Calls++
				if r.Codes[p.method] == nil {
					r.Codes[p.method] = map[codes.Code]int{}
				}
				r.Codes[p.method][code]++
				switch {
				case hung || code == codes.DeadlineExceeded:
					r.Failures = append(r.Failures, fmt.Sprintf("%s with %s: no answer within %v", p.method, p.what, o.PerCall))
				case code == codes.Internal || code == codes.Unknown || code == codes.DataLoss:
					r.Failures = append(r.Failures, fmt.Sprintf("%s with %s: %v", p.method, p.what, err))
				case code != codes.OK && !explained(err):
					r.Failures = append(r.Failures, fmt.Sprintf("%s with %s: %v carries no ErrorInfo reason and LocalizedMessage", p.method, p.what, err))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return r
}

// explained reports whether an error carries what clients branch on and people read: a
// google.rpc.ErrorInfo with a reason and a google.rpc.LocalizedMessage.
func explained(err error) bool {
	var reason, msg bool
	for _, d := range status.Convert(err).Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			reason = d.GetReason() != ""
		case *errdetails.LocalizedMessage:
			msg = d.GetMessage() != ""
		}
	}
	return reason && msg
}

// variants emits, for every field of md (reached through path), a request with that field set
// to each bad value; it recurses into message fields up to o.Depth.
func variants(md protoreflect.MessageDescriptor, path []protoreflect.FieldDescriptor, o Options, depth int, emit func(string, proto.Message) bool) bool {
	if depth >= o.Depth {
		return true
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		full := append(append([]protoreflect.FieldDescriptor(nil), path...), fd)
		for _, bad := range badValues(fd, o.Full) {
			req := dynamicpb.NewMessage(full[0].ContainingMessage())
			leaf := req.ProtoReflect()
			for _, p := range full[:len(full)-1] {
				leaf = leaf.Mutable(p).Message()
			}
			bad.set(leaf, fd)
			if !emit(name(full)+" = "+bad.what, req) {
				return false
			}
		}
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() && !wellKnown(fd.Message()) {
			if !variants(fd.Message(), full, o, depth+1, emit) {
				return false
			}
		}
	}
	return true
}

func name(path []protoreflect.FieldDescriptor) string {
	parts := make([]string, len(path))
	for i, f := range path {
		parts[i] = string(f.Name())
	}
	return strings.Join(parts, ".")
}

func wellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

type badValue struct {
	what string
	set  func(m protoreflect.Message, fd protoreflect.FieldDescriptor)
}

func scalarValues(fd protoreflect.FieldDescriptor, full bool) []struct {
	what string
	v    func(m protoreflect.Message) protoreflect.Value
} {
	type sv = struct {
		what string
		v    func(m protoreflect.Message) protoreflect.Value
	}
	c := func(what string, v protoreflect.Value) sv {
		return sv{what, func(protoreflect.Message) protoreflect.Value { return v }}
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		out := []sv{
			c("too long", protoreflect.ValueOfString(strings.Repeat("x", 5000))),
			c("NUL", protoreflect.ValueOfString("JOBA\x00victim")),
			c("control characters", protoreflect.ValueOfString("a\x1b[31m\r\nb")),
		}
		if full {
			out = append(out,
				c("empty", protoreflect.ValueOfString("")),
				c("very long", protoreflect.ValueOfString(strings.Repeat("长", 100000))),
				c("spaces", protoreflect.ValueOfString("   ")),
				c("quotes", protoreflect.ValueOfString(`"'\\%s{}`)),
			)
		}
		return out
	case protoreflect.BytesKind:
		return []sv{c("too long", protoreflect.ValueOfBytes(make([]byte, 100000)))}
	case protoreflect.EnumKind:
		return []sv{c("undefined enum", protoreflect.ValueOfEnum(12345)), c("negative enum", protoreflect.ValueOfEnum(-1))}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		out := []sv{c("-1", protoreflect.ValueOfInt32(-1)), c("max", protoreflect.ValueOfInt32(math.MaxInt32))}
		if full {
			out = append(out, c("min", protoreflect.ValueOfInt32(math.MinInt32)))
		}
		return out
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		out := []sv{c("-1", protoreflect.ValueOfInt64(-1)), c("max", protoreflect.ValueOfInt64(math.MaxInt64))}
		if full {
			out = append(out, c("min", protoreflect.ValueOfInt64(math.MinInt64)))
		}
		return out
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return []sv{c("max", protoreflect.ValueOfUint32(math.MaxUint32))}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return []sv{c("max", protoreflect.ValueOfUint64(math.MaxUint64))}
	case protoreflect.DoubleKind:
		return []sv{c("NaN", protoreflect.ValueOfFloat64(math.NaN())), c("-Inf", protoreflect.ValueOfFloat64(math.Inf(-1))), c("-1e308", protoreflect.ValueOfFloat64(-1e308))}
	case protoreflect.FloatKind:
		return []sv{c("NaN", protoreflect.ValueOfFloat32(float32(math.NaN()))), c("+Inf", protoreflect.ValueOfFloat32(float32(math.Inf(1))))}
	case protoreflect.MessageKind:
		switch fd.Message().FullName() {
		case "google.protobuf.Timestamp", "google.protobuf.Duration":
			// Both are {seconds, nanos}: one builder of a value with chosen seconds and nanos.
			secNanos := func(what string, sec int64, nanos int32) sv {
				return sv{what, func(m protoreflect.Message) protoreflect.Value {
					v := m.NewField(fd)
					if fd.IsList() {
						v = protoreflect.ValueOfMessage(dynamicpb.NewMessage(fd.Message()))
					}
					f := fd.Message().Fields()
					v.Message().Set(f.ByName("seconds"), protoreflect.ValueOfInt64(sec))
					v.Message().Set(f.ByName("nanos"), protoreflect.ValueOfInt32(nanos))
					return v
				}}
			}
			if fd.Message().FullName() == "google.protobuf.Duration" {
				return []sv{secNanos("huge duration", 1e15, 0), secNanos("negative", -3600, 0), secNanos("mixed signs", 1, -1)}
			}
			out := []sv{secNanos("year 10000+", 253402300800*2, 0), secNanos("before year 1", -62135596800*2, 0), secNanos("negative nanos", 1, -1)}
			if full {
				out = append(out, secNanos("epoch", 0, 0), secNanos("year 2300", 10413792000, 0))
			}
			return out
		}
		return []sv{{"empty message", func(m protoreflect.Message) protoreflect.Value {
			if fd.IsList() {
				return protoreflect.ValueOfMessage(dynamicpb.NewMessage(fd.Message()))
			}
			return m.NewField(fd)
		}}}
	}
	return nil
}

func badValues(fd protoreflect.FieldDescriptor, full bool) []badValue {
	var out []badValue
	switch {
	case fd.IsMap():
		n := 101
		if full {
			n = 2000
		}
		out = append(out, badValue{fmt.Sprintf("%d entries", n), func(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
			mp := m.Mutable(fd).Map()
			for i := range n {
				var k protoreflect.MapKey
				switch fd.MapKey().Kind() {
				case protoreflect.StringKind:
					k = protoreflect.ValueOfString(fmt.Sprintf("k%d", i)).MapKey()
				default:
					k = protoreflect.ValueOfInt64(int64(i)).MapKey()
				}
				if fd.MapValue().Kind() == protoreflect.MessageKind {
					mp.Set(k, mp.NewValue())
				} else if fd.MapValue().Kind() == protoreflect.StringKind {
					mp.Set(k, protoreflect.ValueOfString("\x00"))
				} else {
					mp.Set(k, mp.NewValue())
				}
			}
		}})
	case fd.IsList():
		// Past every max_items of the API (the largest is 1000); the full sweep goes further.
		n := 1001
		if full {
			n = 10000
		}
		out = append(out, badValue{fmt.Sprintf("%d items", n), func(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
			l := m.Mutable(fd).List()
			for range n {
				if fd.Kind() == protoreflect.MessageKind {
					l.Append(protoreflect.ValueOfMessage(dynamicpb.NewMessage(fd.Message())))
				} else {
					l.Append(l.NewElement())
				}
			}
		}})
		for _, sv := range scalarValues(fd, full) {
			out = append(out, badValue{"[" + sv.what + "]", func(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
				m.Mutable(fd).List().Append(sv.v(m))
			}})
		}
	default:
		for _, sv := range scalarValues(fd, full) {
			out = append(out, badValue{sv.what, func(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
				m.Set(fd, sv.v(m))
			}})
		}
	}
	return out
}
