package events_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/natstest"
)

// BenchmarkJetStreamPublish measures what the stream can take, the ceiling of the relay: 900-byte
// events with a Nats-Msg-Id into a file stream that syncs every write (the production setting),
// one async publish per event (as `nats bench js pub async`) against atomic batches of several
// sizes, one batch in flight or several. It prints events/s.
func BenchmarkJetStreamPublish(b *testing.B) {
	type mode struct {
		batch, depth int
	}
	modes := []mode{{1, 0}}
	for _, n := range []int{2, 4, 8, 16, 64, 256, 1000} {
		modes = append(modes, mode{n, 1}, mode{n, 4})
	}
	data := []byte(`{"name":"` + strings.Repeat("x", 900) + `"}`)
	for _, m := range modes {
		name := "single_async"
		if m.depth > 0 {
			name = fmt.Sprintf("atomic_batch=%d/in_flight=%d", m.batch, m.depth)
		}
		b.Run(name, func(b *testing.B) {
			srv := natstest.Run(b)
			nc, err := nats.Connect(srv.URL())
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := events.EnsureStream(context.Background(), js, events.StreamConfig{Service: "bench"}); err != nil {
				b.Fatal(err)
			}
			msg := func(i int) *nats.Msg {
				return events.NewMsg("sanbao.bench.v1.thing.changed", events.Message{ID: ids.New(), Source: "/sanbao/bench",
					Type: "sanbao.type.v1.Contact", Resource: "things/" + strconv.Itoa(i%1000), Time: time.Now(), Data: data})
			}
			b.ResetTimer()
			if m.depth == 0 {
				for i := 0; i < b.N; {
					if _, err := js.PublishMsgAsync(msg(i)); err != nil {
						if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
							continue
						}
						b.Fatal(err)
					}
					i++
				}
				<-js.PublishAsyncComplete()
			} else {
				bt, err := events.NewBatchPublisher(nc)
				if err != nil {
					b.Fatal(err)
				}
				defer bt.Close()
				var queue []<-chan events.BatchAck
				wait := func() {
					if r := <-queue[0]; r.Err != nil || !r.Batched {
						b.Fatalf("batch: %+v", r)
					}
					queue = queue[1:]
				}
				for i := 0; i < b.N; {
					n := min(m.batch, b.N-i)
					msgs := make([]*nats.Msg, n)
					for j := range msgs {
						msgs[j] = msg(i + j)
					}
					i += n
					if len(queue) == m.depth {
						wait()
					}
					ch, _, err := bt.Publish(msgs, false, 0)
					if err != nil {
						b.Fatal(err)
					}
					queue = append(queue, ch)
				}
				for len(queue) > 0 {
					wait()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
