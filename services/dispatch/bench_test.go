package dispatch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/ids"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/dispatch"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// preload writes 1,000 technicians (five product lines over a 4°×4° region, capacity 4 a day)
// and 10,000 open jobs assigned among them (two a day each over five days) into a new
// dispatch file in dir.
func preload(b *testing.B, dir string, rng *rand.Rand) {
	db, err := pstore.Open(filepath.Join(dir, "dispatch.db"), store.Schema(), zap.NewNop(), pstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var techs []*dispatchv1.Technician
	err = db.UpdateAlone(func(tx *bbolt.Tx) error {
		for i := range 1000 {
			t := technician(fmt.Sprintf("t%04d", i), 0)
			t.Id = ids.New()
			t.HomeBase = &typev1.GeoPoint{Latitude: 34.65 + rng.Float64()*4, Longitude: 115.12 + rng.Float64()*4}
			t.Skills = []*dispatchv1.ProductSkills{{ProductLine: fmt.Sprintf("line-%d", i%5), Skills: []string{"fuel-system"}}}
			t.CapacityPerDay = 4
			techs = append(techs, t)
			if err := store.PutTechnician(tx, nil, t); err != nil {
				return err
			}
		}
		for i := range 10000 {
			t := techs[i%len(techs)]
			j := jobInput(fmt.Sprintf("pre-%d", i))
			j.Id = ids.New()
			j.ProductLine = t.GetSkills()[0].GetProductLine()
			j.State = dispatchv1.JobState_JOB_STATE_ACCEPTED
			// Two a day each over the next five days.
			planned := start.Add(time.Duration((i/len(techs))%5) * 24 * time.Hour)
			j.Assignment = &dispatchv1.Assignment{TechnicianId: t.GetId(), OrganisationId: t.GetOrganisationId(),
				AssignedTime: timestamppb.New(start), PlannedArrivalTime: timestamppb.New(planned)}
			if err := store.PutJob(tx, nil, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCreateJobAssignment measures CreateJob over gRPC (rank 1,000 technicians with
// 10,000 open jobs, assign, commit with its events and timers) and reports p50/p99.
func BenchmarkCreateJobAssignment(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := b.TempDir()
	preload(b, dir, rng)
	cfg := dispatch.DefaultConfig()
	cfg.InventoryAddr = ""
	// The preloaded technicians hold no qualification records: with the rule on, every one
	// would be excluded and the benchmark would time an empty ranking.
	cfg.Policy.Qualification.Required = false
	svc, err := dispatch.New(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := svctest.Start(b, svc, svctest.Options{Name: "dispatch", DataDir: dir, Clock: clock.NewFake(start),
		Log: zap.NewNop()})
	client := dispatchv1.NewDispatchServiceClient(s.Conn)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	assigned := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := jobInput(fmt.Sprintf("bench-%d", i))
		in.ProductLine = fmt.Sprintf("line-%d", i%5)
		in.Site.Point = &typev1.GeoPoint{Latitude: 34.65 + rng.Float64()*4, Longitude: 115.12 + rng.Float64()*4}
		in.ArriveBy = timestamppb.New(start.Add(24 * time.Hour))
		t0 := time.Now()
		resp, err := client.CreateJob(ctx, &dispatchv1.CreateJobRequest{RequestId: fmt.Sprintf("bench-%d", i), Job: in})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if resp.GetJob().GetState() == dispatchv1.JobState_JOB_STATE_ASSIGNED {
			assigned++
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(assigned)/float64(b.N), "assigned-ratio")
}
