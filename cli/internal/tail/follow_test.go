package tail_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sanbao/sanbao/cli/internal/tail"
	"github.com/sanbao/sanbao/platform/natstest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until out holds want.
func waitFor(t *testing.T, out *lockedBuffer, want string) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, func() error {
		if !strings.Contains(out.String(), want) {
			return fmt.Errorf("output has no %q yet:\n%s", want, out.String())
		}
		return nil
	})
}

// publish sends a message on subject until the tail printed it (a subscription made on
// reconnect may miss the first).
func publish(t *testing.T, url, subject string, out *lockedBuffer) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	natstest.Eventually(t, 30*time.Second, func() error {
		if err := nc.Publish(subject, []byte("hello")); err != nil {
			return err
		}
		_ = nc.Flush()
		if !strings.Contains(out.String(), subject) {
			return fmt.Errorf("tail has not printed %s yet", subject)
		}
		return nil
	})
}

func TestFollowReconnectsAndSaysSo(t *testing.T) {
	ns := natstest.Run(t)
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tail.Follow(ctx, ns.URL(), nil, out, tail.Options{}, tail.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond})
	}()
	waitFor(t, out, "# connected to")
	publish(t, ns.URL(), "sanbao.before.v1.x.created", out)

	ns.Shutdown()
	waitFor(t, out, "# lost the server")
	ns.Restart()
	waitFor(t, out, "# regained the server")
	publish(t, ns.URL(), "sanbao.after.v1.x.created", out)

	// Twice: it keeps reconnecting, not once only.
	ns.Shutdown()
	natstest.Eventually(t, 30*time.Second, func() error {
		if n := strings.Count(out.String(), "# lost the server"); n < 2 {
			return fmt.Errorf("lost %d times, want 2", n)
		}
		return nil
	})
	ns.Restart()
	natstest.Eventually(t, 30*time.Second, func() error {
		if n := strings.Count(out.String(), "# regained the server"); n < 2 {
			return fmt.Errorf("regained %d times, want 2", n)
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow() = %v, want nil when ctx ends", err)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("output to a non-terminal has colour escapes:\n%q", out.String())
	}
}

func TestFollowWaitsForAServerNotUpYet(t *testing.T) {
	ns := natstest.Run(t)
	url := ns.URL()
	ns.Shutdown()
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- tail.Follow(ctx, url, nil, out, tail.Options{}, tail.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond})
	}()
	waitFor(t, out, "# waiting for the server")
	ns.Restart()
	publish(t, url, "sanbao.late.v1.x.created", out)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Follow() = %v", err)
	}
}
