package loadgen

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sleeper sleeps precisely without holding a processor: the Go runtime
// parks idle threads in epoll with a millisecond's resolution, so
// time.Sleep wakes up to a millisecond late, and a thread asleep in
// nanosleep keeps its processor (in a system call, until sysmon takes it
// back), with the goroutines its sender readied waiting on it (the
// connection's flusher: the request just "sent" would wait for the sleep
// to end). A sleeper waits on a timerfd through the netpoller instead:
// the goroutine parks, its processor runs what it readied, and the
// timer's expiry (an hrtimer, no slack) makes it runnable again.
type sleeper struct {
	f   *os.File
	fd  int // f's, kept: f.Fd() would put it in blocking mode
	buf [8]byte
}

func (s *sleeper) open() {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return // time.Sleep then
	}
	s.f, s.fd = os.NewFile(uintptr(fd), "timerfd"), fd
}

func (s *sleeper) close() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

func (s *sleeper) sleep(d time.Duration) {
	if s.f == nil {
		time.Sleep(d)
		return
	}
	ts := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(s.fd, 0, &ts, nil); err != nil {
		time.Sleep(d)
		return
	}
	s.f.Read(s.buf[:])
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
