package stdlib

import (
	"fmt"
	"time"

	"github.com/rpl-lang/rpl/vm"
)

// Time comes only from the run's input (vm.Input.Now, the request's arrival
// time), never from the wall clock. A zero Input.Now reads as the Unix epoch.

func nowNanos(c *vm.Call) int64 {
	t := c.Now()
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeNow(c *vm.Call, a []vm.Value) (vm.Value, error) { return vm.Time(nowNanos(c)), nil }

func timeHour(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Int(int64(a[0].Time().Hour())), nil
}

func timeWeekday(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Int(int64(a[0].Time().Weekday())), nil
}

func timeSince(c *vm.Call, a []vm.Value) (vm.Value, error) {
	now, t := nowNanos(c), a[0].Int()
	d := now - t
	if (t > 0 && d > now) || (t < 0 && d < now) {
		return vm.Value{}, outOfRange(c, "now() - "+a[0].String(), "duration")
	}
	return vm.Duration(time.Duration(d)), nil
}

// Hashing and randomness. hash is FNV-1a 64 masked to 63 bits, a fixed
// function: the same on every router and release. Where hashes pick among
// weighted choices (weighted, ab.arm), the hash goes through the splitmix64
// finalizer first so that similar keys spread evenly.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	mask63    = 1<<63 - 1
)

func fnv1a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// mix64 is the splitmix64 finalizer: a bijection that spreads every input
// bit over the output.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Salts keep the draws of random() and weighted() independent for a seed.
const (
	saltRandom   = 0x9e3779b97f4a7c15
	saltWeighted = 0x6a09e667f3bcc909
)

func hashString(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s := a[0].Str()
	if err := chargeBytes(c, len(s)); err != nil {
		return vm.Value{}, err
	}
	return vm.Int(int64(fnv1a(fnvOffset, s) & mask63)), nil
}

func hashBucket(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, n := a[0].Str(), a[1].Int()
	if err := bucketProblem(n); err != nil {
		return vm.Value{}, err
	}
	if err := chargeBytes(c, len(s)); err != nil {
		return vm.Value{}, err
	}
	return vm.Int(int64(fnv1a(fnvOffset, s)&mask63) % n), nil
}

// bucketProblem is why bucket refuses the count n: not positive.
func bucketProblem(n int64) error {
	if n <= 0 {
		return fmt.Errorf("bucket count must be positive, got %d", n)
	}
	return nil
}

// hashRandom is a number in [0, 1) from the run's seed: the top 53 bits of
// splitmix64(seed). It depends on the seed only, so every call in one run
// returns the same number (a run is one decision; draw several independent
// choices with bucket or hash of distinct keys).
func hashRandom(c *vm.Call, a []vm.Value) (vm.Value, error) {
	return vm.Float(float64(mix64(c.Seed()^saltRandom)>>11) * 0x1p-53), nil
}
