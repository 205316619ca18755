package migrate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/lang/migrate"
	"github.com/rpl-lang/rpl/stdlib"
)

// A reference evaluator of CP1 semantics, written from the CP1 field list
// independently of package migrate's parser, so that the equivalence test
// compares two readings of a CP1 policy rather than one reading with
// itself. It reads valid policies only.

type refPolicy struct {
	names     []string // providers in order
	weight    map[string]int
	priority  map[string]int
	fallbacks []refFallback
	sticky    bool
	stickyKey string // metadata key; "" = the session id
	stickyTTL time.Duration
	pre, val  []string
	post      []string
	breaker   bool
	errorRate float64 // 0 = no threshold
}

type refFallback struct {
	To      string
	On      []string
	Retries int64
	Backoff string
}

var refTrigger = map[string]string{
	"429": "http_429", "http_429": "http_429", "5xx": "http_5xx", "http_5xx": "http_5xx",
	"timeout": "timeout", "timeouts": "timeout",
	"connection_error": "connection_error", "connection": "connection_error", "network": "connection_error",
	"any": "any_error", "any_error": "any_error", "error": "any_error", "*": "any_error",
}

func refCondition(x any) string {
	s := strings.ToLower(fmt.Sprint(x))
	if t, ok := refTrigger[s]; ok {
		return t
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 500 && n <= 599 {
		return "http_5xx"
	}
	panic("reference: unknown condition " + s)
}

func refParse(t *testing.T, data []byte) *refPolicy {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	p := &refPolicy{weight: map[string]int{}, priority: map[string]int{}}
	if ps, ok := m["providers"].([]any); ok {
		for _, x := range ps {
			pm := x.(map[string]any)
			name := pm["name"].(string)
			p.names = append(p.names, name)
			p.weight[name] = int(pm["weight"].(float64))
			if pr, ok := pm["priority"].(float64); ok {
				p.priority[name] = int(pr)
			}
		}
	} else {
		for name, w := range m["weights"].(map[string]any) {
			p.names = append(p.names, name)
			p.weight[name] = int(w.(float64))
		}
		sort.Strings(p.names)
	}
	conds := func(lists ...any) []string {
		var out []string
		for _, l := range lists {
			xs, _ := l.([]any)
			for _, x := range xs {
				if c := refCondition(x); !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
		if len(out) == 0 {
			out = []string{"any_error"}
		}
		return out
	}
	if fs, ok := m["fallbacks"].([]any); ok {
		for _, x := range fs {
			fm := x.(map[string]any)
			f := refFallback{To: fm["to"].(string), Backoff: "0s"}
			when, _ := fm["when"].(map[string]any)
			f.On = conds(when["status"], when["errors"])
			if r, ok := fm["retry"].(float64); ok {
				f.Retries = int64(r)
			}
			if b, ok := fm["backoff"].(map[string]any); ok {
				if base, ok := b["base_ms"].(float64); ok {
					f.Backoff = lang.FormatDuration(time.Duration(base) * time.Millisecond)
				}
			}
			p.fallbacks = append(p.fallbacks, f)
		}
	} else if fm, ok := m["fallback"].(map[string]any); ok {
		p.fallbacks = []refFallback{{To: fm["provider"].(string), On: conds(fm["conditions"]), Backoff: "0s"}}
	}
	if s, ok := m["sticky"].(map[string]any); ok {
		p.sticky = true
		if e, ok := s["enabled"].(bool); ok {
			p.sticky = e
		}
		p.stickyKey, _ = s["session_key"].(string)
		p.stickyTTL = 10 * time.Minute
		switch ttl := s["ttl"].(type) {
		case string:
			d, err := time.ParseDuration(ttl)
			if err != nil {
				t.Fatal(err)
			}
			p.stickyTTL = d
		case float64:
			p.stickyTTL = time.Duration(ttl) * time.Second
		}
		if secs, ok := s["ttl_seconds"].(float64); ok {
			p.stickyTTL = time.Duration(secs) * time.Second
		}
	}
	ids := func(field string) []string {
		var out []string
		xs, _ := m[field].([]any)
		for _, x := range xs {
			if s, ok := x.(string); ok {
				out = append(out, s)
			} else {
				out = append(out, x.(map[string]any)["id"].(string))
			}
		}
		return out
	}
	p.pre, p.val, p.post = ids("pre"), ids("validators"), ids("post")
	if cb, ok := m["circuit_breaker"].(map[string]any); ok {
		p.breaker = true
		if e, ok := cb["enabled"].(bool); ok {
			p.breaker = e
		}
		p.errorRate, _ = cb["error_rate"].(float64)
	}
	return p
}

// refHealth is the provider health a request sees.
type refHealth struct {
	down map[string]bool
	rate map[string]float64
}

// shares is the CP1 probability of each provider under health h.
func (p *refPolicy) shares(h refHealth) map[string]float64 {
	eligible := map[string]int{}
	total := 0
	for _, n := range p.names {
		if p.breaker && (h.down[n] || p.errorRate > 0 && h.rate[n] >= p.errorRate) {
			continue
		}
		eligible[n] = p.weight[n]
		total += p.weight[n]
	}
	if total == 0 {
		eligible, total = map[string]int{}, 0
		for _, n := range p.names {
			eligible[n] = p.weight[n]
			total += p.weight[n]
		}
	}
	out := map[string]float64{}
	for n, w := range eligible {
		if w > 0 {
			out[n] = float64(w) / float64(total)
		}
	}
	return out
}

// want is what the CP1 policy decides for a request, besides the draw.
type want struct {
	Fallbacks []refFallback
	StickyKey string
	StickyTTL string
	Pre, Val  []string
	Post      []string
}

func (p *refPolicy) decide(sessionID string, metadata map[string]string) want {
	w := want{Fallbacks: p.fallbacks, Pre: p.pre, Val: p.val, Post: p.post, StickyTTL: "0s"}
	if p.sticky {
		w.StickyTTL = lang.FormatDuration(p.stickyTTL)
		if p.stickyKey == "" {
			w.StickyKey = sessionID
		} else {
			w.StickyKey = metadata[p.stickyKey]
		}
	}
	return w
}

func (p *refPolicy) priorityOf(target string) int64 {
	if n, ok := p.priority[target]; ok {
		return int64(n)
	}
	return stdlib.DefaultPriority
}

const requests = 10_000

// TestEquivalence migrates each sample CP1 policy, compiles the RPL and
// compares its decisions over 10,000 generated requests (per provider
// health scenario, for policies with a circuit breaker) with the reference
// evaluator: provider shares within 2 percentage points, and exactly the
// same fallbacks, sticky keys and ttls, priorities and extensions.
func TestEquivalence(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/cp1/*.json")
	if len(files) < 8 {
		t.Fatalf("%d sample policies", len(files))
	}
	worst := 0.0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src, err := migrate.Convert(data, migrate.Options{Source: filepath.Base(f)})
			if err != nil {
				t.Fatal(err)
			}
			prog, err := env.CompileSource(name+".rpl", src)
			if err != nil {
				t.Fatalf("migrated policy does not compile: %v\n%s", err, src)
			}
			ref := refParse(t, data)
			scenarios := []refHealth{{}}
			if ref.breaker {
				scenarios = append(scenarios,
					refHealth{down: map[string]bool{ref.names[0]: true}},
					refHealth{rate: map[string]float64{ref.names[1]: 0.3}},
					refHealth{down: map[string]bool{ref.names[0]: true, ref.names[1]: true}, rate: map[string]float64{ref.names[2]: 0.9}},
					refHealth{down: allDown(ref.names)},
				)
			}
			rng := rand.New(rand.NewPCG(uint64(len(name)), 42))
			for si, h := range scenarios {
				state := &stdlib.MemState{}
				for n := range h.down {
					state.SetHealth(n, false, h.rate[n])
				}
				for n, r := range h.rate {
					if !h.down[n] {
						state.SetHealth(n, true, r)
					}
				}
				counts := map[string]int{}
				for i := range requests {
					id := fmt.Sprintf("%s-%d-%d-%x", name, si, i, rng.Uint64())
					meta := map[string]string{}
					for _, k := range []string{"session", "session_id", "conversation_id"} {
						if rng.IntN(3) > 0 {
							meta[k] = fmt.Sprintf("%s-%d", k, rng.IntN(1_000_000))
						}
					}
					session := ""
					if rng.IntN(4) > 0 {
						session = fmt.Sprintf("s-%d", rng.IntN(1_000_000))
					}
					reqJSON, _ := json.Marshal(map[string]any{"id": id, "session": map[string]string{"id": session}, "metadata": meta, "tenant": map[string]string{"id": "t"}})
					req, err := prog.RequestFromJSON(reqJSON)
					if err != nil {
						t.Fatal(err)
					}
					in := rpl.DefaultInput(time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC), id)
					in.Host = state
					res, err := prog.Decide(context.Background(), req, in)
					if err != nil {
						t.Fatalf("request %s: %v", id, err)
					}
					d := rpl.ToGo(prog.DecisionType(), res.Value).(map[string]any)
					target := d["target"].(string)
					counts[target]++
					if d["reason"] != "weighted" {
						t.Fatalf("reason %v", d["reason"])
					}
					if got, want := d["priority"].(int64), ref.priorityOf(target); got != want {
						t.Fatalf("request %s to %s: priority %d, want %d", id, target, got, want)
					}
					got := want{StickyKey: d["sticky_key"].(string), StickyTTL: d["sticky_ttl"].(string),
						Pre: strs(d["pre"]), Val: strs(d["validators"]), Post: strs(d["post"])}
					for _, fx := range d["fallbacks"].([]any) {
						fm := fx.(map[string]any)
						got.Fallbacks = append(got.Fallbacks, refFallback{To: fm["target"].(string), On: strs(fm["on"]), Retries: fm["retries"].(int64), Backoff: fm["backoff"].(string)})
					}
					if exp := ref.decide(session, meta); fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", exp) {
						t.Fatalf("request %s:\n got %+v\nwant %+v", id, got, exp)
					}
				}
				shares := ref.shares(h)
				for n, c := range counts {
					if _, ok := shares[n]; !ok {
						t.Errorf("scenario %d: %d requests to %s, which CP1 never chooses", si, c, n)
					}
				}
				var line []string
				for _, n := range ref.names {
					obs := float64(counts[n]) / requests
					dev := math.Abs(obs - shares[n])
					worst = math.Max(worst, dev)
					if dev > 0.02 {
						t.Errorf("scenario %d: %s has %.2f%% of the requests, CP1 gives it %.2f%%", si, n, 100*obs, 100*shares[n])
					}
					line = append(line, fmt.Sprintf("%s %.1f%%/%.1f%%", n, 100*obs, 100*shares[n]))
				}
				t.Logf("scenario %d (observed/CP1): %s", si, strings.Join(line, ", "))
			}
		})
	}
	t.Logf("largest share deviation: %.2f percentage points", 100*worst)
}

func allDown(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

func strs(x any) []string {
	xs, _ := x.([]any)
	var out []string
	for _, e := range xs {
		out = append(out, e.(string))
	}
	return out
}

// TestLargeBreakerPolicy: a circuit breaker's split of the healthy
// providers is one map literal computed at run time, which has at most
// lang.MaxComputedMapEntries entries (RPL320). At MaxBreakerProviders the migrated
// policy builds as rplc build builds a directory; one more provider is an
// error naming the limit, not a policy that checks and then fails to
// build.
func TestLargeBreakerPolicy(t *testing.T) {
	policy := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`{"version": "1", "policy_id": "large", "circuit_breaker": {"error_rate": 0.5}, "providers": [`)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `{"name": "p%d", "weight": %d}`, i, 1+i%100)
		}
		b.WriteString("]}")
		return []byte(b.String())
	}
	src, err := migrate.Convert(policy(migrate.MaxBreakerProviders), migrate.Options{})
	if err != nil {
		t.Fatalf("%d providers: %v", migrate.MaxBreakerProviders, err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "large.rpl"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Build(dir, bundle.BuildOptions{SkipTests: true}); err != nil {
		t.Fatalf("%d providers: the migrated policy does not build: %v", migrate.MaxBreakerProviders, err)
	}

	data := policy(migrate.MaxBreakerProviders + 1)
	_, err = migrate.Convert(data, migrate.Options{})
	list, ok := err.(migrate.ErrorList)
	if !ok || len(list) != 1 || list[0].Path != "providers" || !strings.Contains(list[0].Msg, fmt.Sprintf("at most %d providers", lang.MaxComputedMapEntries)) {
		t.Fatalf("%d providers: error %v, want one at providers naming the limit", migrate.MaxBreakerProviders+1, err)
	}
	// Placed at the list, as Parse's errors are (Generate's error, which
	// Convert places in the document).
	if col := bytes.Index(data, []byte(`[{"name"`)) + 1; list[0].Line != 1 || list[0].Col != col {
		t.Errorf("error at %d:%d, want 1:%d", list[0].Line, list[0].Col, col)
	}
	// Without a circuit breaker there is no such literal, and no limit.
	if _, err := migrate.Convert(bytes.Replace(policy(migrate.MaxBreakerProviders+1), []byte(`"circuit_breaker": {"error_rate": 0.5}, `), nil, 1), migrate.Options{}); err != nil {
		t.Errorf("%d providers without a circuit breaker: %v", migrate.MaxBreakerProviders+1, err)
	}
}
