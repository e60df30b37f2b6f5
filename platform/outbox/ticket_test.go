package outbox_test

import (
	"bytes"
	"context"
	"testing"

	cejs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/nats-io/nats.go"
	"go.etcd.io/bbolt"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/outbox"
)

// TestTicketCorrelationReadByCloudEventsSDK publishes events through the outbox and reads each
// stored message with the CloudEvents Go SDK's NATS JetStream binding, as an integrator would:
// every attribute, the sanbaoticket extension (set, taken from a tickets/ resource or from a
// carried job's ticket_id, or absent) and the body must come out as written.
func TestTicketCorrelationReadByCloudEventsSDK(t *testing.T) {
	r := newRig(t)
	cases := []struct {
		ev     outbox.Event
		ticket string
	}{
		{outbox.Event{Subject: "sanbao.test.v1.thing.set", Resource: "things/a", Ticket: "T-SET", Data: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 1}}, "T-SET"},
		{outbox.Event{Subject: "sanbao.test.v1.ticket.changed", Resource: "tickets/T-RES", Data: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 2}}, "T-RES"},
		{outbox.Event{Subject: "sanbao.test.v1.job.created", Resource: "jobs/J1", Data: &dispatchv1.JobCreated{Job: &dispatchv1.Job{Id: "J1", TicketId: "T-JOB"}}}, "T-JOB"},
		{outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: "things/b", Data: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 3}}, ""},
	}
	err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
		for _, c := range cases {
			if _, err := outbox.Append(tx, c.ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := r.js.Stream(ctx, "TEST")
	if err != nil {
		t.Fatal(err)
	}
	ours := r.stream(t)
	if len(ours) != len(cases) {
		t.Fatalf("stream has %d messages, want %d", len(ours), len(cases))
	}
	for i, c := range cases {
		raw, err := s.GetMsg(ctx, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		msg := &nats.Msg{Subject: raw.Subject, Header: raw.Header, Data: raw.Data}
		ev, err := binding.ToEvent(ctx, cejs.NewMessage(msg))
		if err != nil {
			t.Fatalf("%s: the CloudEvents SDK cannot read it: %v", c.ev.Subject, err)
		}
		if err := ev.Validate(); err != nil {
			t.Errorf("%s: not a valid CloudEvent: %v", c.ev.Subject, err)
		}
		m := ours[i]
		if ev.SpecVersion() != "1.0" || ev.ID() != m.ID || ev.Source() != "/sanbao/test" || ev.Type() != m.Type ||
			ev.Subject() != c.ev.Resource || !ev.Time().Equal(m.Time) || ev.DataContentType() != "application/json" {
			t.Errorf("%s: SDK reads %s", c.ev.Subject, ev.String())
		}
		if !bytes.Equal(ev.Data(), raw.Data) {
			t.Errorf("%s: SDK data %q, want %q", c.ev.Subject, ev.Data(), raw.Data)
		}
		got, _ := ev.Extensions()[events.ExtensionTicket].(string)
		if got != c.ticket || m.Ticket != c.ticket {
			t.Errorf("%s: sanbaoticket SDK %q, events.Parse %q; want %q", c.ev.Subject, got, m.Ticket, c.ticket)
		}
	}
}
