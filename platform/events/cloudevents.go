// Package events is how Sanbao's services meet on NATS JetStream: the CloudEvents binary-mode
// encoding of an event, stream provisioning, and durable consumers that apply each event once.
package events

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"buf.build/go/protovalidate"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/sanbao/sanbao/platform/tracing"
)

// CloudEvents 1.0 binary-mode header names (NATS protocol binding).
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderID          = "ce-id"
	HeaderSource      = "ce-source"
	HeaderType        = "ce-type"
	HeaderSubject     = "ce-subject"
	HeaderTime        = "ce-time"
	HeaderContentType = "content-type"
	// HeaderTicket carries Sanbao's CloudEvents extension attribute sanbaoticket: the id of the
	// ticket whose life the event is part of, on every such event of every service.
	HeaderTicket = "ce-" + ExtensionTicket
	SpecVersion  = "1.0"
	// ExtensionTicket is the name of the ticket correlation extension attribute.
	ExtensionTicket = "sanbaoticket"
	// HeaderActor carries Sanbao's extension attribute sanbaoactor: who made the change the
	// event reports (the authenticated caller's subject, "service:<name>" for a service, or
	// "system:<name>" for the service's own timers and consumers). An id, never personal data.
	HeaderActor = "ce-" + ExtensionActor
	// ExtensionActor is the name of the actor extension attribute.
	ExtensionActor = "sanbaoactor"
	// HeaderTraceParent and HeaderTraceState carry the CloudEvents distributed-tracing
	// extension (traceparent, tracestate: the W3C trace context of the work that made the
	// event); a consumer continues that trace.
	HeaderTraceParent = "ce-traceparent"
	HeaderTraceState  = "ce-tracestate"
	ContentTypeJSON   = "application/json"
)

// Message is one received event.
type Message struct {
	ID       string    // ce-id, unique per event; also the Nats-Msg-Id
	Source   string    // ce-source, e.g. "/sanbao/dispatch"
	Type     string    // ce-type, the full name of the event's proto message
	Resource string    // ce-subject, e.g. "jobs/01J..."
	Time     time.Time // ce-time
	Ticket   string    // ce-sanbaoticket: the ticket whose life this event is part of, or ""
	Subject  string    // the NATS subject it was published on
	Data     []byte    // the event message as protojson
	// Actor is ce-sanbaoactor: who made the change (a subject id), or "".
	Actor string
	// Trace is ce-traceparent and ce-tracestate: the trace the event continues, or empty.
	Trace tracing.Carried

	decoded proto.Message // Data decoded and validated by the consumer, when its type is known
}

// Decode unmarshals the event body into m, ignoring fields this binary does not know (a newer
// publisher may have added some). A consumer has already decoded (and validated) the body of
// an event whose type this binary knows; Decode then copies that instead of parsing again.
func (m Message) Decode(into proto.Message) error {
	if m.decoded != nil && m.decoded.ProtoReflect().Descriptor() == into.ProtoReflect().Descriptor() {
		proto.Reset(into)
		proto.Merge(into, m.decoded)
		return nil
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(m.Data, into); err != nil {
		return fmt.Errorf("decode %s %s: %w", m.Type, m.ID, err)
	}
	return nil
}

var validator = sync.OnceValues(func() (protovalidate.Validator, error) { return protovalidate.New() })

// validate decodes m's body by its ce-type and checks it against the message's field rules
// (the same protovalidate rules the producing API enforces). An event of a type this binary
// does not know is left to the handler (it usually ignores it).
func validate(m *Message) error {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(m.Type))
	if err != nil {
		return nil
	}
	msg := mt.New().Interface()
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(m.Data, msg); err != nil {
		return fmt.Errorf("undecodable %s: %w", m.Type, err)
	}
	v, err := validator()
	if err != nil {
		return fmt.Errorf("protovalidate: %w", err)
	}
	if err := v.Validate(msg); err != nil {
		var verr *protovalidate.ValidationError
		if !errors.As(err, &verr) {
			return fmt.Errorf("validate %s: %w", m.Type, err)
		}
		var kept []*protovalidate.Violation
		for _, v := range verr.Violations {
			if !absent(v) {
				kept = append(kept, v)
			}
		}
		if len(kept) > 0 {
			return fmt.Errorf("invalid %s: %w", m.Type, &protovalidate.ValidationError{Violations: kept})
		}
	}
	m.decoded = msg
	return nil
}

// absent reports whether a violation is about a field left empty. Event snapshots clear
// personal and bulky fields by design (a sign-off's signer, a site's street), so a consumer
// checks every value an event carries against the API's rules (lengths, ranges, patterns,
// character sets, message rules) but not that a field is set.
func absent(v *protovalidate.Violation) bool {
	if v.FieldDescriptor == nil {
		return v.Proto.GetRuleId() == "required" // a oneof left unset; message rules are kept
	}
	if !v.FieldValue.IsValid() {
		return true
	}
	switch x := v.FieldValue.Interface().(type) {
	case string:
		return x == ""
	case []byte:
		return len(x) == 0
	case bool:
		return !x
	case protoreflect.EnumNumber:
		return x == 0
	case int32:
		return x == 0
	case int64:
		return x == 0
	case uint32:
		return x == 0
	case uint64:
		return x == 0
	case float32:
		return x == 0
	case float64:
		return x == 0
	case protoreflect.Message:
		return !x.IsValid()
	case protoreflect.List:
		return x.Len() == 0
	case protoreflect.Map:
		return x.Len() == 0
	}
	return false
}

// ErrNotCloudEvent is returned by Parse for a message without the CloudEvents headers.
var ErrNotCloudEvent = errors.New("not a CloudEvents binary-mode message")

// NewMsg builds the NATS message for an event (binary mode: attributes in headers, the proto
// message as JSON in the body). The body is taken as already-encoded protojson.
func NewMsg(natsSubject string, m Message) *nats.Msg {
	msg := nats.NewMsg(natsSubject)
	msg.Header.Set(HeaderSpecVersion, SpecVersion)
	msg.Header.Set(HeaderID, m.ID)
	msg.Header.Set(HeaderSource, m.Source)
	msg.Header.Set(HeaderType, m.Type)
	if m.Resource != "" {
		msg.Header.Set(HeaderSubject, m.Resource)
	}
	msg.Header.Set(HeaderTime, m.Time.UTC().Format(time.RFC3339Nano))
	if m.Ticket != "" {
		msg.Header.Set(HeaderTicket, m.Ticket)
	}
	if m.Actor != "" {
		msg.Header.Set(HeaderActor, m.Actor)
	}
	if m.Trace.Parent != "" {
		msg.Header.Set(HeaderTraceParent, m.Trace.Parent)
		if m.Trace.State != "" {
			msg.Header.Set(HeaderTraceState, m.Trace.State)
		}
	}
	msg.Header.Set(HeaderContentType, ContentTypeJSON)
	msg.Header.Set(nats.MsgIdHdr, m.ID)
	msg.Data = m.Data
	return msg
}

// Parse reads an event from a NATS message's headers and body.
func Parse(subject string, h nats.Header, data []byte) (Message, error) {
	if h.Get(HeaderSpecVersion) != SpecVersion || h.Get(HeaderID) == "" || h.Get(HeaderType) == "" {
		return Message{}, ErrNotCloudEvent
	}
	m := Message{
		ID:       h.Get(HeaderID),
		Source:   h.Get(HeaderSource),
		Type:     h.Get(HeaderType),
		Resource: h.Get(HeaderSubject),
		Ticket:   h.Get(HeaderTicket),
		Subject:  subject,
		Data:     data,
		Actor:    h.Get(HeaderActor),
		Trace:    tracing.Carried{Parent: h.Get(HeaderTraceParent), State: h.Get(HeaderTraceState)},
	}
	if ts := h.Get(HeaderTime); ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return Message{}, fmt.Errorf("%w: ce-time %q: %v", ErrNotCloudEvent, ts, err)
		}
		m.Time = t
	}
	return m, nil
}
