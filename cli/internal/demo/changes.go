package demo

import (
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/sanbao/sanbao/platform/events"
)

// Changes wakes a walk's waits when an event of their ticket is published, so that a walk reads
// the ticket once per change instead of polling it: one subscription on every service's
// subjects, keyed by the ce-sanbaoticket header every event of a ticket's life carries.
// Benchmarks use it so that the walkers' own reads do not weigh on what is measured.
type Changes struct {
	sub     *nats.Subscription
	mu      sync.Mutex
	waiting map[string][]chan struct{}
}

// WatchChanges subscribes nc to every Sanbao subject.
func WatchChanges(nc *nats.Conn) (*Changes, error) {
	c := &Changes{waiting: map[string][]chan struct{}{}}
	sub, err := nc.Subscribe("sanbao.>", func(m *nats.Msg) {
		if id := m.Header.Get(events.HeaderTicket); id != "" {
			c.wake(id)
		}
	})
	if err != nil {
		return nil, err
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, err
	}
	c.sub = sub
	return c, nil
}

// Next returns a channel closed at the next event of the ticket published after the call.
func (c *Changes) Next(ticketID string) <-chan struct{} {
	ch := make(chan struct{})
	c.mu.Lock()
	c.waiting[ticketID] = append(c.waiting[ticketID], ch)
	c.mu.Unlock()
	return ch
}

// Forget drops the waits of a ticket that no longer matter (a wait that ended otherwise).
func (c *Changes) Forget(ticketID string) {
	c.mu.Lock()
	delete(c.waiting, ticketID)
	c.mu.Unlock()
}

func (c *Changes) wake(ticketID string) {
	c.mu.Lock()
	chs := c.waiting[ticketID]
	delete(c.waiting, ticketID)
	c.mu.Unlock()
	for _, ch := range chs {
		close(ch)
	}
}

// Close unsubscribes.
func (c *Changes) Close() error { return c.sub.Unsubscribe() }
