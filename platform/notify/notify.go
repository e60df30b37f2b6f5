// Package notify sends messages to customers (SMS, WeChat template message, e-mail) through a
// small provider interface, from a durable outbox: a message is recorded in the business
// transaction that causes it (once per idempotency key), and delivered after the commit by a
// durable timer, at least once, held through the customer's quiet hours. In the all-in-one a
// log provider and the stored outbox (listed for an admin page) stand in for real gateways.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Channel is how a message reaches the customer.
type Channel string

// The channels.
const (
	SMS    Channel = "sms"
	WeChat Channel = "wechat"
	Email  Channel = "email"
)

// Message is one notification. It is stored in the outbox until delivered.
type Message struct {
	// Key is the idempotency key ("ticket/<id>/received"): a key is enqueued once, and
	// providers receive it to drop a resend (delivery is at least once).
	Key string
	// Channel to send on (chosen by Preference.Route).
	Channel Channel
	// To is the address on the channel: phone number, WeChat openid, e-mail address.
	To string
	// Template names the message kind ("ticket.received"); a WeChat template id or SMS
	// template is looked up from it by the provider.
	Template string
	// Params fill the template (no more personal data than the customer's own).
	Params map[string]string
	// Text is the message as plain text (SMS body, e-mail body, log line).
	Text string
}

// Provider delivers messages on one or more channels. The operator's gateways implement it:
// a WeChat template-message client (openid, template id, data fields), an SMS gateway (phone,
// template, params), SMTP (net/smtp is enough for e-mail).
type Provider interface {
	// Send delivers m; an error is retried later with the same m.Key.
	Send(ctx context.Context, m Message) error
}

// ErrNoProvider is returned for a channel no provider serves.
var ErrNoProvider = errors.New("no provider for the channel")

// Router sends each message through the provider of its channel.
type Router map[Channel]Provider

var _ Provider = Router(nil)

// Send implements Provider.
func (r Router) Send(ctx context.Context, m Message) error {
	p, ok := r[m.Channel]
	if !ok {
		return fmt.Errorf("%w %q", ErrNoProvider, m.Channel)
	}
	return p.Send(ctx, m)
}

// Has reports whether a channel is served.
func (r Router) Has(c Channel) bool { _, ok := r[c]; return ok }

// Log is the all-in-one's provider: it logs the message kind and key, never the address or text.
type Log struct {
	// Log receives one line per message.
	Log *zap.Logger
}

// Send implements Provider.
func (l Log) Send(_ context.Context, m Message) error {
	l.Log.Info("notification", zap.String("key", m.Key), zap.String("channel", string(m.Channel)),
		zap.String("template", m.Template), zap.String("to", mask(m.To)))
	return nil
}

// mask keeps the last four characters of an address.
func mask(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

// Preference is a customer's choice of channels and quiet hours.
type Preference struct {
	// Channels in order of preference, each with its address; the first one served is used.
	Channels []Address
	// QuietFrom and QuietTo are minutes after local midnight (21:00 = 1260, 08:00 = 480);
	// equal means no quiet hours. A window may cross midnight.
	QuietFrom, QuietTo int
	// Location is the customer's time zone (default Asia/Shanghai's UTC+8).
	Location *time.Location
}

// Address is one channel's address.
type Address struct {
	Channel Channel
	To      string
}

// DefaultQuiet are the default quiet hours, 21:00–08:00.
const (
	DefaultQuietFrom = 21 * 60
	DefaultQuietTo   = 8 * 60
)

// ErrNoChannel is returned when none of the customer's channels is served.
var ErrNoChannel = errors.New("none of the customer's channels is served")

// Route returns the customer's first channel that served reports true.
func (p Preference) Route(served func(Channel) bool) (Address, error) {
	for _, a := range p.Channels {
		if a.To != "" && served(a.Channel) {
			return a, nil
		}
	}
	return Address{}, ErrNoChannel
}

func (p Preference) loc() *time.Location {
	if p.Location != nil {
		return p.Location
	}
	return time.FixedZone("CST", 8*3600)
}

// DeliverAt is when a message due at t may be sent: t, or the end of the quiet hours t falls in.
func (p Preference) DeliverAt(t time.Time) time.Time {
	if p.QuietFrom == p.QuietTo {
		return t
	}
	lt := t.In(p.loc())
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, p.loc())
	m := lt.Hour()*60 + lt.Minute()
	at := func(day, minute int) time.Time {
		return midnight.AddDate(0, 0, day).Add(time.Duration(minute) * time.Minute)
	}
	if p.QuietFrom < p.QuietTo { // e.g. 12:00–14:00
		if m >= p.QuietFrom && m < p.QuietTo {
			return at(0, p.QuietTo)
		}
		return t
	}
	switch { // crosses midnight, e.g. 21:00–08:00
	case m >= p.QuietFrom:
		return at(1, p.QuietTo)
	case m < p.QuietTo:
		return at(0, p.QuietTo)
	}
	return t
}
