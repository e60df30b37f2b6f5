//go:build unix

package vrptw

import (
	"syscall"
	"time"
)

// cpuNow returns the process's CPU time (user + system) as a time, so a budget read from it
// counts the work done, not the wall clock of a loaded machine. With GOMAXPROCS=1 and one
// solver running, that is one core's time.
func cpuNow() time.Time {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return time.Now()
	}
	d := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return time.Unix(0, 0).Add(d)
}

const haveCPUClock = true
