package loadgen

import (
	"runtime"
	"syscall"
	"time"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK.
const prSetTimerSlack = 29

// pacer sleeps precisely: the Go runtime parks idle threads in epoll with
// millisecond timeouts, so time.Sleep of a few hundred microseconds wakes
// up to a millisecond late, which an open-loop generator would charge to
// the server. A pacer locks its goroutine to a thread with a 1µs timer
// slack and sleeps in nanosleep.
type pacer struct{ locked bool }

func newPacer() *pacer {
	runtime.LockOSThread()
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
	return &pacer{locked: true}
}

func (p *pacer) close() {
	if p.locked {
		syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 50_000, 0) // the default
		runtime.UnlockOSThread()
	}
}

// until sleeps until start+at.
func (p *pacer) until(start time.Time, at time.Duration) {
	for {
		d := at - time.Since(start)
		if d <= 0 {
			return
		}
		ts := syscall.NsecToTimespec(int64(d))
		syscall.Nanosleep(&ts, nil)
	}
}
