package svctest

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sanbao/sanbao/platform/clock"
)

// WorldEnv names the variable that moves a whole test world in time: an RFC 3339 time or a date
// (2036-03-17) that the world's "now" reads instead of the wall clock. Every service a test
// starts, in-process or as a separate binary, and every fake clock a test builds from Epoch
// follow it, so the suite can be run years ahead to prove that no test is pinned to a date:
//
//	SANBAO_TEST_NOW=2036-03-17 make test
const WorldEnv = "SANBAO_TEST_NOW"

var (
	shiftOnce sync.Once
	shift     time.Duration
	shiftErr  error
)

// Shift is how far the test world is ahead of the wall clock (zero unless WorldEnv is set).
// A malformed WorldEnv panics: it is a test harness setting, and a test run with a date that is
// silently ignored would prove nothing.
func Shift() time.Duration {
	shiftOnce.Do(func() {
		v := os.Getenv(WorldEnv)
		if v == "" {
			return
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.Parse(time.DateOnly, v)
		}
		if err != nil {
			shiftErr = fmt.Errorf("%s=%q: want an RFC 3339 time or a date like 2036-03-17", WorldEnv, v)
			return
		}
		shift = time.Until(t)
	})
	if shiftErr != nil {
		panic(shiftErr)
	}
	return shift
}

// Now is the test world's present: the wall clock moved by Shift.
func Now() time.Time { return time.Now().Add(Shift()) }

// WallClock is the clock of a service that a test does not drive by hand: the wall clock moved
// by Shift. Start gives it to every service whose Options name no Clock.
func WallClock() clock.Clock { return clock.Offset{D: Shift()} }

// Epoch is where a test world's fake clock starts: Monday 09:00 in Beijing (01:00 UTC) of the
// week after Now, so that calendars, holds and deadlines computed from it are always in the
// world's future and the first working day of the world is a full one. It is read once per
// process: tests that compare dates computed from it agree even when the run crosses midnight.
func Epoch() time.Time {
	epochOnce.Do(func() {
		now := Now().UTC()
		d := time.Date(now.Year(), now.Month(), now.Day(), 1, 0, 0, 0, time.UTC)
		days := (8 - int(d.Weekday())) % 7 // to the next Monday
		if days == 0 {
			days = 7
		}
		epoch = d.AddDate(0, 0, days)
	})
	return epoch
}

var (
	epochOnce sync.Once
	epoch     time.Time
)

// Clock returns a fake clock reading Epoch, for one test world: hand the same clock to every
// service the test starts.
func Clock() *clock.Fake { return clock.NewFake(Epoch()) }
