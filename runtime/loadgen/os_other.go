//go:build !linux

package loadgen

import "time"

type sleeper struct{}

func (s *sleeper) open()                 {}
func (s *sleeper) close()                {}
func (s *sleeper) sleep(d time.Duration) { time.Sleep(d) }

// CPUTicks is not available here.
func CPUTicks() (steal, total uint64, ok bool) { return 0, 0, false }
