package timer_test

import (
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/timer"
)

// BenchmarkSchedule measures scheduling two timers per call, as a ticket save does for its SLA
// warning and breach: "same" schedules them at the deadlines they already have (a save that
// moved no deadline), "moved" at new ones. Each call is its own transaction.
func BenchmarkSchedule(b *testing.B) {
	for _, mode := range []string{"same", "moved"} {
		b.Run(mode, func(b *testing.B) {
			db := bolttest.Open(b, store.Schema{Version: 1})
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				due := t0.Add(time.Hour)
				if mode == "moved" {
					due = due.Add(time.Duration(i) * time.Second)
				}
				if err := db.Bolt().Update(func(tx *bbolt.Tx) error {
					if err := timer.Schedule(tx, "sla.warn", "T1|response", due, nil); err != nil {
						return err
					}
					return timer.Schedule(tx, "sla.breach", "T1|response", due.Add(time.Hour), nil)
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
