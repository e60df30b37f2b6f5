//go:build !unix

package vrptw

import "time"

func cpuNow() time.Time { return time.Now() }

const haveCPUClock = false
