// Package outbox is the transactional outbox: an event is appended in the same bbolt transaction
// as the state change it reports, and a Relay publishes it to JetStream afterwards, deleting it
// only once the stream has acknowledged it. A committed change therefore always gets its event
// (possibly late, never lost), and an event never exists without its change.
package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/store"
)

var bucket = []byte("_outbox")

// Event is what a service appends: the NATS subject, the resource it is about and the event
// message. ID and Time are filled in by Append when empty.
type Event struct {
	Subject  string        // NATS subject, sanbao.<service>.v1.<entity>.<event>
	Resource string        // CloudEvents subject, e.g. "tickets/01J..."; never personal data
	Data     proto.Message // the event message
	ID       string        // event id (ce-id and Nats-Msg-Id); a new ULID when empty
	Time     time.Time     // when it happened; now when zero
}

// entry is the stored form of an Event.
type entry struct {
	ID       string          `json:"id"`
	Subject  string          `json:"subject"`
	Resource string          `json:"resource,omitempty"`
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	Data     json.RawMessage `json:"data"`
}

var jsonMarshal = protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false}

// Append adds ev to the outbox inside tx and returns its id. Entries are kept in append order;
// the relay publishes each resource's events in that order.
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
	data, err := jsonMarshal.Marshal(ev.Data)
	if err != nil {
		return "", fmt.Errorf("outbox: encode %s: %w", ev.Subject, err)
	}
	v, err := json.Marshal(entry{
		ID:       ev.ID,
		Subject:  ev.Subject,
		Resource: ev.Resource,
		Type:     string(proto.MessageName(ev.Data)),
		Time:     ev.Time.UTC(),
		Data:     data,
	})
	if err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	b, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return "", err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return "", err
	}
	return ev.ID, b.Put(store.U64(seq), v)
}

// Depth returns the number of unpublished events and the time of the oldest.
func Depth(tx *bbolt.Tx) (int, time.Time) {
	b := tx.Bucket(bucket)
	if b == nil {
		return 0, time.Time{}
	}
	n := b.Stats().KeyN
	var oldest time.Time
	if k, v := b.Cursor().First(); k != nil {
		var e entry
		if json.Unmarshal(v, &e) == nil {
			oldest = e.Time
		}
	}
	return n, oldest
}
