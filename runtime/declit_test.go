package runtime_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
	"github.com/rpl-lang/rpl/vm"
)

// declitPolicy builds its decision with record literals, each target
// from the request's metadata (a decision's, a fallback's) or constant
// (a split's, which takes constant keys).
const declitPolicy = `package default

fn route(r: Request) -> Decision {
  let t = r.metadata["target"] ?? "a:x"
  let fb: Fallback = {target: r.metadata["fallback"] ?? "b:y", on: [any_error]}
  match r.metadata["shape"] ?? "" {
    "split" => {action: "route", split: {"a:x": 1, "x y": 1}, reason: t},
    "splitok" => {action: "route", split: {"a:x": 1, openai: 2}, reason: t},
    "deny" => {action: "deny", deny_reason: "no", target: t},
    _ => {action: "route", target: t, fallbacks: [{target: "c:z", on: [timeout]}, fb], priority: 50},
  }
}
`

// constLitPolicy builds its decisions with constant record literals
// only: the compiler folded them, so that the program built no Decision
// record of its own, and the engine trusted them. (It folds none now.)
const constLitPolicy = `package constlit

const FB: Fallback = {target: ":x", on: [any_error]}

fn route(r: Request) -> Decision = match r.metadata["shape"] ?? "" {
  "const" => {action: "route", target: "openai gpt-4o", priority: 50},
  "constfb" => {action: "route", target: "a:x", fallbacks: [FB]},
  "constsplit" => {action: "route", split: {"a:x": 1, "": 1}},
  "weights" => {action: "route", split: {"a:x": 0, "b:y": 0}},
  "negweight" => {action: "route", split: {"a:x": 2, "b:y": -1}},
  "noon" => {action: "route", target: "a:x", fallbacks: [{target: "b:y", on: []}]},
  "retries" => {action: "route", target: "a:x", fallbacks: [{target: "b:y", on: [timeout], retries: -1}]},
  "backoff" => {action: "route", target: "a:x", fallbacks: [{target: "b:y", on: [timeout], backoff: -1s}]},
  _ => to("a:x"),
}
`

// TestLiteralDecisionTargets: a decision a policy builds with a record
// literal that breaks a rule the builtins keep (stdlib.DecisionProblem:
// a target the router does not take, as its target, a fallback's or a
// split's; split weights that draw nothing; a fallback with no trigger,
// negative retries or backoff) is the policy's failure (invalid_decision,
// naming the field), as to(), fallback and weighted refuse what they are
// given; it was answered as it was. Constant literals too, which the
// compiler does not fold; and from a bundle, whose programs say the same
// (vm.Program.MakesRecordsFrom).
func TestLiteralDecisionTargets(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", declitPolicy)
	writeFile(t, dir, "constlit.rpl", constLitPolicy)
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromDir := newEngine(t, runtime.Config{})
	load(t, fromDir, dir)
	fromBundle := newEngine(t, runtime.Config{})
	s, err := fromBundle.LoadBundle(context.Background(), "declit.rplb", res.Data, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromBundle.Activate(s)
	safe := newEngine(t, runtime.Config{FailureMode: runtime.FailSafeDefault, SafeDefault: "openai:gpt-4o-mini"})
	load(t, safe, dir)
	long := "a:" + strings.Repeat("x", 10<<10)
	bad := map[string]string{
		`{"target": "openai gpt-4o"}`:       `target "openai gpt-4o": it holds spaces or control characters`,
		`{"target": ":x"}`:                  `target ":x": want "provider:model", or a provider alone`,
		`{"target": "a:\u0001"}`:            `target "a:\x01": it holds spaces or control characters`,
		`{"target": "` + long + `"}`:        `target "a:xxxx`,
		`{"fallback": ""}`:                  `fallbacks[1]: empty target`,
		`{"fallback": "b:"}`:                `fallbacks[1]: target "b:": want "provider:model", or a provider alone`,
		`{"shape": "split"}`:                `split: target "x y": it holds spaces or control characters`,
		`{"shape": "deny", "target": "\t"}`: `target "\t": it holds spaces or control characters`,
	}
	constBad := map[string]string{
		`{"shape": "const"}`:      `target "openai gpt-4o": it holds spaces or control characters`,
		`{"shape": "constfb"}`:    `fallbacks[0]: target ":x": want "provider:model", or a provider alone`,
		`{"shape": "constsplit"}`: `split: empty target`,
		`{"shape": "weights"}`:    `split: weights sum to 0`,
		`{"shape": "negweight"}`:  `split: negative weight -1 for "b:y"`,
		`{"shape": "noon"}`:       `fallbacks[0]: no triggers: a fallback with on: [] never runs`,
		`{"shape": "retries"}`:    `fallbacks[0]: negative retries -1`,
		`{"shape": "backoff"}`:    `fallbacks[0]: negative backoff -1s`,
	}
	ctx := context.Background()
	cut := func(s string) string { return textcut.Cut(s, 120) }
	fails := func(policy, md, why string) {
		t.Helper()
		for name, e := range map[string]*runtime.Engine{"dir": fromDir, "bundle": fromBundle} {
			o := e.Decide(ctx, policy, request(t, e, `{"id": "r", "metadata": `+md+`}`), time.Time{})
			if o.Err == nil || o.Err.Code != runtime.CodeDecisionFailed || o.Failure == nil ||
				o.Failure.Code != runtime.CodeInvalidDecision || !strings.HasPrefix(o.Failure.Msg, why) || o.Denied {
				t.Errorf("%s, %s %s: err %s, failure %v, denied %v; want %s", name, policy, cut(md), cut(fmt.Sprint(o.Err)), o.Failure != nil, o.Denied, why)
			}
		}
		if o := safe.Decide(ctx, policy, request(t, safe, `{"id": "r", "metadata": `+md+`}`), time.Time{}); !o.SafeDefault || o.Failure == nil {
			t.Errorf("safe default, %s %s: answered %v", policy, cut(md), o.SafeDefault)
		}
	}
	for md, why := range bad {
		fails("default", md, why)
	}
	for md, why := range constBad {
		fails("constlit", md, why)
	}
	if o := fromDir.Decide(ctx, "default", request(t, fromDir, `{"id": "r", "metadata": {"target": "`+long+`"}}`), time.Time{}); o.Failure != nil && len(o.Failure.Msg) > 200 {
		t.Errorf("a long target is written whole: %d bytes", len(o.Failure.Msg))
	}
	// Targets the router takes stand: a provider alone, a denial
	// without a target, a split.
	for _, md := range []string{`{}`, `{"target": "openai"}`, `{"shape": "splitok"}`, `{"shape": "deny", "target": ""}`} {
		for name, e := range map[string]*runtime.Engine{"dir": fromDir, "bundle": fromBundle} {
			for _, policy := range []string{"default", "constlit"} {
				if o := e.Decide(ctx, policy, request(t, e, `{"id": "r", "metadata": `+md+`}`), time.Time{}); o.Err != nil || o.Failure != nil {
					t.Errorf("%s, %s %s: %v", name, policy, md, o.Err)
				}
			}
		}
	}
}

// TestBuiltinDecisionsNotRechecked: the policies that build their
// decisions with the builtins only (the examples) build no Decision
// record of their own, so that the engine does not check their decisions
// again; one with a record literal does, constant or not (the compiler
// folds no Decision literal).
func TestBuiltinDecisionsNotRechecked(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	n := len(e.DecisionType().Fields)
	s := load(t, e, examples)
	ents, err := os.ReadDir(examples)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, ent := range ents {
		id, ok := strings.CutSuffix(ent.Name(), ".rpl")
		if !ok || strings.HasSuffix(id, "_test") {
			continue
		}
		p := s.Policy(id)
		if p == nil {
			continue
		}
		checked++
		if p.Program.VM().MakesRecordsFrom("route", n) {
			t.Errorf("%s builds Decision records of its own", id)
		}
	}
	if checked == 0 {
		t.Fatal("no example policy")
	}
	dir := t.TempDir()
	writeFile(t, dir, "folded.rpl", `package folded

const D: Decision = {action: "route", target: "openai:gpt-4o", split: {"a:x": 1}, fallbacks: [{target: "b:y", on: [timeout]}]}

fn route(r: Request) -> Decision = if r.model == "x" { D } else { {action: "route", target: "anthropic", priority: 50} }
`)
	writeFile(t, dir, "built.rpl", `package built

fn route(r: Request) -> Decision = {action: "route", target: r.model}
`)
	s = load(t, e, filepath.Clean(dir))
	if !s.Policy("folded").Program.VM().MakesRecordsFrom("route", n) {
		t.Error("a constant Decision literal is folded, and its decisions not checked")
	}
	if !s.Policy("built").Program.VM().MakesRecordsFrom("route", n) {
		t.Error("a literal of a field computed at run time is not seen")
	}
}

// BenchmarkEngineDecideLiteral is a decision that a policy builds with
// record literals (a target and two fallbacks computed at run time): what
// checking its targets costs, which a policy building its decisions with
// the builtins does not pay.
func BenchmarkEngineDecideLiteral(b *testing.B) {
	dir := b.TempDir()
	writeFile(b, dir, "default.rpl", `package default

fn route(r: Request) -> Decision {
  let fb: Fallback = {target: r.model + "-mini", on: [any_error]}
  {action: "route", target: r.model, fallbacks: [{target: "anthropic:claude-sonnet", on: [timeout]}, fb], priority: 50}
}
`)
	e := newEngine(b, runtime.Config{State: state.NewMem(state.Options{})})
	load(b, e, dir)
	req := request(b, e, `{"id": "req-000123", "tenant": {"id": "tenant-42"}, "model": "openai:gpt-4o"}`)
	slots := req.Record()
	ctx := context.Background()
	now := time.Now()
	var o runtime.Outcome
	b.ReportAllocs()
	for b.Loop() {
		e.DecideInto(ctx, &o, "", vm.NewRecord(slots), now)
		if o.Err != nil {
			b.Fatal(o.Err)
		}
	}
}
