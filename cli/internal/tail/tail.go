// Package tail prints Sanbao's events as they happen (or from the start of the streams), one
// readable line each, for operators and integrators watching the suite.
package tail

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanbao/sanbao/platform/events"
)

// Options say what to print.
type Options struct {
	Subject string // subject filter, default "sanbao.>"
	History bool   // replay what the streams hold before following live
	JSON    bool   // print each event's body as JSON on the line
	Streams []string
}

// Run prints events from nc until ctx ends.
func Run(ctx context.Context, nc *nats.Conn, w io.Writer, o Options) error {
	if o.Subject == "" {
		o.Subject = "sanbao.>"
	}
	var mu sync.Mutex
	print := func(subject string, h nats.Header, data []byte) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(w, Format(subject, h, data, o.JSON))
	}
	if !o.History {
		sub, err := nc.Subscribe(o.Subject, func(m *nats.Msg) { print(m.Subject, m.Header, m.Data) })
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", o.Subject, err)
		}
		defer func() { _ = sub.Unsubscribe() }()
		<-ctx.Done()
		return nil
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	streams := o.Streams
	if len(streams) == 0 {
		streams = []string{"TICKET", "WARRANTY", "DISPATCH", "INVENTORY"}
	}
	for _, s := range streams {
		c, err := js.OrderedConsumer(ctx, s, jetstream.OrderedConsumerConfig{FilterSubjects: []string{o.Subject}})
		if err != nil {
			fmt.Fprintf(w, "# stream %s: %v\n", s, err)
			continue
		}
		cc, err := c.Consume(func(m jetstream.Msg) { print(m.Subject(), m.Headers(), m.Data()) })
		if err != nil {
			return fmt.Errorf("consume %s: %w", s, err)
		}
		defer cc.Stop()
	}
	<-ctx.Done()
	return nil
}

// Format renders one event as a line: time, type, resource, subject and the body's key fields.
func Format(subject string, h nats.Header, data []byte, full bool) string {
	m, err := events.Parse(subject, h, data)
	if err != nil {
		return fmt.Sprintf("%s (not a CloudEvent) %s", subject, truncate(string(data), 200))
	}
	typ := m.Type[strings.LastIndexByte(m.Type, '.')+1:]
	line := fmt.Sprintf("%s  %-28s %-34s %s", m.Time.Local().Format(time.TimeOnly), typ, m.Resource, subject)
	if full {
		return line + "  " + string(data)
	}
	if s := summary(data); s != "" {
		line += "  " + s
	}
	return line
}

// summary picks the fields a reader looks for first (number, state, reason...) from the event
// body and from its nested messages (the resource snapshot), in a stable order.
func summary(data []byte) string {
	var body map[string]any
	if json.Unmarshal(data, &body) != nil {
		return ""
	}
	var parts []string
	add := func(prefix string, v map[string]any) {
		for _, k := range []string{"number", "state", "kind", "coverage", "reason", "level", "technicianId", "verdict"} {
			switch x := v[k].(type) {
			case string, float64, bool:
				parts = append(parts, fmt.Sprintf("%s%s=%v", prefix, k, x))
			}
		}
	}
	add("", body)
	nested := make([]string, 0, len(body))
	for k, v := range body {
		if _, ok := v.(map[string]any); ok {
			nested = append(nested, k)
		}
	}
	sort.Strings(nested)
	for _, k := range nested {
		add(k+".", body[k].(map[string]any))
	}
	return truncate(strings.Join(parts, " "), 160)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
