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
