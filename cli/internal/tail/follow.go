package tail

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sanbao/sanbao/cli/internal/style"
)

// Backoff bounds the wait between reconnection attempts: it doubles from Min up to Max.
type Backoff struct{ Min, Max time.Duration }

// DefaultBackoff is what `sanbao events tail` waits between attempts.
var DefaultBackoff = Backoff{Min: 250 * time.Millisecond, Max: 15 * time.Second}

// delay is the wait before attempt n (1, 2, ...).
func (b Backoff) delay(n int) time.Duration {
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Follow connects to url and prints events until ctx ends, like Run; it never gives up on the
// server: it waits for one that is not up yet, reconnects forever with backoff, and prints a
// line ("# lost the server …", "# regained the server …") each time it loses or regains it.
// Live events published while it was away are not printed (--history replays the streams).
func Follow(ctx context.Context, url string, nopts []nats.Option, w io.Writer, o Options, b Backoff) error {
	st := style.For(w) // before wrapping: colour only when w is a terminal
	sw := &syncWriter{w: w}
	var lost time.Time
	opts := append([]nats.Option{},
		nats.Name("sanbao-events-tail"),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.CustomReconnectDelay(b.delay),
		nats.ConnectHandler(func(c *nats.Conn) {
			fmt.Fprintf(sw, "# connected to %s\n", c.ConnectedUrlRedacted())
		}),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			lost = time.Now()
			why := ""
			if err != nil {
				why = ": " + err.Error()
			}
			fmt.Fprintln(sw, st.Red(fmt.Sprintf("# lost the server at %s%s; reconnecting", lost.Format(time.TimeOnly), why)))
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			fmt.Fprintln(sw, st.Green(fmt.Sprintf("# regained the server %s after %v", c.ConnectedUrlRedacted(), time.Since(lost).Round(time.Second))))
		}),
	)
	nc, err := nats.Connect(url, append(opts, nopts...)...)
	if err != nil {
		return fmt.Errorf("connect %s: %w", url, err)
	}
	defer nc.Close()
	if !nc.IsConnected() {
		fmt.Fprintf(sw, "# waiting for the server at %s\n", url)
	}
	return Run(ctx, nc, sw, o)
}

// syncWriter serialises the lines of the event printer and of the connection handlers.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
