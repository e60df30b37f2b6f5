// Package api serves sanbao.inventory.v1.InventoryService: request → domain rules → store,
// with idempotency, events through the outbox, reservation expiry timers and the consumer of
// dispatch's job-cancelled events.
package api

import (
	"context"
	"errors"
	"fmt"
	"go.etcd.io/bbolt"
	"time"

	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// Server implements InventoryService.
type Server struct {
	inventoryv1.UnimplementedInventoryServiceServer

	policy domain.Policy
	p      *daemon.Platform
	store  *store.Store
}

var _ inventoryv1.InventoryServiceServer = (*Server)(nil)

// New returns a server that applies policy. It serves once Start has given it the platform.
func New(policy domain.Policy) *Server { return &Server{policy: policy} }

// Start wires the server to the platform: the store, the reservation expiry timer and the
// durable consumer of dispatch's job-cancelled events.
func (s *Server) Start(p *daemon.Platform) {
	s.p = p
	s.store = store.New(p.DB)
	p.Timers.Handle(TimerReservationExpiry, s.expireReservation)
	p.Consume(events.ConsumerConfig{
		Stream:         StreamDispatch,
		Durable:        DurableJobCancelled,
		FilterSubjects: []string{SubjectJobCancelled},
		Handle:         store.ConsumerHandler(s.onJobCancelled),
	})
}

// Store returns the server's store (tests verify the ledger with it).
func (s *Server) Store() *store.Store { return s.store }

// update runs fn in a transaction, idempotent on req's request_id (daemon.Platform.Update):
// a retry gets the stored response, and fn's effects happen once.
func (s *Server) update(ctx context.Context, method string, req idem.Request, resp proto.Message, fn func(tx *store.Tx, now time.Time) error) error {
	return toStatus(s.p.Update(ctx, method, req, resp, func(tx *bbolt.Tx, now time.Time) error { return fn(store.Wrap(tx), now) }))
}

// view runs fn in a read-only transaction and maps its error.
func (s *Server) view(fn func(tx *store.Tx) error) error {
	if err := s.store.View(fn); err != nil {
		return toStatus(err)
	}
	return nil
}

func emit(tx *store.Tx, subject, resource string, data proto.Message, now time.Time) error {
	if _, err := outbox.Append(tx.Bolt(), outbox.Event{Subject: subject, Resource: resource, Data: data, Time: now}); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

func page(size int32, token string) store.Page {
	return store.Page{Token: token, Size: pstore.PageSize(size)}
}

// toStatus is the one table from errors to gRPC codes.
func toStatus(err error) error {
	var (
		field    *domain.FieldError
		short    *domain.ShortageError
		notFound *store.NotFoundError
	)
	switch {
	case errors.As(err, &field):
		return rpc.FieldError(field.Field, "%s", field.Rule)
	case errors.As(err, &short):
		return rpc.Fail(rpc.ReasonStockShort, "insufficient stock: %s", short.Error())
	case errors.Is(err, domain.ErrIllegalTransition):
		return rpc.Fail(rpc.ReasonStateConflict, "%s", err.Error())
	case errors.Is(err, domain.ErrPrecondition):
		return rpc.Fail(rpc.ReasonPrecondition, "%s", err.Error())
	case errors.As(err, &notFound):
		return rpc.Fail(rpc.ReasonNotFound, "%s", notFound.Error())
	case errors.Is(err, store.ErrAlreadyExists):
		return rpc.Fail(rpc.ReasonAlreadyExists, "%s", err.Error())
	case errors.Is(err, domain.ErrStale):
		return rpc.Fail(rpc.ReasonEtagMismatch, "%s", err.Error())
	}
	return rpc.Status(err)
}

// onJobCancelled releases every active reservation of a cancelled dispatch job.
func (s *Server) onJobCancelled(tx *store.Tx, m events.Message) error {
	ev := &dispatchv1.JobCancelled{}
	if err := m.Decode(ev); err != nil {
		return events.Permanent(fmt.Errorf("decode %s: %w", m.Type, err))
	}
	jobID := ev.GetJob().GetId()
	if jobID == "" {
		return events.Permanent(errors.New("job cancelled event without a job id"))
	}
	now := s.p.Clock.Now()
	_, err := s.releaseJob(tx, jobID, "job cancelled", now)
	return err
}
