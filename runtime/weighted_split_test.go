package runtime_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// splitPolicy draws from the split that the request's metadata "split"
// names, by the request's seed, or by its metadata "session" when given
// (a sticky session: the key's seed).
const splitPolicy = `package split_t

fn split(r: Request) -> map[string, int] {
  match r.metadata["split"] ?? "" {
    "small" => {"a:m": 70, "b:m": 30}
    "four" => {"a:m": 1, "b:m": 2, "c:m": 3, "d:m": 4}
    "huge" => {"a:m": 1_152_921_504_606_846_976, "b:m": 2_305_843_009_213_693_952}
    "zero" => {"a:m": 0, "b:m": 5, "c:m": 0}
    _ => {"a:m": 7}
  }
}

fn route(r: Request) -> Decision {
  let d = weighted(split(r))
  let key = r.metadata["session"] ?? ""
  if key == "" {
    return d
  }
  d.sticky(key, ttl: 1m)
}
`

// The targets of a weighted split, over many requests (or many sticky
// sessions), are spread as the weights say: a chi-square test of the
// counts (the draws are the requests' and keys' seeds, fixed: no chance
// in the test), whatever the size of the weights. A target of weight 0 is
// never drawn, a split of one target always draws it.
func TestWeightedSplitDistribution(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, copyDir(t, examples, map[string]string{"split_t.rpl": splitPolicy}))
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	const n = 4000
	// chi2Crit is the chi-square value exceeded with probability 0.001,
	// by degrees of freedom.
	chi2Crit := map[int]float64{1: 10.83, 3: 16.27}
	for _, c := range []struct {
		split string
		want  map[string]float64 // the share of each target
	}{
		{"small", map[string]float64{"a:m": 0.7, "b:m": 0.3}},
		{"four", map[string]float64{"a:m": 0.1, "b:m": 0.2, "c:m": 0.3, "d:m": 0.4}},
		// Weights near 2^62 (the largest total weighted takes): a draw
		// reducing 64 random bits mod the total gave a:m 3/8, not 1/3.
		{"huge", map[string]float64{"a:m": 1.0 / 3, "b:m": 2.0 / 3}},
		{"zero", map[string]float64{"b:m": 1}},
		{"one", map[string]float64{"a:m": 1}},
	} {
		for _, by := range []string{"request", "session"} {
			got := map[string]int{}
			for i := range n {
				meta := fmt.Sprintf(`{"split": %q}`, c.split)
				if by == "session" {
					meta = fmt.Sprintf(`{"split": %q, "session": "%s-%d"}`, c.split, c.split, i) // a session per split: one kept stays while the next split gives it weight
				}
				req := request(t, e, fmt.Sprintf(`{"id": "req-%d", "tenant": {"id": "t1"}, "task": {"type": "chat"}, "metadata": %s}`, i, meta))
				o := e.Decide(context.Background(), "split_t", req, now)
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				got[e.View(o.Decision).Target()]++
			}
			chi2 := 0.0
			for target, share := range c.want {
				d := float64(got[target]) - share*n
				chi2 += d * d / (share * n)
			}
			for target := range got {
				if c.want[target] == 0 {
					t.Errorf("%s split by %s: %s (weight 0 or not in the split) drawn %d times of %d", c.split, by, target, got[target], n)
				}
			}
			if df := len(c.want) - 1; df > 0 && chi2 > chi2Crit[df] {
				t.Errorf("%s split by %s: %v of %d, want shares %v (chi-square %.1f > %.2f)", c.split, by, got, n, c.want, chi2, chi2Crit[df])
			}
		}
	}
}
