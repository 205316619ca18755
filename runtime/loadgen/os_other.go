//go:build !linux

package loadgen

import "time"

type sleeper struct{}

func (s *sleeper) open()                 {}
func (s *sleeper) close()                {}
func (s *sleeper) sleep(d time.Duration) { time.Sleep(d) }

// CPUTicks is not available here.
func CPUTicks() (steal, total uint64, ok bool) { return 0, 0, false }

// ProcessCPU is not available here.
func ProcessCPU() (cpu time.Duration, ok bool) { return 0, false }
