package loadgen

import (
	"runtime/metrics"
	"testing"
	"time"
)

// TestSleeperParks holds the sleeper to its contract: it sleeps at least
// as long as asked, and while it sleeps its goroutine is parked, not in a
// system call. A goroutine in a system call (nanosleep) keeps its
// processor until sysmon takes it back, and what its sender readied just
// before (the NATS client's flusher, with the request "sent") waits on
// that processor; a parked goroutine leaves it at once.
func TestSleeperParks(t *testing.T) {
	var s sleeper
	s.open()
	defer s.close()
	if s.f == nil {
		t.Fatal("no timerfd: the sleeper would fall back to time.Sleep")
	}
	sample := []metrics.Sample{{Name: "/sched/goroutines/not-in-go:goroutines"}}
	inSyscall := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	before := inSyscall()
	const d = 200 * time.Millisecond
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		s.sleep(d)
		done <- time.Since(start)
	}()
	most := uint64(0)
	for {
		select {
		case took := <-done:
			if took < d {
				t.Errorf("slept %v, asked %v", took, d)
			}
			if most > before {
				t.Errorf("%d goroutines in system calls while the sleeper slept, %d before: it sleeps in one", most, before)
			}
			return
		case <-time.After(time.Millisecond):
			most = max(most, inSyscall())
		}
	}
}
