package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// The headers of a JetStream atomic batch publish (nats-server 2.12 and later, on a stream with
// AllowAtomicPublish). Every message of a batch carries its id and its place in it; the last one
// carries the commit, and the stream stores the whole batch or none of it.
const (
	hdrBatchID     = "Nats-Batch-Id"
	hdrBatchSeq    = "Nats-Batch-Sequence"
	hdrBatchCommit = "Nats-Batch-Commit"
)

// BatchAck is the stream's answer to an atomic batch's commit.
type BatchAck struct {
	Seq     uint64 // the stream sequence of the batch's last message
	Count   int    // the messages the stream committed
	Batched bool   // the answer was a batch acknowledgement (an older server stores each message alone)
	Err     error  // the batch was refused (a *jetstream.APIError) or the answer could not be read
}

// BatchPublisher publishes JetStream atomic batches on one connection and delivers each
// commit's answer on a channel of its own, so that several batches can be in flight. Messages of
// batches sent one after the other on one connection reach the stream in that order. The stream
// must allow atomic publishes (EnsureStream's streams do; nats-server 2.12 or later).
type BatchPublisher struct {
	nc      *nats.Conn
	prefix  string // reply subjects are prefix + batch id
	sub     *nats.Subscription
	mu      sync.Mutex
	waiting map[string]chan BatchAck
}

// NewBatchPublisher returns a publisher of atomic batches on nc; Close it when done.
func NewBatchPublisher(nc *nats.Conn) (*BatchPublisher, error) {
	b := &BatchPublisher{nc: nc, prefix: nc.NewInbox() + ".", waiting: map[string]chan BatchAck{}}
	sub, err := nc.Subscribe(b.prefix+"*", b.answer)
	if err != nil {
		return nil, fmt.Errorf("subscribe to batch acknowledgements: %w", err)
	}
	b.sub = sub
	return b, nil
}

// Close stops listening for answers.
func (b *BatchPublisher) Close() { _ = b.sub.Unsubscribe() }

// Publish sends msgs as one atomic batch. With expect, the stream commits it only if its last
// sequence is expectSeq (Nats-Expected-Last-Sequence on the first message): a batch sent after
// one the stream refused is then refused too, never stored ahead of it. The answer arrives on
// the returned channel; forget drops the wait for an answer that will no longer be read.
func (b *BatchPublisher) Publish(msgs []*nats.Msg, expect bool, expectSeq uint64) (<-chan BatchAck, func(), error) {
	id := nuid.Next()
	ch := make(chan BatchAck, 1)
	b.mu.Lock()
	b.waiting[id] = ch
	b.mu.Unlock()
	forget := func() {
		b.mu.Lock()
		delete(b.waiting, id)
		b.mu.Unlock()
	}
	for i, m := range msgs {
		if m.Header == nil {
			m.Header = nats.Header{}
		}
		m.Header.Set(hdrBatchID, id)
		m.Header.Set(hdrBatchSeq, strconv.Itoa(i+1))
		if i == 0 && expect {
			m.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(expectSeq, 10))
		}
		m.Reply = ""
		if i == len(msgs)-1 {
			m.Header.Set(hdrBatchCommit, "1")
			m.Reply = b.prefix + id
		}
		if err := b.nc.PublishMsg(m); err != nil {
			forget()
			return nil, nil, fmt.Errorf("batch message %d of %d (%s): %w", i+1, len(msgs), m.Subject, err)
		}
	}
	return ch, forget, nil
}

// answer routes a commit's acknowledgement (or refusal) to its batch.
func (b *BatchPublisher) answer(m *nats.Msg) {
	id := strings.TrimPrefix(m.Subject, b.prefix)
	b.mu.Lock()
	ch, ok := b.waiting[id]
	delete(b.waiting, id)
	b.mu.Unlock()
	if !ok {
		return
	}
	var ack struct {
		Stream string              `json:"stream"`
		Seq    uint64              `json:"seq"`
		Batch  string              `json:"batch"`
		Count  int                 `json:"count"`
		Error  *jetstream.APIError `json:"error"`
	}
	var res BatchAck
	switch err := json.Unmarshal(m.Data, &ack); {
	case len(m.Data) == 0 && m.Header.Get("Status") == "503":
		res.Err = nats.ErrNoResponders
	case err != nil:
		res.Err = fmt.Errorf("%w: %v", jetstream.ErrInvalidJSAck, err)
	case ack.Error != nil:
		res.Err = ack.Error
	default:
		res = BatchAck{Seq: ack.Seq, Count: ack.Count, Batched: ack.Batch == id}
	}
	ch <- res
}
