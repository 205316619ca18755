package runtime_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/vm"
)

// trustedPolicy builds its decision with a builtin only; its tests build
// Decision records of their own (a literal, and a function only the
// tests call), which route never runs.
const trustedPolicy = `package trusted

fn route(r: Request) -> Decision = to("openai:gpt-4o")
`

const trustedTests = `package trusted

fn expected(t: string) -> Decision = {action: "route", target: t}

test "route routes to gpt-4o" {
  let d: Decision = {action: "route", target: "openai:gpt-4o"}
  expect route({}).action == d.action
  expect route({}).action == expected("a:x").action
}
`

// TestTestLiteralsNotChecked: the engine checks the decisions of a
// policy whose route can build a Decision record of its own
// (vm.Program.MakesRecordsFrom), not those of a policy whose tests
// alone build one: route's decisions are the builtins', which checked
// them. It does check those of a program holding a constant decision
// the builtins would refuse, which no compiler of now makes (it folds no
// record literal, and a builtin's fold fails): the bundle below, whose
// route's constant decision is given a target the router does not take
// (as a compiler that folded record literals could have left it, or a
// hand), has its decision refused.
func TestTestLiteralsNotChecked(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "trusted.rpl", trustedPolicy)
	writeFile(t, dir, "trusted_test.rpl", trustedTests)
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, runtime.Config{})
	n := len(e.DecisionType().Fields)
	b, err := bundle.Read(res.Data, bundle.ReadOptions{Builtins: e.Env().Builtins()})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := vm.Load(b.Policies[0].Code, e.Env().Builtins())
	if err != nil {
		t.Fatal(err)
	}
	if !prog.MakesRecords(n) || prog.MakesRecordsFrom("route", n) {
		t.Fatalf("the tests build a Decision %v (want true), route %v (want false):\n%s", prog.MakesRecords(n), prog.MakesRecordsFrom("route", n), vm.Disassemble(prog))
	}
	// route's decision, to() folded into a constant: its target made one
	// the router does not take.
	spec := prog.Spec()
	spec.Constants = append([]vm.Value(nil), spec.Constants...)
	bad := 0
	for i, c := range spec.Constants {
		if d := c.Record(); c.Kind() == vm.KindRecord && len(d) == n {
			for j, f := range d {
				if f.Kind() == vm.KindString && f.Str() == "openai:gpt-4o" {
					d = append([]vm.Value(nil), d...)
					d[j] = vm.Str("openai gpt-4o")
					spec.Constants[i] = vm.NewRecord(d)
					bad++
				}
			}
		}
	}
	if bad != 1 {
		t.Fatalf("%d constant decisions to gpt-4o, want 1:\n%s", bad, vm.Disassemble(prog))
	}
	changed, err := vm.NewProgram(spec, e.Env().Builtins())
	if err != nil {
		t.Fatal(err)
	}
	code, err := changed.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	data, err := bundle.Write(b.Manifest, [][]byte{code}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		data   []byte
		checks bool
	}{{"as built", res.Data, false}, {"a bad constant decision", data, true}} {
		s, err := e.LoadBundle(context.Background(), "trusted.rplb", c.data, bundle.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Policy("trusted").ChecksDecisions(); got != c.checks {
			t.Errorf("%s: decisions checked %v, want %v", c.name, got, c.checks)
		}
		e.Activate(s)
		o := e.Decide(context.Background(), "trusted", request(t, e, `{"id": "r"}`), time.Time{})
		switch {
		case !c.checks && (o.Err != nil || o.Failure != nil):
			t.Errorf("%s: err %v, failure %v", c.name, o.Err, o.Failure)
		case c.checks && (o.Failure == nil || o.Failure.Code != runtime.CodeInvalidDecision || !strings.Contains(o.Failure.Msg, "spaces")):
			t.Errorf("%s: a bad target answered: err %v, failure %v", c.name, o.Err, o.Failure)
		}
	}
}

// TestReachedLiteralsChecked: a Decision literal that route reaches is
// checked wherever it is: in route, in a function route calls directly
// or through another, in a lambda of a higher-order builtin (lowered
// into route's code), in a function such a lambda calls, in a function
// that calls itself. Their tests build no Decision of their own.
func TestReachedLiteralsChecked(t *testing.T) {
	dir := t.TempDir()
	const mk = `fn mk(t: string) -> Decision = {action: "route", target: t}
`
	target := `r.metadata["target"] ?? "a:x"`
	for name, src := range map[string]string{
		"direct": `fn route(r: Request) -> Decision = {action: "route", target: ` + target + `}`,
		"called": mk + `fn route(r: Request) -> Decision = mk(` + target + `)`,
		"chain":  mk + `fn via(t: string) -> Decision = mk(t)` + "\n" + `fn route(r: Request) -> Decision = via(` + target + `)`,
		"lambda": `fn route(r: Request) -> Decision = [` + target + `].map(t => {
  let d: Decision = {action: "route", target: t}
  d
})[0] ?? to("b:y")`,
		"lambdas": mk + `fn route(r: Request) -> Decision = [` + target + `].map(t => mk(t))[0] ?? to("b:y")`,
		"recurse": mk + `fn down(n: int, t: string) -> Decision = if n == 0 { mk(t) } else { down(n - 1, t) }` + "\n" + `fn route(r: Request) -> Decision = down(3, ` + target + `)`,
	} {
		writeFile(t, dir, name+".rpl", "package "+name+"\n\n"+src+"\n")
		writeFile(t, dir, name+"_test.rpl", "package "+name+"\n\ntest \"routes\" {\n  expect route({}).target == \"a:x\"\n}\n")
	}
	e := newEngine(t, runtime.Config{})
	s := load(t, e, dir)
	n := len(e.DecisionType().Fields)
	ctx := context.Background()
	for _, name := range []string{"direct", "called", "chain", "lambda", "lambdas", "recurse"} {
		if !s.Policy(name).Program.VM().MakesRecordsFrom("route", n) {
			t.Errorf("%s: route builds no Decision:\n%s", name, vm.Disassemble(s.Policy(name).Program.VM()))
		}
		o := e.Decide(ctx, name, request(t, e, `{"id": "r", "metadata": {"target": "openai gpt-4o"}}`), time.Time{})
		if o.Failure == nil || o.Failure.Code != runtime.CodeInvalidDecision || !strings.Contains(o.Failure.Msg, "spaces") {
			t.Errorf("%s: a bad target answered: err %v, failure %v", name, o.Err, o.Failure)
		}
		if o := e.Decide(ctx, name, request(t, e, `{"id": "r"}`), time.Time{}); o.Err != nil {
			t.Errorf("%s: %v", name, o.Err)
		}
	}
}
