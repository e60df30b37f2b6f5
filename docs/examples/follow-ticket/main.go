// Command follow-ticket prints every event of one ticket's life, from all four Sanbao streams,
// as it is published: an example of an integrator's consumer to copy. It reads the CloudEvents
// attributes from the NATS headers (binary mode) and keeps the messages whose ce-sanbaoticket
// extension names the ticket.
//
//	go run ./docs/examples/follow-ticket --nats nats://127.0.0.1:4222 --ticket 01J...
//
// It uses ordered (ephemeral) consumers, which read each stream from the start and need no
// set-up. A production integration uses a durable consumer per stream instead, acknowledges
// each message after handling it, and deduplicates on ce-id (delivery is at least once).
// Events of one resource arrive in order; events of different resources or services may not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Streams are the four services' event streams.
var Streams = []string{"TICKET", "WARRANTY", "DISPATCH", "INVENTORY"}

// Event is the part of a Sanbao CloudEvent this example prints.
type Event struct {
	Stream, ID, Type, Resource, Ticket, Subject string
	Time                                        time.Time
	Data                                        []byte
}

// FromMsg reads a message's CloudEvents attributes (binary mode: ce-* headers, JSON body).
func FromMsg(stream string, m jetstream.Msg) (Event, error) {
	h := m.Headers()
	if h.Get("ce-specversion") != "1.0" {
		return Event{}, errors.New("not a CloudEvent")
	}
	t, _ := time.Parse(time.RFC3339Nano, h.Get("ce-time"))
	return Event{Stream: stream, ID: h.Get("ce-id"), Type: h.Get("ce-type"), Resource: h.Get("ce-subject"),
		Ticket: h.Get("ce-sanbaoticket"), Subject: m.Subject(), Time: t, Data: m.Data()}, nil
}

// Follow calls fn for every event of ticket on every stream until ctx ends. A stream that
// does not exist (yet) is skipped.
func Follow(ctx context.Context, js jetstream.JetStream, ticket string, fn func(Event)) error {
	var stops []func()
	defer func() {
		for _, s := range stops {
			s()
		}
	}()
	for _, stream := range Streams {
		c, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("consume %s: %w", stream, err)
		}
		cc, err := c.Consume(func(m jetstream.Msg) {
			if ev, err := FromMsg(stream, m); err == nil && ev.Ticket == ticket {
				fn(ev)
			}
		})
		if err != nil {
			return fmt.Errorf("consume %s: %w", stream, err)
		}
		stops = append(stops, cc.Stop)
	}
	<-ctx.Done()
	return nil
}

func main() {
	url := flag.String("nats", nats.DefaultURL, "NATS server URL")
	ticket := flag.String("ticket", "", "ticket id to follow (required)")
	flag.Parse()
	if *ticket == "" {
		fmt.Fprintln(os.Stderr, "follow-ticket: --ticket is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	nc, err := nats.Connect(*url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "follow-ticket:", err)
		os.Exit(1)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "follow-ticket:", err)
		os.Exit(1)
	}
	err = Follow(ctx, js, *ticket, func(e Event) {
		fmt.Printf("%s %-9s %-45s %-30s %s\n", e.Time.Format(time.RFC3339), e.Stream, e.Type, e.Resource, e.ID)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "follow-ticket:", err)
		os.Exit(1)
	}
}
