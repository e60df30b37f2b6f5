// Package outbox is the transactional outbox: an event is appended in the same bbolt transaction
// as the state change it reports, and a Relay publishes it to JetStream afterwards, deleting it
// only once the stream has acknowledged it. A committed change therefore always gets its event
// (possibly late, never lost), and an event never exists without its change.
//
// The relay publishes in commit order and keeps each resource's order; under load it sends what
// it finds as JetStream atomic batches, so that a stream syncing every write syncs once per
// batch rather than once per event (see Relay for the rules that keep it exactly once, in order
// and unwedgeable).
package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/deadletter"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/tracing"
)

var (
	bucket   = []byte("_outbox")      // U64(seq) → JSON entry, in append (and commit) order
	meta     = []byte("_outbox_meta") // depthKey → U64 count of entries in bucket
	depthKey = []byte("depth")
)

// state is what the outbox keeps per open file: the relay to wake after a commit.
type state struct {
	wake atomic.Pointer[func()]
}

type stateKey struct{}

func stateOf(db *store.DB) *state {
	return db.Attached(stateKey{}, func() any { return &state{} }).(*state)
}

// Event is what a service appends: the NATS subject, the resource it is about and the event
// message. ID and Time are filled in by Append when empty.
type Event struct {
	Subject  string        // NATS subject, sanbao.<service>.v1.<entity>.<event>
	Resource string        // CloudEvents subject, e.g. "tickets/01J..."; never personal data
	Data     proto.Message // the event message
	ID       string        // event id (ce-id and Nats-Msg-Id); a new ULID when empty
	Time     time.Time     // when it happened; now when zero
	// Ticket is the id of the ticket whose life this event is part of, published as the
	// CloudEvents extension attribute sanbaoticket (header ce-sanbaoticket) so integrators can
	// follow one ticket across every service's stream. When empty, Append takes it from a
	// "tickets/<id>" Resource or from the message's ticket_id field (or that of a message it
	// carries directly, such as a job snapshot); events of no ticket leave it empty.
	Ticket string
	// Actor is who made the change, published as the extension attribute sanbaoactor. When
	// empty, Append takes the authenticated caller of the call whose transaction this is
	// (auth.Actor of store.Context(tx)); work of no caller (timers, consumers, --insecure)
	// leaves it empty.
	Actor string
}

// entry is the stored form of an Event.
type entry struct {
	ID       string          `json:"id"`
	Subject  string          `json:"subject"`
	Resource string          `json:"resource,omitempty"`
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	Ticket   string          `json:"ticket,omitempty"`
	Actor    string          `json:"actor,omitempty"`
	Trace    string          `json:"traceparent,omitempty"`
	State    string          `json:"tracestate,omitempty"`
	Data     json.RawMessage `json:"data"`
}

var jsonMarshal = protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false}

// Append adds ev to the outbox inside tx and returns its id. Entries are kept in append order;
// the relay publishes each resource's events in that order. The relay is woken once tx has
// committed (never before: a wake-up before the commit would find nothing and be lost), so
// callers need not call Notify.
func Append(tx *bbolt.Tx, ev Event) (string, error) {
	if ev.Subject == "" || ev.Data == nil {
		return "", errors.New("outbox: event needs a subject and data")
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if ev.ID == "" {
		ev.ID = ids.NewAt(ev.Time)
	}
	if ev.Ticket == "" {
		ev.Ticket = ticketOf(ev)
	}
	// The transaction's call: who acts, and the trace the event continues.
	ctx := store.Context(tx)
	if ev.Actor == "" {
		ev.Actor = auth.Actor(ctx, "")
	}
	tc := tracing.From(ctx)
	data, err := jsonMarshal.Marshal(ev.Data)
	if err != nil {
		return "", fmt.Errorf("outbox: encode %s: %w", ev.Subject, err)
	}
	v, err := encodeEntry(entry{
		ID:       ev.ID,
		Subject:  ev.Subject,
		Resource: ev.Resource,
		Type:     string(proto.MessageName(ev.Data)),
		Time:     ev.Time.UTC(),
		Ticket:   ev.Ticket,
		Actor:    ev.Actor,
		Trace:    tc.Parent,
		State:    tc.State,
		Data:     data,
	})
	if err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	if err := put(tx, v); err != nil {
		return "", err
	}
	return ev.ID, nil
}

// encodeEntry writes e as the JSON encoding/json would, without re-validating Data (protojson's
// output): this runs inside the writer's transaction, where every microsecond is serial.
func encodeEntry(e entry) ([]byte, error) {
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("event time %s outside years 0-9999", e.Time)
	}
	b := make([]byte, 0, len(e.Data)+len(e.ID)+len(e.Subject)+len(e.Resource)+len(e.Type)+len(e.Ticket)+
		len(e.Actor)+len(e.Trace)+len(e.State)+160)
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"subject":`...)
	b = appendString(b, e.Subject)
	if e.Resource != "" {
		b = append(b, `,"resource":`...)
		b = appendString(b, e.Resource)
	}
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if e.Ticket != "" {
		b = append(b, `,"ticket":`...)
		b = appendString(b, e.Ticket)
	}
	if e.Actor != "" {
		b = append(b, `,"actor":`...)
		b = appendString(b, e.Actor)
	}
	if e.Trace != "" {
		b = append(b, `,"traceparent":`...)
		b = appendString(b, e.Trace)
	}
	if e.State != "" {
		b = append(b, `,"tracestate":`...)
		b = appendString(b, e.State)
	}
	b = append(b, `,"data":`...)
	b = append(b, e.Data...)
	return append(b, '}'), nil
}

// appendString appends s as a JSON string: plain ASCII directly, anything else through
// encoding/json (escapes, invalid UTF-8).
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// put stores an encoded entry at the end of the outbox and counts it.
func put(tx *bbolt.Tx, v []byte) error {
	b, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	if err := b.Put(store.U64(seq), v); err != nil {
		return err
	}
	if err := addDepth(tx, 1); err != nil {
		return err
	}
	if db := store.Of(tx); db != nil {
		st := stateOf(db)
		tx.OnCommit(func() {
			if wake := st.wake.Load(); wake != nil {
				(*wake)()
			}
		})
	}
	return nil
}

// addDepth keeps the count of entries, so that reading the depth costs one key, not a walk.
func addDepth(tx *bbolt.Tx, d int) error {
	m, err := tx.CreateBucketIfNotExists(meta)
	if err != nil {
		return err
	}
	n := int64(0)
	if v := m.Get(depthKey); v != nil {
		n = int64(store.Uint64(v))
	} else if b := tx.Bucket(bucket); b != nil {
		n = int64(count(b)) - int64(d) // a file written before the count: count once
	}
	n = max(n+int64(d), 0)
	return m.Put(depthKey, store.U64(uint64(n)))
}

// count walks b's keys (through the cursor, which sees this transaction's own writes).
func count(b *bbolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}

// Depth returns the number of unpublished events and the time of the oldest. It reads a
// counter and the first entry, never the whole outbox (metrics scrapes call it).
func Depth(tx *bbolt.Tx) (int, time.Time) {
	b := tx.Bucket(bucket)
	if b == nil {
		return 0, time.Time{}
	}
	var n int
	if m := tx.Bucket(meta); m != nil && m.Get(depthKey) != nil {
		n = int(store.Uint64(m.Get(depthKey)))
	} else {
		n = count(b) // a file written before the count, until its first write
	}
	var oldest time.Time
	if k, v := b.Cursor().First(); k != nil {
		var e struct {
			Time time.Time `json:"time"`
		}
		if json.Unmarshal(v, &e) == nil {
			oldest = e.Time
		}
	}
	return n, oldest
}

// Requeue moves the outbox dead letter id back to the end of the outbox (an operator fixed
// the stream's limit, or wants another try); the relay is woken after tx commits.
func Requeue(tx *bbolt.Tx, id string) error {
	l, err := deadletter.Get(tx, id)
	if err != nil {
		return err
	}
	if l.Kind != deadletter.KindOutbox {
		return fmt.Errorf("outbox: %s is a %s dead letter", id, l.Kind)
	}
	v, err := json.Marshal(entry{ID: l.EventID, Subject: l.Subject, Resource: l.Resource, Type: l.Type,
		Time: l.Time, Ticket: l.Ticket, Actor: l.Actor, Trace: l.TraceParent, State: l.TraceState, Data: json.RawMessage(l.Data)})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := put(tx, v); err != nil {
		return err
	}
	return deadletter.Delete(tx, id)
}
