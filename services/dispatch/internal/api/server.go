// Package api serves dispatch's gRPC API: it turns requests into domain decisions, keeps them
// in the store with their events and timers in one transaction, and runs the timers.
package api

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
	"github.com/sanbao/sanbao/services/dispatch/internal/inventory"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// Inventory is what dispatch needs of parts-inventory.
type Inventory interface {
	Reserve(ctx context.Context, requestID, jobID, ticketID, requester, locationID string, lines []inventory.Line, expire time.Time) (string, string, error)
	Release(ctx context.Context, requestID, jobID, reservationID, reason string) error
	Consume(ctx context.Context, requestID, reservationID string, used []inventory.Used) error
	Picture(ctx context.Context, site domain.Point, need []inventory.Line) (domain.PartsPicture, error)
}

// Options configure the API.
type Options struct {
	// Policy holds the dispatch rules' numbers; the zero value means domain.DefaultPolicy().
	Policy *domain.Policy
	// Distance estimates road distance; nil means great-circle × Policy.RoadFactor.
	Distance domain.Distance
	// Inventory is parts-inventory; nil turns parts reservation and parts-aware ranking off.
	Inventory Inventory
	// PictureTimeout bounds the stock lookup made before ranking (default 2s); when it runs
	// out, parts do not affect the ranking.
	PictureTimeout time.Duration
	// ReservationHold is how long a reservation is held before parts-inventory expires it
	// (default 7 days).
	ReservationHold time.Duration
	// Roads answers the driving matrix of a day's points (OSRM's table service); nil plans
	// days on straight lines (Policy.RoadFactor, Policy.SpeedKmh).
	Roads Roads
}

// Roads is a road-network engine: the driving durations and distances between points.
type Roads interface {
	Table(ctx context.Context, pts []domain.Point) (*plan.Matrix, error)
}

// Server implements dispatchv1.DispatchServiceServer.
type Server struct {
	dispatchv1.UnimplementedDispatchServiceServer

	policy  domain.Policy
	matcher domain.Matcher
	inv     Inventory
	opts    Options
	p       *daemon.Platform
	log     *zap.Logger

	mu     sync.RWMutex
	roster *domain.Roster
	// pending holds the load changes of transactions not committed yet, so that assignments
	// sharing one group commit see each other; they reach the roster when their transaction
	// commits (tx.OnCommit). Entries of rolled-back transactions are swept later.
	pending map[*bbolt.Tx]*staged

	// planSlots bounds the day plans solved at once (half the CPUs, at least one), so that
	// planning never takes every core from the service's other work.
	planSlots chan struct{}
}

// staged is one transaction's load changes.
type staged struct {
	loads map[string]domain.Loads
	at    time.Time
}

var _ dispatchv1.DispatchServiceServer = (*Server)(nil)

// New returns a server; call Start with the platform before serving.
func New(opts Options) *Server {
	pol := domain.DefaultPolicy()
	if opts.Policy != nil {
		pol = *opts.Policy
	}
	if opts.Distance == nil {
		opts.Distance = domain.RoadFactor{Factor: pol.RoadFactor}
	}
	if opts.PictureTimeout <= 0 {
		opts.PictureTimeout = 2 * time.Second
	}
	if opts.ReservationHold <= 0 {
		opts.ReservationHold = 7 * 24 * time.Hour
	}
	return &Server{
		policy:    pol,
		matcher:   domain.Matcher{Policy: pol, Distance: opts.Distance},
		inv:       opts.Inventory,
		opts:      opts,
		roster:    domain.NewRoster(),
		pending:   map[*bbolt.Tx]*staged{},
		planSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
	}
}

// Start keeps the platform, indexes the technicians and their loads, and registers the timer
// handlers.
func (s *Server) Start(p *daemon.Platform) error {
	s.p = p
	s.log = p.Log.Named("api")
	roster := domain.NewRoster()
	err := p.DB.View(func(tx *bbolt.Tx) error {
		if err := store.EachTechnician(tx, func(t *dispatchv1.Technician) error {
			dt, err := techToDomain(t, s.policy.Qualification)
			if err != nil {
				// Not offered jobs until fixed by UpdateTechnician; the service still starts.
				p.Log.Error("technician not indexed", zap.String("technician_id", t.GetId()), zap.Error(err))
				return nil
			}
			roster.Put(dt)
			return nil
		}); err != nil {
			return err
		}
		for _, st := range store.OpenStates() {
			if err := store.EachJobInState(tx, st, func(j *dispatchv1.Job) error {
				for _, k := range loadOf(roster, j) {
					roster.AddLoad(k.tech, k.day, 1)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index technicians: %w", err)
	}
	s.mu.Lock()
	s.roster = roster
	s.mu.Unlock()
	s.registerTimers()
	return nil
}

// errSkip ends a mutation without writing anything (a timer found nothing to do).
var errSkip = errors.New("nothing to change")

// loadKey is where a job counts toward a technician's capacity: the technician and the day.
type loadKey struct {
	tech string
	day  domain.Day
}

// plannedTime is when the job is expected on site: the appointment's start, else the
// assignment's planned arrival, else the assignment time.
func plannedTime(j *dispatchv1.Job) time.Time {
	if w := j.GetAppointment().GetWindow(); w != nil {
		return tm(w.GetStartTime())
	}
	if t := j.GetAssignment().GetPlannedArrivalTime(); t != nil {
		return t.AsTime()
	}
	return tm(j.GetAssignment().GetAssignedTime())
}

// loadOf returns where the job counts toward capacity: a key for its lead and one for each
// member of its team (domain.Crew), each on the day of their own calendar; none when it does
// not count (not open). The caller holds s.mu (read).
func loadOf(r *domain.Roster, j *dispatchv1.Job) []loadKey {
	if j == nil || !domain.State(j.GetState()).Open() {
		return nil
	}
	a := j.GetAssignment()
	at := plannedTime(j)
	var keys []loadKey
	for _, id := range domain.Crew(a.GetTechnicianId(), a.GetMemberIds()) {
		var cal domain.Calendar
		if t, ok := r.Technician(id); ok {
			cal = t.Calendar
		}
		keys = append(keys, loadKey{tech: id, day: cal.DayOf(at)})
	}
	if len(keys) == 0 { // unassigned: it still counts for nobody, as before
		keys = append(keys, loadKey{day: domain.Calendar{}.DayOf(at)})
	}
	return keys
}

// loadChange is a job's load before and after a change.
type loadChange struct {
	before, after []loadKey
}

func (s *Server) loadChange(old, nu *dispatchv1.Job) loadChange {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return loadChange{before: loadOf(s.roster, old), after: loadOf(s.roster, nu)}
}

// stageLoad records a load change made in tx; it reaches the roster when tx commits.
func (s *Server) stageLoad(tx *bbolt.Tx, c loadChange) {
	if slices.Equal(c.before, c.after) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.pending[tx]
	if st == nil {
		st = &staged{loads: map[string]domain.Loads{}, at: time.Now()}
		s.pending[tx] = st
		tx.OnCommit(func() { s.commitLoads(tx) })
	}
	add := func(k loadKey, n int) {
		l := st.loads[k.tech]
		if l == nil {
			l = domain.Loads{}
			st.loads[k.tech] = l
		}
		l[k.day] += n
	}
	for _, k := range c.before {
		add(k, -1)
	}
	for _, k := range c.after {
		add(k, 1)
	}
}

func (s *Server) commitLoads(tx *bbolt.Tx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.pending[tx]; st != nil {
		for id, l := range st.loads {
			for day, n := range l {
				s.roster.AddLoad(id, day, n)
			}
		}
	}
	delete(s.pending, tx)
	// Sweep the changes of transactions that rolled back (closed without committing) a while ago.
	for t, st := range s.pending {
		if t.DB() == nil && time.Since(st.at) > time.Minute {
			delete(s.pending, t)
		}
	}
}

// pendingLoads returns tx's staged load changes; the caller holds s.mu.
func (s *Server) pendingLoads(tx *bbolt.Tx) map[string]domain.Loads {
	if st := s.pending[tx]; st != nil {
		return st.loads
	}
	return nil
}

// jobChange is one change of a job inside a transaction.
type jobChange func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error

// mutateJob loads job jobID, applies fn, stores it with its indexes and records the response
// for requestID, all in one transaction; then it updates the load index and wakes the relay
// and the timers. set puts the job into resp.
func (s *Server) mutateJob(ctx context.Context, method, requestID string, req, resp proto.Message,
	jobID string, set func(*dispatchv1.Job), fn jobChange) error {
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, method, requestID, req, resp); found || err != nil {
			return err
		}
		j, found, err := store.Job(tx, jobID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: job %s", domain.ErrNotFound, jobID)
		}
		old := proto.Clone(j).(*dispatchv1.Job)
		now := s.p.Clock.Now()
		touch(j, now)
		s.stamp(tx, j, false)
		if err := fn(tx, j, now); err != nil {
			return err
		}
		if err := store.PutJob(tx, old, j); err != nil {
			return err
		}
		s.stageLoad(tx, s.loadChange(old, j))
		set(j)
		return idem.Save(tx, method, requestID, req, resp, now)
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return toStatus(err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return nil
}

func touch(j *dispatchv1.Job, now time.Time) {
	j.UpdateTime = ts(now)
	j.Etag = ids.NewAt(now)
}

// stamp records who makes the change of j in tx: the call's (or the timer's, or the event's)
// actor, never what a request said; on a new job, as its creator too.
func (s *Server) stamp(tx *bbolt.Tx, j *dispatchv1.Job, created bool) {
	auth.Stamp(tx, j, s.p.Name, created)
}

// toStatus maps domain errors to gRPC codes; everything else goes to rpc.Status.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	if re := (*domain.ReasonError)(nil); errors.As(err, &re) {
		return rpc.Fail(rpc.Reason(re.Reason), "%s", re.Msg)
	}
	switch {
	case errors.Is(err, domain.ErrInvalid):
		field, rule := splitField(strip(err, domain.ErrInvalid))
		return rpc.FieldError(field, "%s", rule)
	case errors.Is(err, domain.ErrNotFound):
		return rpc.Fail(rpc.ReasonNotFound, "%s not found", strip(err, domain.ErrNotFound))
	case errors.Is(err, domain.ErrPrecondition):
		reason := rpc.ReasonPrecondition
		if te := (*domain.TransitionError)(nil); errors.As(err, &te) {
			reason = rpc.ReasonStateConflict
		}
		return rpc.Fail(reason, "%s", strip(err, domain.ErrPrecondition))
	case errors.Is(err, domain.ErrSelfApproval):
		return rpc.Fail(rpc.ReasonSelfApproval, "%s", strip(err, domain.ErrSelfApproval))
	case errors.Is(err, domain.ErrExists):
		return rpc.Fail(rpc.ReasonAlreadyExists, "%s", strip(err, domain.ErrExists))
	case errors.Is(err, domain.ErrStale):
		return rpc.Fail(rpc.ReasonEtagMismatch, "etag: does not match the current version; read it again and retry")
	}
	return rpc.Status(err)
}

// strip returns the message after the sentinel's text ("invalid argument: x: y" → "x: y").
func strip(err, sentinel error) string {
	msg := err.Error()
	if i := strings.Index(msg, sentinel.Error()+": "); i >= 0 {
		return msg[i+len(sentinel.Error())+2:]
	}
	if te := (*domain.TransitionError)(nil); errors.As(err, &te) {
		return te.Error()
	}
	return msg
}

func splitField(msg string) (string, string) {
	if i := strings.Index(msg, ": "); i > 0 {
		return msg[:i], msg[i+2:]
	}
	return "request", msg
}
