package loadgen

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK.
const prSetTimerSlack = 29

// sleeper sleeps precisely: the Go runtime parks idle threads in epoll with
// millisecond timeouts, so time.Sleep of a few hundred microseconds wakes
// up to a millisecond late. A sleeper locks its goroutine to a thread with
// a 1µs timer slack and sleeps in nanosleep.
type sleeper struct{ locked bool }

func (s *sleeper) open() {
	runtime.LockOSThread()
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
	s.locked = true
}

func (s *sleeper) close() {
	if s.locked {
		syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 50_000, 0) // the default
		runtime.UnlockOSThread()
		s.locked = false
	}
}

func (s *sleeper) sleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Nanosleep(&ts, nil)
}

// CPUTicks returns the machine's CPU time stolen by the hypervisor and
// its total CPU time, both in clock ticks summed over the CPUs (the
// first line of /proc/stat); ok is false where that cannot be read.
func CPUTicks() (steal, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, 0, false
	}
	for i, x := range f[1:] {
		v, err := strconv.ParseUint(string(x), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		if i < 8 { // user … steal; guest time is already in user
			total += v
		}
		if i == 7 {
			steal = v
		}
	}
	return steal, total, true
}

// ProcessCPU returns this process's CPU time so far, user and system,
// every thread (getrusage); ok is false where that cannot be read.
func ProcessCPU() (cpu time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
