package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig says how a service's stream is provisioned.
type StreamConfig struct {
	// Service is the service's short name ("ticket"); the stream is its upper-case form
	// ("TICKET") over the subjects "sanbao.<service>.>".
	Service string
	// Replicas is 1 for a single NATS server, 3 for a production cluster.
	Replicas int
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id to drop a republished event
	// (default 10 minutes: longer than any relay retry after a crash).
	DuplicateWindow time.Duration
	// MaxAge bounds how long events are kept (default 30 days).
	MaxAge time.Duration
}

// StreamName returns the stream name of a service: "ticket" → "TICKET".
func StreamName(service string) string { return strings.ToUpper(service) }

// SubjectPrefix returns "sanbao.<service>.".
func SubjectPrefix(service string) string { return "sanbao." + service + "." }

// EnsureStream creates the service's stream or updates it to cfg (an existing stream is updated
// in place, e.g. to allow atomic batch publishes). Storage is on file.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.DuplicateWindow <= 0 {
		cfg.DuplicateWindow = 10 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 30 * 24 * time.Hour
	}
	sc := jetstream.StreamConfig{
		Name:        StreamName(cfg.Service),
		Description: "Sanbao " + cfg.Service + " lifecycle events (CloudEvents, protojson)",
		Subjects:    []string{SubjectPrefix(cfg.Service) + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		MaxAge:      cfg.MaxAge,
		Discard:     jetstream.DiscardOld,
		// The outbox relay publishes its window as atomic batches: one fsync per batch instead
		// of one per event (nats-server 2.12+; an older server ignores it and the relay
		// publishes one event at a time).
		AllowAtomicPublish: true,
	}
	s, err := js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("provision stream %s: %w", sc.Name, err)
	}
	return s, nil
}

// IsStreamMissing reports whether err says a stream does not exist (yet).
func IsStreamMissing(err error) bool { return errors.Is(err, jetstream.ErrStreamNotFound) }
