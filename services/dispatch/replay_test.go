package dispatch_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/svctest"
)

// TestOfflineQueueReplay: a technician's phone queues the whole visit while offline and, with
// a weak signal, sends every call twice in order (the answer to the first was lost), then the
// whole queue once more when back online. Every call answers OK and the visit lands once: one
// event of each kind, the report as first sent.
func TestOfflineQueueReplay(t *testing.T) {
	w := startPool(t)
	ctx := context.Background()
	j := w.createJob(t, jobInput("T-OFFLINE"))
	tech := j.GetAssignment().GetTechnicianId()
	var holder = w.a
	for _, tc := range []*dispatchv1.Technician{w.a, w.b, w.unskilled, w.elsewhere} {
		if tc.GetId() == tech {
			holder = tc
		}
	}
	phone := w.as(t, holder)
	refresh := func() { phone = w.as(t, holder) } // the phone renews its token as the day goes on
	at := w.clock.Now().Add(2 * time.Hour)        // signed on site, queued with the report
	queue := []struct {
		name string
		call func() (proto.Message, error)
	}{
		{"accept", func() (proto.Message, error) {
			return phone.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "q-1-accept", JobId: j.GetId()})
		}},
		{"start travel", func() (proto.Message, error) {
			return phone.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: "q-2-travel", JobId: j.GetId()})
		}},
		{"check in", func() (proto.Message, error) {
			return phone.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "q-3-checkin", JobId: j.GetId(), Point: site})
		}},
		{"record work", func() (proto.Message, error) {
			return phone.RecordWork(ctx, &dispatchv1.RecordWorkRequest{RequestId: "q-4-work", JobId: j.GetId(),
				Report: &dispatchv1.ServiceReport{Diagnosis: "injector clogged", WorkDone: "replaced injector"}})
		}},
		{"complete", func() (proto.Message, error) {
			so := signed(at)
			so.SignatureRef = "01JSIGNATUREATTACHMENT0001" // the signature image's attachment id (ticket service)
			return phone.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "q-5-complete", JobId: j.GetId(),
				Report: &dispatchv1.ServiceReport{Resolved: true, Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY, SignOff: so}})
		}},
	}
	first := map[string]proto.Message{}
	for _, q := range queue {
		for try := range 2 {
			resp, err := q.call()
			if err != nil {
				t.Fatalf("%s (send %d) = %v", q.name, try+1, err)
			}
			if prev, ok := first[q.name]; ok && !proto.Equal(prev, resp) {
				t.Errorf("%s replayed answered differently:\n%v\nwant\n%v", q.name, resp, prev)
			}
			first[q.name] = resp
		}
		w.clock.Advance(30 * time.Minute)
		refresh()
	}
	for _, q := range queue { // back online: the whole queue once more
		if _, err := q.call(); err != nil {
			t.Errorf("%s (queue replayed) = %v", q.name, err)
		}
	}
	op := dispatchv1.NewDispatchServiceClient(w.run.DialAs(t, svctest.Operator)) // a token of the hour
	gr, err := op.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: j.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	got := gr.GetJob()
	if got.GetState() != dispatchv1.JobState_JOB_STATE_COMPLETED || got.GetReport().GetWorkDone() != "replaced injector" ||
		got.GetReport().GetSignOff().GetSignatureRef() != "01JSIGNATUREATTACHMENT0001" {
		t.Fatalf("job after replay = %s, report %v; want COMPLETED with the report as sent", got.GetState(), got.GetReport())
	}
	w.waitEvents(t, j.GetId(), "accepted", "en_route", "checked_in", "visit_completed")
	count := map[string]int{}
	for _, ev := range w.events.forJob(j.GetId()) {
		count[ev]++
	}
	for _, ev := range []string{"accepted", "en_route", "checked_in", "visit_completed"} {
		if count[ev] != 1 {
			t.Errorf("job.%s published %d times, want once (events %v)", ev, count[ev], w.events.forJob(j.GetId()))
		}
	}
}

// TestListDayJobs: a technician's day in visit order, in one call; other technicians' jobs and
// jobs of later days are not in it.
func TestListDayJobs(t *testing.T) {
	w := startPool(t)
	ctx := context.Background()
	j1 := w.createJob(t, jobInput("T-DAY-1"))
	in := jobInput("T-DAY-2")
	in.Site.Point = &typev1.GeoPoint{Latitude: site.Latitude + 0.1, Longitude: site.Longitude} // nearer a
	w.createJob(t, in)                                                                         // a second job, held by whoever is best for it
	holder := j1.GetAssignment().GetTechnicianId()
	var tech *dispatchv1.Technician
	for _, tc := range []*dispatchv1.Technician{w.a, w.b, w.elsewhere} {
		if tc.GetId() == holder {
			tech = tc
		}
	}
	if tech == nil {
		t.Fatalf("job held by %s, not one of the world's technicians", holder)
	}
	resp, err := w.as(t, tech).ListDayJobs(ctx, &dispatchv1.ListDayJobsRequest{DayStart: timestamppb.New(w.clock.Now().Truncate(24 * time.Hour))})
	if err != nil {
		t.Fatalf("ListDayJobs = %v", err)
	}
	var got []string
	for _, j := range resp.GetJobs() {
		if j.GetAssignment().GetTechnicianId() != holder {
			t.Errorf("ListDayJobs returned %s held by %s", j.GetId(), j.GetAssignment().GetTechnicianId())
		}
		got = append(got, j.GetId())
	}
	for i := 1; i < len(resp.GetJobs()); i++ {
		a, b := resp.GetJobs()[i-1].GetAssignment().GetPlannedArrivalTime().AsTime(), resp.GetJobs()[i].GetAssignment().GetPlannedArrivalTime().AsTime()
		if b.Before(a) {
			t.Errorf("ListDayJobs not in planned order: %v then %v", a, b)
		}
	}
	if !slices.Contains(got, j1.GetId()) {
		t.Errorf("ListDayJobs = %v, want it to hold %s", got, j1.GetId())
	}
	later, err := w.as(t, tech).ListDayJobs(ctx, &dispatchv1.ListDayJobsRequest{DayStart: timestamppb.New(w.clock.Now().Add(-72 * time.Hour))})
	if err != nil || len(later.GetJobs()) != 0 {
		t.Errorf("ListDayJobs of a day before the jobs = %v, %v; want none", later.GetJobs(), err)
	}
}
