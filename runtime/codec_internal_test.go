package runtime

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
)

func TestAppendDuration(t *testing.T) {
	ds := []time.Duration{0, 1, -1, 999, time.Microsecond, 1500 * time.Millisecond, 200 * time.Millisecond, 10 * time.Minute, 25*time.Hour + 3*time.Second + 7, math.MaxInt64, math.MinInt64 + 1}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		ds = append(ds, time.Duration(rng.Int64N(1<<50)-1<<49))
	}
	for _, d := range ds {
		if got, want := string(appendDuration(nil, d)), lang.FormatDuration(d); got != want {
			t.Fatalf("%d: %s, want %s", int64(d), got, want)
		}
	}
}

func TestParseDurationFast(t *testing.T) {
	for _, s := range []string{"800ms", "0s", "30s", "1m", "2h", "3d", "15us", "15µs", "7ns", "007ms", "1h30m", "1.5s", "-5s", "5", "ms", "5x", "5msx", "999999999999999d", "106751d", "106752d", "9223372036ns", "1_000ms", "", "5 s", "5S"} {
		got, gerr := parseDuration(s)
		want, werr := lang.ParseDuration(s)
		if got != want || (gerr == nil) != (werr == nil) {
			t.Errorf("%q: %v %v, want %v %v", s, got, gerr, want, werr)
		}
	}
}

func BenchmarkParseDuration(b *testing.B) {
	for _, f := range []struct {
		name string
		fn   func(string) (time.Duration, error)
	}{{"lang", lang.ParseDuration}, {"fast", parseDuration}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.fn("800ms"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
