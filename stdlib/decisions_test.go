package stdlib

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/vm"
)

const (
	keyTo       = "to(string)"
	keyFallback = "fallback(Decision, string, list[Trigger], int, duration)"
	keyWeighted = "weighted(map[string, int])"
	keyArm      = "ab.arm(string, string, map[string, int])"
	keyTag      = "tag(Decision, string, string)"
)

func dfield(t testing.TB, d vm.Value, f string) vm.Value { return field(t, "Decision", d, f) }

func wantField(t testing.TB, d vm.Value, f string, want vm.Value) {
	t.Helper()
	if got := dfield(t, d, f); got.Kind() != want.Kind() || !vm.Equal(got, want) {
		t.Errorf("%s = %s, want %s", f, got, want)
	}
}

func TestDecisionBuilders(t *testing.T) {
	d := mustCall(t, keyTo, str("openai:gpt-4o"))
	wantField(t, d, "action", str("route"))
	wantField(t, d, "target", str("openai:gpt-4o"))
	wantField(t, d, "priority", vm.Int(50))
	wantField(t, d, "reason", str(""))
	wantField(t, d, "fallbacks", list())
	wantField(t, d, "tags", emptyMap)
	wantField(t, d, "split", emptyMap)
	wantField(t, d, "sticky_ttl", vm.Duration(0))
	before := d.String()

	// fallback with defaults, then with every option.
	f1 := mustCall(t, keyFallback, d, str("b"), vm.Nil(), vm.Nil(), vm.Nil())
	f2 := mustCall(t, keyFallback, f1, str("c"), strs("timeout", "http_5xx"), vm.Int(2), vm.Duration(200*time.Millisecond))
	fbs := dfield(t, f2, "fallbacks").List()
	if len(fbs) != 2 {
		t.Fatalf("fallbacks = %s", dfield(t, f2, "fallbacks"))
	}
	want := []map[string]vm.Value{
		{"target": str("b"), "on": strs("any_error"), "retries": vm.Int(0), "backoff": vm.Duration(0)},
		{"target": str("c"), "on": strs("timeout", "http_5xx"), "retries": vm.Int(2), "backoff": vm.Duration(200 * time.Millisecond)},
	}
	for i, w := range want {
		for f, v := range w {
			if got := field(t, "Fallback", fbs[i], f); !vm.Equal(got, v) {
				t.Errorf("fallbacks[%d].%s = %s, want %s", i, f, got, v)
			}
		}
	}
	if n := len(dfield(t, f1, "fallbacks").List()); n != 1 {
		t.Errorf("fallback modified its input: %d fallbacks", n)
	}

	s := mustCall(t, "sticky(Decision, string, duration)", d, str("sess-1"), vm.Nil())
	wantField(t, s, "sticky_key", str("sess-1"))
	wantField(t, s, "sticky_ttl", vm.Duration(10*time.Minute))
	s = mustCall(t, "sticky(Decision, string, duration)", d, str("sess-1"), vm.Duration(time.Hour))
	wantField(t, s, "sticky_ttl", vm.Duration(time.Hour))

	tg := mustCall(t, "tag(Decision, string, string)", d, str("tier"), str("gold"))
	tg = mustCall(t, "tag(Decision, string, string)", tg, str("team"), str("ml"))
	tg2 := mustCall(t, "tag(Decision, string, string)", tg, str("tier"), str("silver"))
	wantField(t, tg, "tags", kv(t, str("tier"), str("gold"), str("team"), str("ml")))
	wantField(t, tg2, "tags", kv(t, str("tier"), str("silver"), str("team"), str("ml")))
	if k := dfield(t, tg2, "tags").Map().Keys(); k[0].Str() != "tier" {
		t.Errorf("a re-set tag moved: keys %v", k)
	}

	x := mustCall(t, "pre(Decision, string)", d, str("pii-redact"))
	x = mustCall(t, "pre(Decision, string)", x, str("lang-detect"))
	x = mustCall(t, "validate(Decision, string)", x, str("schema"))
	x = mustCall(t, "post(Decision, string)", x, str("audit-log"))
	wantField(t, x, "pre", strs("pii-redact", "lang-detect"))
	wantField(t, x, "validators", strs("schema"))
	wantField(t, x, "post", strs("audit-log"))

	for p, w := range map[int64]int64{-5: 0, 0: 0, 70: 70, 100: 100, 101: 100, math.MaxInt64: 100} {
		wantField(t, mustCall(t, "priority(Decision, int)", d, vm.Int(p)), "priority", vm.Int(w))
	}
	wantField(t, mustCall(t, "because(Decision, string)", d, str("cheap")), "reason", str("cheap"))

	dn := mustCall(t, "deny(string)", str("budget_exhausted"))
	wantField(t, dn, "action", str("deny"))
	wantField(t, dn, "deny_reason", str("budget_exhausted"))
	wantField(t, dn, "target", str(""))

	if d.String() != before {
		t.Errorf("the builders modified their input:\n%s\n%s", before, d)
	}

	// Errors.
	for _, c := range []struct {
		key  string
		args []vm.Value
		msg  string
	}{
		{keyFallback, args(d, str(""), vm.Nil(), vm.Nil(), vm.Nil()), "empty target"},
		{keyFallback, args(d, str("b"), strs(), vm.Nil(), vm.Nil()), "no triggers"},
		{keyFallback, args(d, str("b"), vm.Nil(), vm.Int(-1), vm.Nil()), "negative retries -1"},
		{keyFallback, args(d, str("b"), vm.Nil(), vm.Nil(), vm.Duration(-time.Second)), "negative backoff -1s"},
		{"sticky(Decision, string, duration)", args(d, str("k"), vm.Duration(0)), "sticky ttl must be positive, got 0s"},
		{"tag(Decision, string, string)", args(d, str(""), str("v")), "empty tag key"},
		{"pre(Decision, string)", args(d, str("")), "empty extension name"},
	} {
		_, err := call(t, c.key, c.args...)
		e := wantCode(t, err, vm.CodeBuiltinError)
		if !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%s: %q, want %q", c.key, e.Msg, c.msg)
		}
	}
}

func TestDecisionMemory(t *testing.T) {
	_, st, err := env{}.call(t, keyTo, str("a"))
	if err != nil {
		t.Fatal(err)
	}
	if want := recordBytes(lay.decision.n); st.Memory != want {
		t.Errorf("to: memory %d, want %d", st.Memory, want)
	}
	_, _, err = env{lim: vm.Limits{Memory: 100}}.call(t, keyTo, str("a"))
	wantCode(t, err, vm.CodeMemoryExhausted)
}

// TestDecisionBuildersShareNothing: the builders build their record and
// its companion data (tags, fallbacks, extension lists) in one allocation;
// the results must still be independent values, and the memory accounted
// must be what it always was.
func TestDecisionBuildersShareNothing(t *testing.T) {
	const keyTag = "tag(Decision, string, string)"
	d := mustCall(t, keyTo, str("a"))
	var keys []string
	for i := range 12 { // past the 8 entries of a small map
		k := string(rune('a' + i))
		keys = append(keys, k)
		d = mustCall(t, keyTag, d, str(k), str("v"+k))
	}
	before := d.String()
	re := mustCall(t, keyTag, d, str("d"), str("new"))
	same := mustCall(t, keyTag, d, str("d"), str("vd"))
	more := mustCall(t, keyTag, d, str("z"), str("vz"))
	if d.String() != before {
		t.Fatalf("tag modified its input:\n%s\n%s", before, d)
	}
	tags := dfield(t, re, "tags").Map()
	for i, k := range tags.Keys() {
		if k.Str() != keys[i] {
			t.Fatalf("re-set tag: keys %v, want %v", tags.Keys(), keys)
		}
	}
	if v, _ := tags.Get(str("d")); v.Str() != "new" {
		t.Errorf("re-set tag: d = %s", v)
	}
	if v, _ := tags.Get(str("e")); v.Str() != "ve" {
		t.Errorf("re-set tag: e = %s", v)
	}
	if !vm.Equal(dfield(t, same, "tags"), dfield(t, d, "tags")) {
		t.Errorf("tag with the same value changed the tags: %s", dfield(t, same, "tags"))
	}
	if m := dfield(t, more, "tags").Map(); m.Len() != 13 || m.Keys()[12].Str() != "z" {
		t.Errorf("new tag: %s", dfield(t, more, "tags"))
	}
	if v, ok := dfield(t, more, "tags").Map().Get(str("z")); !ok || v.Str() != "vz" {
		t.Errorf("new tag past the index: z = %s, %v", v, ok)
	}

	// A fallback and an extension after another: earlier results keep
	// their lists.
	f1 := mustCall(t, keyFallback, d, str("b"), vm.Nil(), vm.Nil(), vm.Nil())
	f2 := mustCall(t, keyFallback, f1, str("c"), vm.Nil(), vm.Nil(), vm.Nil())
	f3 := mustCall(t, keyFallback, f1, str("e"), vm.Nil(), vm.Nil(), vm.Nil())
	if n := len(dfield(t, f1, "fallbacks").List()); n != 1 {
		t.Errorf("f1 has %d fallbacks", n)
	}
	if a, b := field(t, "Fallback", dfield(t, f2, "fallbacks").List()[1], "target"), field(t, "Fallback", dfield(t, f3, "fallbacks").List()[1], "target"); a.Str() != "c" || b.Str() != "e" {
		t.Errorf("fallbacks from one decision: %s, %s", a, b)
	}
	p1 := mustCall(t, "pre(Decision, string)", d, str("x"))
	p2 := mustCall(t, "pre(Decision, string)", p1, str("y"))
	p3 := mustCall(t, "pre(Decision, string)", p1, str("z"))
	wantField(t, p1, "pre", strs("x"))
	wantField(t, p2, "pre", strs("x", "y"))
	wantField(t, p3, "pre", strs("x", "z"))

	// Memory accounted, per builder.
	d0 := mustCall(t, keyTo, str("a"))
	n := lay.decision.n
	for _, c := range []struct {
		key  string
		args []vm.Value
		want int64
	}{
		{keyTag, args(d0, str("k"), str("v")), recordBytes(n) + mapBytes(1)},
		{keyTag, args(d, str("d"), str("new")), recordBytes(n) + mapBytes(13)},
		{keyTag, args(d, str("d"), str("vd")), recordBytes(n)},
		{keyFallback, args(f1, str("c"), vm.Nil(), vm.Nil(), vm.Nil()), recordBytes(n) + recordBytes(lay.fallback.n) + listBytes(2)},
		{"pre(Decision, string)", args(p1, str("y")), recordBytes(n) + listBytes(2)},
		{"because(Decision, string)", args(d0, str("why")), recordBytes(n)},
	} {
		_, st, err := env{}.call(t, c.key, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Memory != c.want {
			t.Errorf("%s: memory %d, want %d", c.key, st.Memory, c.want)
		}
	}
}

// TestDecisionChainRetention: what a later builder keeps of an earlier
// one's work (its tags map, its fallbacks list) must not keep the earlier,
// dead, record alive; policies hold folded constant decisions for their
// lifetime, ten thousand tenants' worth.
func TestDecisionChainRetention(t *testing.T) {
	const n = 2000
	keep := make([]vm.Value, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		d := mustCall(t, keyTo, str("a"))
		d = mustCall(t, keyFallback, d, str("b"), vm.Nil(), vm.Nil(), vm.Nil())
		d = mustCall(t, "tag(Decision, string, string)", d, str("k"), str("v"))
		d = mustCall(t, "pre(Decision, string)", d, str("x"))
		keep[i] = mustCall(t, "because(Decision, string)", d, str("r"))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	// The final record (15 slots), the map, the fallback and two lists
	// are under 1 KiB (about 760 bytes); each intermediate record kept
	// adds 384.
	if rec := recordBytes(lay.decision.n); per > 1024+rec {
		t.Errorf("%d bytes kept per decision: intermediate records are retained", per)
	}
	runtime.KeepAlive(keep)
}

// TestWeightedSplitsIndependent: in one run (one seed), weighted draws
// from two 50/50 splits of other targets independently, agreeing on the
// half for about half of the seeds, and so do a session's draws
// (PickWeighted with its seed); the same split, drawn again in the run
// (its entries in another order), draws the same target. Every draw of a
// run took one point, and the two splits agreed for every seed.
func TestWeightedSplitsIndependent(t *testing.T) {
	model := kv(t, str("a:m"), vm.Int(50), str("b:m"), vm.Int(50))
	same := kv(t, str("b:m"), vm.Int(50), str("a:m"), vm.Int(50))
	region := kv(t, str("eu:m"), vm.Int(50), str("us:m"), vm.Int(50))
	const n = 2000
	agree, sessions := 0, 0
	for seed := range uint64(n) {
		e := env{in: vm.Input{Seed: seed}}
		m := dfield(t, mustCallIn(t, e, keyWeighted, model), "target").Str()
		r := dfield(t, mustCallIn(t, e, keyWeighted, region), "target").Str()
		if again := dfield(t, mustCallIn(t, e, keyWeighted, same), "target").Str(); again != m {
			t.Fatalf("seed %d: the split drew %s, and again %s", seed, m, again)
		}
		if (m == "a:m") == (r == "eu:m") {
			agree++
		}
		key := SessionSeed("p", fmt.Sprint("user-", seed))
		sm, err1 := PickWeighted(model.Map(), key)
		sr, err2 := PickWeighted(region.Map(), key)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if (sm.Str() == "a:m") == (sr.Str() == "eu:m") {
			sessions++
		}
	}
	for what, got := range map[string]int{"seeds": agree, "sessions": sessions} {
		if got < n*40/100 || got > n*60/100 {
			t.Errorf("%d of %d %s drew the same half of two splits, want 40–60%%", got, n, what)
		}
	}
}

// TestWeightedRampMovesFew: the weights are not part of weighted's draw,
// so moving 10 of 100 from a target to the next in name order moves
// only the seeds between the two, from the first to the second (about
// 10%), and a third target's seeds stay; hashing the weights would draw
// every seed anew.
func TestWeightedRampMovesFew(t *testing.T) {
	before := kv(t, str("a:m"), vm.Int(50), str("b:m"), vm.Int(30), str("c:m"), vm.Int(20))
	after := kv(t, str("a:m"), vm.Int(40), str("b:m"), vm.Int(40), str("c:m"), vm.Int(20))
	const n = 2000
	moved := 0
	for seed := range uint64(n) {
		e := env{in: vm.Input{Seed: seed}}
		was := dfield(t, mustCallIn(t, e, keyWeighted, before), "target").Str()
		is := dfield(t, mustCallIn(t, e, keyWeighted, after), "target").Str()
		if was == is {
			continue
		}
		if was != "a:m" || is != "b:m" {
			t.Fatalf("seed %d: %s before the ramp, %s after", seed, was, is)
		}
		moved++
	}
	if moved < n*7/100 || moved > n*13/100 {
		t.Errorf("the ramp moved %d of %d seeds, want about 10%%", moved, n)
	}
}

// mustCallIn is e.call, failing the test on an error.
func mustCallIn(t *testing.T, e env, key string, args ...vm.Value) vm.Value {
	t.Helper()
	v, _, err := e.call(t, key, args...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWeighted(t *testing.T) {
	split := kv(t, str("openai:gpt-4o-mini"), vm.Int(70), str("anthropic:claude-haiku"), vm.Int(30), str("off"), vm.Int(0))
	counts := map[string]int{}
	const n = 10_000
	for seed := range uint64(n) {
		e := env{in: vm.Input{Seed: seed}}
		d, _, err := e.call(t, keyWeighted, split)
		if err != nil {
			t.Fatal(err)
		}
		target := dfield(t, d, "target").Str()
		again, _, _ := e.call(t, keyWeighted, split)
		if dfield(t, again, "target").Str() != target {
			t.Fatalf("seed %d: two targets", seed)
		}
		counts[target]++
		if seed == 0 {
			wantField(t, d, "split", split)
			wantField(t, d, "reason", str("weighted"))
			wantField(t, d, "action", str("route"))
		}
	}
	checkShares(t, counts, n, map[string]float64{"openai:gpt-4o-mini": 0.7, "anthropic:claude-haiku": 0.3})

	// The order of the map literal does not matter.
	rev := kv(t, str("off"), vm.Int(0), str("anthropic:claude-haiku"), vm.Int(30), str("openai:gpt-4o-mini"), vm.Int(70))
	for seed := range uint64(100) {
		e := env{in: vm.Input{Seed: seed}}
		a, _, _ := e.call(t, keyWeighted, split)
		b, _, _ := e.call(t, keyWeighted, rev)
		if !vm.Equal(dfield(t, a, "target"), dfield(t, b, "target")) {
			t.Fatalf("seed %d: target depends on the order of the split", seed)
		}
	}

	// Many targets take the sorting path.
	var kvs []vm.Value
	for i := range 20 {
		kvs = append(kvs, str(string(rune('t'-i))), vm.Int(1))
	}
	big := kv(t, kvs...)
	counts = map[string]int{}
	for seed := range uint64(n) {
		d, _, err := env{in: vm.Input{Seed: seed}}.call(t, keyWeighted, big)
		if err != nil {
			t.Fatal(err)
		}
		counts[dfield(t, d, "target").Str()]++
	}
	shares := map[string]float64{}
	for i := range 20 {
		shares[string(rune('t'-i))] = 0.05
	}
	checkShares(t, counts, n, shares)
}

func checkShares(t *testing.T, counts map[string]int, n int, want map[string]float64) {
	t.Helper()
	for k, c := range counts {
		if _, ok := want[k]; !ok {
			t.Errorf("%q chosen %d times, want never", k, c)
		}
	}
	for k, w := range want {
		got := float64(counts[k]) / float64(n)
		if math.Abs(got-w) > 0.02 {
			t.Errorf("%q: share %.3f, want %.3f ± 0.02", k, got, w)
		}
	}
}

// recorder is a per-run host: MemState plus the arm recorder.
type recorder struct {
	*MemState
	exp, arm string
	calls    int
}

func (r *recorder) RecordArm(exp, arm string) { r.exp, r.arm, r.calls = exp, arm, r.calls+1 }

// TestSplitErrorsOrderFree: weighted's, ab.arm's and DecisionProblem's
// error for a split does not depend on the order its map was built in,
// which the language never shows: they named the first bad target or
// weight in that order ({"a": 2^62, "b": 1, "c": -1} was "weights too
// large", and {"c": -1, "a": 2^62, "b": 1} "negative weight -1").
func TestSplitErrorsOrderFree(t *testing.T) {
	for _, c := range []struct {
		keys    []string
		weights []int64
		msg     string
	}{
		{[]string{"b c", "a b", "ok"}, []int64{1, 1, 1}, `target "a b"`},
		{[]string{"x", "a", "m"}, []int64{-1, -2, 3}, `negative weight -2 for "a"`},
		{[]string{"a", "b", "c"}, []int64{1 << 62, 1, -1}, `negative weight -1 for "c"`},
	} {
		n := len(c.keys)
		for r := range n { // each rotation of the entries
			ks, vs := make([]vm.Value, n), make([]vm.Value, n)
			for i := range n {
				ks[i], vs[i] = str(c.keys[(i+r)%n]), vm.Int(c.weights[(i+r)%n])
			}
			split, err := vm.NewMap(ks, vs)
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{keyWeighted, keyArm} {
				a := args(split)
				if key == keyArm {
					a = args(str("e"), str("k"), split)
					if c.msg[0] == 't' {
						continue // arms are names: not checked as targets
					}
				}
				_, err := call(t, key, a...)
				if err == nil || !strings.Contains(err.Error(), c.msg) {
					t.Errorf("%s of %v: %v, want %s", key, split, err, c.msg)
				}
			}
			d := record(t, "Decision", map[string]vm.Value{"split": split})
			if why := DecisionProblem(d); !strings.Contains(why, c.msg) {
				t.Errorf("DecisionProblem of split %v: %q, want %s", split, why, c.msg)
			}
		}
	}
}

func TestABArm(t *testing.T) {
	split := kv(t, str("control"), vm.Int(90), str("candidate"), vm.Int(10))
	counts := map[string]int{}
	const n = 10_000
	for i := range n {
		key := str("user-" + itoa(i))
		a := mustCall(t, keyArm, str("summarizer-v2"), key, split)
		if b := mustCall(t, keyArm, str("summarizer-v2"), key, split); !vm.Equal(a, b) {
			t.Fatalf("%s: arms %s and %s", key, a, b)
		}
		counts[a.Str()]++
	}
	checkShares(t, counts, n, map[string]float64{"control": 0.9, "candidate": 0.1})

	// The assignment is a fixed function of experiment and key: pinned so a
	// change that would reshuffle live experiments fails here.
	h := fnv1a(fnv1a(fnv1a(fnvOffset, "summarizer-v2"), "\x00"), "u-42")
	wantArm := "control"
	if mix64(h)%100 < 10 { // "candidate" sorts first
		wantArm = "candidate"
	}
	if a := mustCall(t, keyArm, str("summarizer-v2"), str("u-42"), split); a.Str() != wantArm {
		t.Errorf("arm(u-42) = %s, want %s", a, wantArm)
	}

	// Different experiments assign independently.
	same := 0
	for i := range 1000 {
		key := str("user-" + itoa(i))
		a := mustCall(t, keyArm, str("e1"), key, kv(t, str("a"), vm.Int(1), str("b"), vm.Int(1)))
		b := mustCall(t, keyArm, str("e2"), key, kv(t, str("a"), vm.Int(1), str("b"), vm.Int(1)))
		if vm.Equal(a, b) {
			same++
		}
	}
	if same < 430 || same > 570 {
		t.Errorf("experiments e1 and e2 agree on %d of 1000 keys", same)
	}

	// A promoted winner overrides the hash; the host records assignments.
	st := &MemState{}
	st.SetWinner("summarizer-v2", "candidate")
	rec := &recorder{MemState: st}
	e := env{in: vm.Input{Host: rec}}
	for i := range 20 {
		v, _, err := e.call(t, keyArm, str("summarizer-v2"), str("user-"+itoa(i)), split)
		if err != nil || v.Str() != "candidate" {
			t.Fatalf("arm with a winner = %v, %v", v, err)
		}
	}
	if rec.exp != "summarizer-v2" || rec.arm != "candidate" || rec.calls != 20 {
		t.Errorf("recorded %+v", rec)
	}
	if v, _, _ := e.call(t, "ab.winner(string)", str("summarizer-v2")); v.Str() != "candidate" {
		t.Errorf("winner = %s", v)
	}
	if v, _, _ := e.call(t, "ab.winner(string)", str("other")); !v.IsNil() {
		t.Errorf("winner of other = %s", v)
	}
	if v := mustCall(t, "ab.winner(string)", str("summarizer-v2")); !v.IsNil() {
		t.Errorf("winner without a host = %s", v)
	}
}

// ab.arm checks its split whether or not the experiment has a winner, so
// the same policy errs or not whatever the router's state; a winner must
// be one of the split's arms (of any weight).
func TestABArmWinnerChecksSplit(t *testing.T) {
	st := &MemState{}
	st.SetWinner("e", "b")
	withWinner := env{in: vm.Input{Host: st}}
	for _, c := range []struct {
		split vm.Value
		msg   string
	}{
		{kv(t, str("b"), vm.Int(5), str("a"), vm.Int(-1)), `negative weight -1 for "a"`},
		{kv(t, str("b"), vm.Int(5), str(""), vm.Int(5)), "empty arm name"},
		{kv(t, str("b"), vm.Int(0)), "weights sum to 0"},
		{emptyMap, "empty split"},
		{kv(t, str("a"), vm.Int(5), str("c"), vm.Int(5)), `winner "b" of experiment "e" is not an arm of the split`},
	} {
		_, _, err := withWinner.call(t, keyArm, str("e"), str("k"), c.split)
		if err == nil {
			t.Errorf("split %s with winner b: no error, want %q", c.split, c.msg)
			continue
		}
		if e := wantCode(t, err, vm.CodeBuiltinError); !strings.Contains(e.Error(), c.msg) {
			t.Errorf("split %s with winner b: error %q, want %q", c.split, e.Error(), c.msg)
		}
	}
	// A winner of weight 0 is still an arm.
	if v, _, err := withWinner.call(t, keyArm, str("e"), str("k"), kv(t, str("a"), vm.Int(5), str("b"), vm.Int(0))); err != nil || v.Str() != "b" {
		t.Errorf("winner b of weight 0 = %v, %v; want b", v, err)
	}
}

func itoa(i int) string { return vm.Int(int64(i)).String() }

func TestCostAndHealth(t *testing.T) {
	tenant := record(t, "Tenant", map[string]vm.Value{
		"id":     str("acme"),
		"budget": record(t, "Budget", map[string]vm.Value{"monthly": vm.Money(100e9)}),
	})
	req := record(t, "Request", map[string]vm.Value{
		"tenant":   tenant,
		"estimate": record(t, "Estimate", map[string]vm.Value{"input_tokens": vm.Int(1_000_000), "output_tokens": vm.Int(1000)}),
	})

	// No host: neutral defaults.
	runCases(t, []tcase{
		{"cost.month_spend(Tenant)", args(tenant), vm.Money(0)},
		{"cost.day_spend(Tenant)", args(tenant), vm.Money(0)},
		{"cost.price(string)", args(str("openai:gpt-4o")), vm.Nil()},
		{"cost.estimate(string, Request)", args(str("openai:gpt-4o"), req), vm.Money(0)},
		{"cost.remaining(Tenant)", args(tenant), vm.Money(100e9)},
		{"health.healthy(string)", args(str("x")), vm.Bool(true)},
		{"health.latency(string)", args(str("x")), vm.Duration(DefaultLatency)},
		{"health.error_rate(string)", args(str("x")), vm.Float(0)},
	})

	st := &MemState{}
	st.SetSpend("acme", 60e9, 5e9)
	st.SetPrice("openai:gpt-4o", Price{Input: 2_500_000_000, Output: 10e9}) // $2.50 and $10 per million
	st.SetHealth("down:model", false, 0.5)
	st.SetLatency("openai:gpt-4o", 800*time.Millisecond)
	e := env{in: vm.Input{Host: st, Now: time.Now()}}
	for _, c := range []tcase{
		{"cost.month_spend(Tenant)", args(tenant), vm.Money(60e9)},
		{"cost.day_spend(Tenant)", args(tenant), vm.Money(5e9)},
		{"cost.price(string)", args(str("openai:gpt-4o")), record(t, "Price", map[string]vm.Value{"input": vm.Money(2_500_000_000), "output": vm.Money(10e9)})},
		{"cost.price(string)", args(str("unknown")), vm.Nil()},
		// 1M input tokens at $2.50 + 1000 output tokens at $10/M = $2.51.
		{"cost.estimate(string, Request)", args(str("openai:gpt-4o"), req), vm.Money(2_510_000_000)},
		{"cost.estimate(string, Request)", args(str("unknown"), req), vm.Money(0)},
		{"cost.remaining(Tenant)", args(tenant), vm.Money(40e9)},
		{"health.healthy(string)", args(str("down:model")), vm.Bool(false)},
		{"health.healthy(string)", args(str("openai:gpt-4o")), vm.Bool(true)},
		{"health.latency(string)", args(str("openai:gpt-4o")), vm.Duration(800 * time.Millisecond)},
		{"health.latency(string)", args(str("down:model")), vm.Duration(DefaultLatency)},
		{"health.error_rate(string)", args(str("down:model")), vm.Float(0.5)},
	} {
		got, _, err := e.call(t, c.key, c.args...)
		if err != nil || !vm.Equal(got, c.want) || got.Kind() != c.want.Kind() {
			t.Errorf("%s%v = %s, %v; want %s", c.key, c.args, got, err, c.want)
		}
	}
	// An estimate out of money's range says which tokens cost it.
	big := record(t, "Request", map[string]vm.Value{
		"tenant":   tenant,
		"estimate": record(t, "Estimate", map[string]vm.Value{"input_tokens": vm.Int(math.MaxInt64), "output_tokens": vm.Int(-3)}),
	})
	if _, _, err := e.call(t, "cost.estimate(string, Request)", str("openai:gpt-4o"), big); err == nil {
		t.Errorf("estimate of MaxInt64 tokens: no error")
	} else if e := wantCode(t, err, vm.CodeIntOverflow); e.Msg != "cost.estimate(string, Request): the cost of 9223372036854775807 input and 0 output tokens is out of the money range" {
		t.Errorf("estimate of MaxInt64 tokens: %q", e.Msg)
	}
	st.SetSpend("acme", 150e9, 0)
	if v, _, _ := e.call(t, "cost.remaining(Tenant)", tenant); v.Money() != 0 {
		t.Errorf("remaining over budget = %s, want $0.00", v)
	}
	// A budget minus a spend below money's range is below $0: $0, not
	// int_overflow; above it, int_overflow.
	for _, c := range []struct {
		budget, spend int64
		want          vm.Value
	}{
		{-5e18, 5e18, vm.Money(0)},
		{math.MinInt64, 1, vm.Money(0)},
		{math.MaxInt64, math.MaxInt64, vm.Money(0)},
		{math.MaxInt64, -1, vm.Value{}},
	} {
		tn := record(t, "Tenant", map[string]vm.Value{
			"id":     str("acme"),
			"budget": record(t, "Budget", map[string]vm.Value{"monthly": vm.Money(c.budget)}),
		})
		st.SetSpend("acme", c.spend, 0)
		v, _, err := e.call(t, "cost.remaining(Tenant)", tn)
		if c.want.Kind() == vm.KindNil {
			if err == nil {
				t.Errorf("remaining of %d - %d = %s, want int_overflow", c.budget, c.spend, v)
			} else if e := wantCode(t, err, vm.CodeIntOverflow); e.Msg != "cost.remaining(Tenant): the budget $9223372036.854775807 minus the spend -$0.000000001 is out of the money range" {
				t.Errorf("remaining of %d - %d: %q", c.budget, c.spend, e.Msg)
			}
			continue
		}
		if err != nil || !vm.Equal(v, c.want) {
			t.Errorf("remaining of %d - %d = %s, %v; want %s", c.budget, c.spend, v, err, c.want)
		}
	}

	// perMillion adds the exact products and rounds once, half to even,
	// and detects overflow.
	for _, c := range []struct {
		in, inPrice, out, outPrice, want int64
		ok                               bool
	}{
		{1, 500_000, 0, 0, 0, true},       // 0.5 nano → 0 (even)
		{3, 500_000, 0, 0, 2, true},       // 1.5 → 2
		{1, 500_001, 0, 0, 1, true},       // above half → 1
		{1, 499_999, 0, 0, 0, true},       // 0.499999 → 0
		{500_000, 1, 500_000, 1, 1, true}, // 0.5 + 0.5, once: 1 (each rounded first: 2)
		{3, 1e9, 2, 1e9, 5000, true},      // whole
		{math.MaxInt64, math.MaxInt64, 0, 0, 0, false},
		{1e15, 1e9, 0, 0, 1e18, true},
		{1e15, 5e9, 1e15, 5e9, 0, false}, // 10^19 > MaxInt64
	} {
		got, ok := perMillion(c.in, c.inPrice, c.out, c.outPrice)
		if got != c.want || ok != c.ok {
			t.Errorf("perMillion(%d, %d, %d, %d) = %d, %v; want %d, %v", c.in, c.inPrice, c.out, c.outPrice, got, ok, c.want, c.ok)
		}
	}
}

// TestStickyDraw: sticky draws a target drawn from d's split again with
// the session's seed, of the host's policy and the key (the
// target a router gives a key it keeps nothing for), so that the policy
// after .sticky() sees the session's target; a target not drawn from the
// split, and an empty key, are left as they are.
func TestStickyDraw(t *testing.T) {
	const keySticky = "sticky(Decision, string, duration)"
	split := kv(t, str("a:m"), vm.Int(10), str("b:m"), vm.Int(10), str("c:m"), vm.Int(10), str("off:m"), vm.Int(0))
	targets := map[string]bool{}
	for i := range 200 {
		key := fmt.Sprint("sess-", i)
		want, err := PickWeighted(split.Map(), SessionSeed("", key))
		if err != nil {
			t.Fatal(err)
		}
		scoped, err := PickWeighted(split.Map(), SessionSeed("chat", key))
		if err != nil {
			t.Fatal(err)
		}
		targets[want.Str()] = true
		for seed := range uint64(5) {
			// A host that decides for a policy: its session's seed.
			e := env{in: vm.Input{Seed: seed, Policy: "chat"}}
			w, _, err := e.call(t, keyWeighted, split)
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := e.call(t, keySticky, w, str(key), vm.Duration(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			wantField(t, s, "target", scoped)
			// Without one, the policy is "".
			e = env{in: vm.Input{Seed: seed}}
			w, _, err = e.call(t, keyWeighted, split)
			if err != nil {
				t.Fatal(err)
			}
			s, _, err = e.call(t, keySticky, w, str(key), vm.Duration(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			wantField(t, s, "target", want)
			wantField(t, s, "split", split)
			wantField(t, s, "reason", str("weighted"))
			wantField(t, s, "sticky_key", str(key))
			// An empty key is no stickiness: the request's draw stands.
			n, _, err := e.call(t, keySticky, w, str(""), vm.Nil())
			if err != nil {
				t.Fatal(err)
			}
			wantField(t, n, "target", dfield(t, w, "target"))
		}
	}
	if len(targets) != 3 {
		t.Errorf("200 keys drew %v, want the three targets of positive weight", targets)
	}
	if SeedOf("sess-1") != fnv1a(fnvOffset, "sess-1") {
		t.Error("SeedOf is not FNV-1a of the key")
	}
	if SessionSeed("chat", "sess-1") != fnv1a(fnvOffset, "chat\x00sess-1") {
		t.Error("SessionSeed is not FNV-1a of policy, NUL, key")
	}

	// A target the policy set beside the split (not one of its targets, or
	// one of weight 0) is not a draw: it stays.
	w := mustCall(t, keyWeighted, split)
	for _, own := range []string{"z:m", "off:m"} {
		slots := append([]vm.Value(nil), w.Record()...)
		slots[lay.decision.target] = str(own)
		s := mustCall(t, keySticky, vm.NewRecord(slots), str("sess-1"), vm.Nil())
		wantField(t, s, "target", str(own))
	}
	// Nor is a decision without a split.
	wantField(t, mustCall(t, keySticky, mustCall(t, keyTo, str("z:m")), str("sess-1"), vm.Nil()), "target", str("z:m"))

	// The draw costs weighted's fuel: vm.SortFuel(n) for n targets (1 per
	// 2 of n·log2(n) past 16), and 1 per 16 bytes of the key it hashes.
	var kvs []vm.Value
	for i := range 64 {
		kvs = append(kvs, str(fmt.Sprintf("t%02d:m", i)), vm.Int(1))
	}
	big := mustCall(t, keyWeighted, kv(t, kvs...))
	key := strings.Repeat("k", 160)
	_, drawn, err := env{}.call(t, keySticky, big, str(key), vm.Nil())
	if err != nil {
		t.Fatal(err)
	}
	_, plain, err := env{}.call(t, keySticky, big, str(""), vm.Nil())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := drawn.Fuel-plain.Fuel, int64(64*7/2+160/16); got != want {
		t.Errorf("the draw charged %d fuel, want %d", got, want)
	}
}

// TestTagChargesRebuild: tag builds a new tags map, whose keys the map
// hashes (past 8 entries) or compares; it charges them as building the
// map with MAKE_MAP does, 1 fuel per 64 bytes of each string key, and 1
// per 8 entries as map builtins do. It charged only the new key: tagging
// a decision with 16 tags of 64 KB keys hashed 1 MB for 1k fuel.
func TestTagChargesRebuild(t *testing.T) {
	var ks, vs []vm.Value
	var want int64
	for i := range 16 {
		k := str(fmt.Sprintf("%d%s", i, strings.Repeat("k", 64<<10)))
		ks, vs = append(ks, k), append(vs, str("v"))
		want += vm.KeyFuel(k)
	}
	tags, err := vm.NewMap(ks, vs)
	if err != nil {
		t.Fatal(err)
	}
	d := record(t, "Decision", map[string]vm.Value{"tags": tags, "target": str("a")})
	for _, key := range []vm.Value{str("new"), ks[3]} {
		_, st, err := env{}.call(t, "tag(Decision, string, string)", d, key, str("w"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Fuel < want {
			t.Errorf("tag %.8q… on 16 tags of 64 KB keys: fuel %d, want at least %d", key.Str(), st.Fuel, want)
		}
	}
}

// TestTargetsChecked: to, fallback and weighted refuse a target the
// router does not take (lang.TargetProblem), naming it; they routed to
// it, and the router then refused every feedback for it, so its health
// and costs were never known. A provider alone (CP1's) is a target.
func TestTargetsChecked(t *testing.T) {
	d := mustCall(t, keyTo, str("openai"))
	wantField(t, d, "target", str("openai"))
	for _, c := range []struct {
		key  string
		args []vm.Value
		want string
	}{
		{keyTo, args(str("open ai")), `target "open ai": it holds spaces or control characters`},
		{keyTo, args(str("openai:")), `target "openai:": want "provider:model", or a provider alone`},
		{keyTo, args(str(strings.Repeat("m", 257))), "longer than 256 bytes"},
		{keyFallback, args(d, str(":m"), vm.Nil(), vm.Nil(), vm.Nil()), `target ":m"`},
		{keyWeighted, args(kv(t, str("a:b"), vm.Int(1), str("c\td"), vm.Int(1))), `target "c\td"`},
	} {
		_, _, err := env{}.call(t, c.key, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s%v: %v, want an error with %q", c.key, c.args, err, c.want)
		}
	}
}

// TestStateLookupChargesName: the builtins that look a name up in the
// host's state (a target, an experiment, a tenant's id) charge it as
// finding a key in a map does (vm.KeyFuel), with a host or without, so
// that a run costs the same on the router, in a test and in rplc eval.
// They charged only their cost: cost.price and ab.winner of a 1 MiB name
// took about 21 µs a call on 3 fuel, the state hashing all of it.
func TestStateLookupChargesName(t *testing.T) {
	name := str(strings.Repeat("n", 1<<20))
	tenant := record(t, "Tenant", map[string]vm.Value{"id": name})
	req := record(t, "Request", map[string]vm.Value{"tenant": tenant})
	st := &MemState{}
	st.SetPrice("openai:gpt-4o", Price{Input: 1, Output: 1})
	st.SetHealth("down:model", false, 0.5)
	st.SetWinner("e", "a")
	for _, c := range []struct {
		key  string
		args []vm.Value
	}{
		{"cost.month_spend(Tenant)", args(tenant)},
		{"cost.day_spend(Tenant)", args(tenant)},
		{"cost.remaining(Tenant)", args(tenant)},
		{"cost.price(string)", args(name)},
		{"cost.estimate(string, Request)", args(name, req)},
		{"ab.winner(string)", args(name)},
		{"health.healthy(string)", args(name)},
		{"health.latency(string)", args(name)},
		{"health.error_rate(string)", args(name)},
	} {
		for _, host := range []any{nil, st} {
			in := vm.Input{Host: host}
			_, stats, err := env{in: in}.call(t, c.key, c.args...)
			if err != nil {
				t.Fatalf("%s, host %T: %v", c.key, host, err)
			}
			if want := vm.KeyFuel(name); stats.Fuel < want {
				t.Errorf("%s of a 1 MiB name, host %T: %d fuel, want at least %d", c.key, host, stats.Fuel, want)
			}
			_, _, err = env{in: in, lim: vm.Limits{Fuel: 1000}}.call(t, c.key, c.args...)
			wantCode(t, err, vm.CodeFuelExhausted)
		}
	}
}

// TestStickyChargesTarget: sticky finds the decision's target in its
// split, which hashes it past 8 targets, charged as m[key] is: a Decision
// built by hand may hold a target of any length, and sticky of one of
// 1 MiB took 27 µs on 7 fuel.
func TestStickyChargesTarget(t *testing.T) {
	var kvs []vm.Value
	for i := range 10 {
		kvs = append(kvs, str(fmt.Sprintf("p%d:m", i)), vm.Int(1))
	}
	for _, n := range []int{8, 10} { // scanned, hashed
		slots := append([]vm.Value(nil), mustCall(t, keyTo, str("x:y")).Record()...)
		target := str(strings.Repeat("t", 1<<20))
		slots[lay.decision.target] = target
		slots[lay.decision.split] = kv(t, kvs[:2*n]...)
		d := vm.NewRecord(slots)
		v, st, err := env{}.call(t, "sticky(Decision, string, duration)", d, str("k"), vm.Nil())
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, v, "target", target) // not drawn: it stays
		if want := vm.KeyFuel(target); st.Fuel < want {
			t.Errorf("sticky of a 1 MiB target, split of %d: %d fuel, want at least %d", n, st.Fuel, want)
		}
	}
}
