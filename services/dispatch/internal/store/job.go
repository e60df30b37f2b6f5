package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	bbolterrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Job returns the job with id; found is false when there is none.
func Job(tx *bbolt.Tx, id string) (*dispatchv1.Job, bool, error) {
	j := &dispatchv1.Job{}
	found, err := pstore.GetProto(tx, bucketJobs, []byte(id), j)
	if err != nil {
		return nil, false, fmt.Errorf("get job: %w", err)
	}
	return j, found, nil
}

func stateKey(s dispatchv1.JobState) string { return fmt.Sprintf("%02d", int32(s)) }

func assignee(j *dispatchv1.Job) string { return j.GetAssignment().GetTechnicianId() }

// team is the job's current lead and members (empty when unassigned).
func team(j *dispatchv1.Job) []string {
	if assignee(j) == "" {
		return nil
	}
	return append([]string{assignee(j)}, j.GetAssignment().GetMemberIds()...)
}

// onTeam reports whether tech leads or works the job.
func onTeam(j *dispatchv1.Job, tech string) bool {
	for _, id := range team(j) {
		if id == tech {
			return true
		}
	}
	return false
}

// PutJob writes j and keeps its indexes; old is the stored version (nil when new).
func PutJob(tx *bbolt.Tx, old, j *dispatchv1.Job) error {
	id := j.GetId()
	if old == nil {
		if err := pstore.Put(tx, bucketJobsByTicket, pstore.Key(j.GetTicketId(), id), nil); err != nil {
			return fmt.Errorf("put job: %w", err)
		}
	}
	if old == nil || old.GetState() != j.GetState() {
		if old != nil {
			if err := pstore.Delete(tx, bucketJobsByState, pstore.Key(stateKey(old.GetState()), id)); err != nil {
				return fmt.Errorf("put job: %w", err)
			}
		}
		if err := pstore.Put(tx, bucketJobsByState, pstore.Key(stateKey(j.GetState()), id), nil); err != nil {
			return fmt.Errorf("put job: %w", err)
		}
	}
	// Every member of the team finds the job in their list (seed 002: two or more engineers).
	for _, prev := range team(old) {
		if !onTeam(j, prev) {
			if err := pstore.Delete(tx, bucketJobsByTech, pstore.Key(prev, id)); err != nil {
				return fmt.Errorf("put job: %w", err)
			}
		}
	}
	for _, now := range team(j) {
		if old == nil || !onTeam(old, now) {
			if err := pstore.Put(tx, bucketJobsByTech, pstore.Key(now, id), nil); err != nil {
				return fmt.Errorf("put job: %w", err)
			}
		}
	}
	if prev, now := openHolder(old), openHolder(j); old == nil || prev != now {
		if prev != "" {
			if err := pstore.Delete(tx, bucketOpenJobsByTech, pstore.Key(prev, id)); err != nil {
				return fmt.Errorf("put job: %w", err)
			}
		}
		if now != "" {
			if err := pstore.Put(tx, bucketOpenJobsByTech, pstore.Key(now, id), nil); err != nil {
				return fmt.Errorf("put job: %w", err)
			}
		}
	}
	if err := pstore.PutProto(tx, bucketJobs, []byte(id), j); err != nil {
		return fmt.Errorf("put job: %w", err)
	}
	return nil
}

// openStates are the states in which a job is on its technician's day.
var openStates = []dispatchv1.JobState{dispatchv1.JobState_JOB_STATE_ASSIGNED, dispatchv1.JobState_JOB_STATE_ACCEPTED,
	dispatchv1.JobState_JOB_STATE_EN_ROUTE, dispatchv1.JobState_JOB_STATE_ON_SITE}

// OpenStates are the states in which a job is on its technician's day and counts toward their
// load.
func OpenStates() []dispatchv1.JobState { return slices.Clone(openStates) }

// openHolder is the technician whose open jobs j is among, or "".
func openHolder(j *dispatchv1.Job) string {
	if j == nil || !slices.Contains(openStates, j.GetState()) {
		return ""
	}
	return assignee(j)
}

// OpenJobsOf calls fn for each open job technician holds, in creation order.
func OpenJobsOf(tx *bbolt.Tx, technician string, fn func(*dispatchv1.Job) error) error {
	return eachJobUnder(tx, bucketOpenJobsByTech, pstore.Prefix(technician), fn)
}

// RecentJobsOf calls fn for the jobs technician holds or last held, newest first, at most n,
// until fn returns false.
func RecentJobsOf(tx *bbolt.Tx, technician string, n int, fn func(*dispatchv1.Job) bool) error {
	b, err := pstore.Bucket(tx, bucketJobsByTech)
	if err != nil {
		return err
	}
	prefix := pstore.Prefix(technician)
	c := b.Cursor()
	// Seek past the prefix (the next possible key), then step back into it.
	end := append(bytes.Clone(prefix), 0xff)
	k, _ := c.Seek(end)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && n > 0; k, _ = c.Prev() {
		n--
		j, found, err := Job(tx, string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if found && !fn(j) {
			return nil
		}
	}
	return nil
}

// RebuildOpenJobs rebuilds open_jobs_by_technician from jobs_by_state (the upgrade to layout 2).
func RebuildOpenJobs(tx *bbolt.Tx) error {
	if err := tx.DeleteBucket(bucketOpenJobsByTech); err != nil && !errors.Is(err, bbolterrors.ErrBucketNotFound) {
		return fmt.Errorf("rebuild open jobs: %w", err)
	}
	if _, err := tx.CreateBucket(bucketOpenJobsByTech); err != nil {
		return fmt.Errorf("rebuild open jobs: %w", err)
	}
	for _, st := range openStates {
		if err := EachJobInState(tx, st, func(j *dispatchv1.Job) error {
			if h := openHolder(j); h != "" {
				return pstore.Put(tx, bucketOpenJobsByTech, pstore.Key(h, j.GetId()), nil)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("rebuild open jobs: %w", err)
		}
	}
	return nil
}

// JobFilter selects jobs in ListJobs; filters combine with AND.
type JobFilter struct {
	State dispatchv1.JobState
	// TechnicianID selects the jobs the technician leads or is a member of.
	TechnicianID string
	TicketID     string
}

func (f JobFilter) match(j *dispatchv1.Job) bool {
	return (f.State == dispatchv1.JobState_JOB_STATE_UNSPECIFIED || j.GetState() == f.State) &&
		(f.TechnicianID == "" || onTeam(j, f.TechnicianID)) &&
		(f.TicketID == "" || j.GetTicketId() == f.TicketID)
}

// ListJobs returns a page of jobs in creation order, from the most selective index, and the
// next page token.
func ListJobs(tx *bbolt.Tx, f JobFilter, token string, size int) ([]*dispatchv1.Job, string, error) {
	var out []*dispatchv1.Job
	visit := func(id []byte) (bool, error) {
		j := &dispatchv1.Job{}
		found, err := pstore.GetProto(tx, bucketJobs, id, j)
		if err != nil || !found || !f.match(j) {
			return false, err
		}
		out = append(out, j)
		return true, nil
	}
	bucket, prefix := bucketJobs, []byte(nil)
	switch {
	case f.TicketID != "":
		bucket, prefix = bucketJobsByTicket, pstore.Prefix(f.TicketID)
	case f.TechnicianID != "":
		bucket, prefix = bucketJobsByTech, pstore.Prefix(f.TechnicianID)
	case f.State != dispatchv1.JobState_JOB_STATE_UNSPECIFIED:
		bucket, prefix = bucketJobsByState, pstore.Prefix(stateKey(f.State))
	}
	next, err := pstore.Scan(tx, bucket, pstore.Page{Prefix: prefix, Token: token, Size: size},
		func(k, _ []byte) (bool, error) { return visit(k[len(prefix):]) })
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	return out, next, nil
}

// EachJobInState calls fn for every job in state (start-up load counting).
func EachJobInState(tx *bbolt.Tx, st dispatchv1.JobState, fn func(*dispatchv1.Job) error) error {
	return eachJobUnder(tx, bucketJobsByState, pstore.Prefix(stateKey(st)), fn)
}

// eachJobUnder calls fn for each job whose id follows prefix in the index bucket, in key order.
func eachJobUnder(tx *bbolt.Tx, bucket, prefix []byte, fn func(*dispatchv1.Job) error) error {
	b, err := pstore.Bucket(tx, bucket)
	if err != nil {
		return err
	}
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		j, found, err := Job(tx, string(k[len(prefix):]))
		if err != nil {
			return err
		}
		if found {
			if err := fn(j); err != nil {
				return err
			}
		}
	}
	return nil
}

// Sort orders of ListJobsOrdered.
const (
	SortCreate   = "create_time"
	SortDue      = "due_time"
	SortPriority = "priority"
)

// maxSortScan bounds the index entries read to collect the jobs of an in-memory sort.
const maxSortScan = 4 * pstore.MaxSort

// JobDue is when the job is due: the earliest of arrange_by, arrive_by and fix_by; false when
// it has none.
func JobDue(j *dispatchv1.Job) (time.Time, bool) {
	var due time.Time
	for _, ts := range []*timestamppb.Timestamp{j.GetArrangeBy(), j.GetArriveBy(), j.GetFixBy()} {
		if ts == nil {
			continue
		}
		if t := ts.AsTime(); due.IsZero() || t.Before(due) {
			due = t
		}
	}
	return due, !due.IsZero()
}

// sortKey is the job's key in an in-memory sort: the sort value, the create time, the id.
func sortKey(j *dispatchv1.Job, sort string) []byte {
	var v []byte
	switch sort {
	case SortDue:
		if due, ok := JobDue(j); ok {
			v = append([]byte{0}, pstore.TimeKey(due)...)
		} else {
			v = append([]byte{1}, make([]byte, 8)...)
		}
	case SortPriority:
		v = []byte{byte(j.GetPriority())}
	}
	return pstore.Join(append(v, pstore.TimeKey(j.GetCreateTime().AsTime())...), []byte(j.GetId()))
}

// ListJobsOrdered returns a page of jobs in sort order (SortCreate, SortDue, SortPriority),
// ascending unless desc. Creation order is the index's (ids are ULIDs); the others sort the
// matching jobs in memory, at most pstore.MaxSort of them (ErrTooManyToSort beyond).
func ListJobsOrdered(tx *bbolt.Tx, f JobFilter, sort string, desc bool, token string, size int) ([]*dispatchv1.Job, string, error) {
	bucket, prefix := bucketJobs, []byte(nil)
	switch {
	case f.TicketID != "":
		bucket, prefix = bucketJobsByTicket, pstore.Prefix(f.TicketID)
	case f.TechnicianID != "":
		bucket, prefix = bucketJobsByTech, pstore.Prefix(f.TechnicianID)
	case f.State != dispatchv1.JobState_JOB_STATE_UNSPECIFIED:
		bucket, prefix = bucketJobsByState, pstore.Prefix(stateKey(f.State))
	}
	if sort == SortCreate {
		var out []*dispatchv1.Job
		next, err := pstore.Scan(tx, bucket, pstore.Page{Prefix: prefix, Token: token, Size: size, Reverse: desc},
			func(k, _ []byte) (bool, error) {
				j, found, err := Job(tx, string(k[len(prefix):]))
				if err != nil || !found || !f.match(j) {
					return false, err
				}
				out = append(out, j)
				return true, nil
			})
		if err != nil {
			return nil, "", fmt.Errorf("list jobs: %w", err)
		}
		return out, next, nil
	}
	b, err := pstore.Bucket(tx, bucket)
	if err != nil {
		return nil, "", err
	}
	var items []pstore.Sorted[*dispatchv1.Job]
	c, scanned := b.Cursor(), 0
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if scanned++; scanned > maxSortScan || len(items) > pstore.MaxSort {
			return nil, "", pstore.ErrTooManyToSort
		}
		j, found, err := Job(tx, string(k[len(prefix):]))
		if err != nil {
			return nil, "", err
		}
		if found && f.match(j) {
			items = append(items, pstore.Sorted[*dispatchv1.Job]{Key: sortKey(j, sort), Item: j})
		}
	}
	dir := "a"
	if desc {
		dir = "d"
	}
	return pstore.SortedPage(tx, bucket, sort+":"+dir+":"+string(prefix), items, desc, token, size)
}
