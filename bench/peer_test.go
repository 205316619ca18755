package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/expr-lang/expr"
	exprvm "github.com/expr-lang/expr/vm"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// A runner evaluates one case on one prepared request. run is the timed
// body; get returns the answer (bool for predicates, the target string for
// routing cases) for the agreement test.
type runner struct {
	run func() error
	get func() (any, error)
}

// An engine compiles a case once and prepares requests for evaluation.
type engine struct {
	name    string
	compile func(tb testing.TB, c Case) func(tb testing.TB, r Request) runner
}

// Engines in the order they are reported.
var engines = []engine{
	{"rpl", compileRPL},
	{"rpl_fn", compileRPLFn},
	{"expr", compileExpr},
	{"cel", compileCEL},
}

// ---- rpl: the embedding API, Program.Evaluator().Decide on a
// RequestFromJSON value.

var rplEnv = sync.OnceValues(func() (*rpl.Env, error) { return rpl.NewEnv() })

func mustEnv(tb testing.TB) *rpl.Env {
	e, err := rplEnv()
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func requestValue(tb testing.TB, p *rpl.Program, r Request) vm.Value {
	data, err := json.Marshal(r)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := p.RequestFromJSON(data)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func compileRPL(tb testing.TB, c Case) func(testing.TB, Request) runner {
	env := mustEnv(tb)
	prog, err := env.CompileSource(c.Name+".rpl", []byte(c.RPL))
	if err != nil {
		tb.Fatalf("%s:\n%s\n%v", c.Name, c.RPL, err)
	}
	target := prog.DecisionType().FieldIndex("target")
	return func(tb testing.TB, r Request) runner {
		req := requestValue(tb, prog, r)
		ctx := context.Background()
		in := rpl.Input{}
		// The fastest documented mode: an Evaluator keeps its machine, as
		// expr's benchmark reuses its VM.
		ev := prog.Evaluator()
		return runner{
			run: func() error {
				_, err := ev.Decide(ctx, req, in)
				return err
			},
			get: func() (any, error) {
				res, err := prog.Decide(ctx, req, in)
				if err != nil {
					return nil, err
				}
				t := res.Value.Record()[target].Str()
				if c.Target {
					return t, nil
				}
				return t == "a", nil
			},
		}
	}
}

// ---- rpl_fn: the policy's pred (or pick) function alone, without the
// decision record. The embedding API has no entry point for it (only route
// and test blocks are entries), so this compiles through lang, compiler and
// vm, adds an entry for the function, and runs it exactly as
// Program.DecideWithLimits runs route (pooled Machine, default limits).

func compileRPLFn(tb testing.TB, c Case) func(testing.TB, Request) runner {
	env := mustEnv(tb)
	src := c.RPL
	if c.RPLFn != "" {
		src = c.RPLFn
	}
	// route goes in a policy of its own that imports the case's source as
	// a library, so that the compiler does not inline pred (it inlines
	// small functions of the same file only).
	i := strings.Index(src, "\nfn route(")
	if i < 0 {
		tb.Fatalf("%s: no route in the policy", c.Name)
	}
	name := "pred"
	if c.Target {
		name = "pick"
	}
	dir := tb.TempDir()
	route := "package main\nimport \"./lib\" as lib\n" + strings.ReplaceAll(src[i:], name+"(r)", "lib."+name+"(r)")
	for file, text := range map[string]string{"lib.rpl": src[:i], "route.rpl": route} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	checked, diags := lang.Check(&lang.Config{Universe: env.Universe()}, filepath.Join(dir, "route.rpl"))
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	out, err := compiler.Compile(checked, compiler.Options{NoTests: true})
	if err != nil {
		tb.Fatal(err)
	}
	entry := -1
	for i, f := range out.Spec.Functions {
		if f.Name == name || strings.HasSuffix(f.Name, "."+name) {
			entry = i
		}
	}
	if entry < 0 {
		names := []string{}
		for _, f := range out.Spec.Functions {
			names = append(names, f.Name)
		}
		tb.Fatalf("%s: no compiled function %s among %v", c.Name, name, names)
	}
	out.Spec.Entries[name] = entry
	p, err := vm.NewProgram(out.Spec, env.Builtins())
	if err != nil {
		tb.Fatal(err)
	}
	// The request value comes from the public API so it is the same value.
	prog, err := env.CompileSource(c.Name+".rpl", []byte(c.RPL))
	if err != nil {
		tb.Fatal(err)
	}
	return func(tb testing.TB, r Request) runner {
		args := []vm.Value{requestValue(tb, prog, r)}
		ctx := context.Background()
		eval := func() (vm.Value, error) {
			m := vm.Get()
			v, _, err := m.Run(ctx, p, entry, args, rpl.Limits{}, rpl.Input{})
			vm.Put(m)
			return v, err
		}
		return runner{
			run: func() error {
				_, err := eval()
				return err
			},
			get: func() (any, error) {
				v, err := eval()
				if err != nil {
					return nil, err
				}
				if c.Target {
					return v.Str(), nil
				}
				return v.Bool(), nil
			},
		}
	}
}

// ---- expr: expr.Compile with a typed struct env, one reused vm.VM.

func compileExpr(tb testing.TB, c Case) func(testing.TB, Request) runner {
	opts := []expr.Option{expr.Env(Request{})}
	if c.Target {
		opts = append(opts, expr.AsKind(reflectString))
	} else {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(c.Expr, opts...)
	if err != nil {
		tb.Fatalf("%s:\n%s\n%v", c.Name, c.Expr, err)
	}
	return func(tb testing.TB, r Request) runner {
		var env any = r // boxed once, outside the timed loop
		var machine exprvm.VM
		return runner{
			run: func() error {
				_, err := machine.Run(prog, env)
				return err
			},
			get: func() (any, error) { return machine.Run(prog, env) },
		}
	}
}

// ---- cel: typed declarations, OptOptimize, the request converted to CEL
// values once and served by a reused Activation without a map lookup.

var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	obj := cel.MapType(cel.StringType, cel.DynType)
	strMap := cel.MapType(cel.StringType, cel.StringType)
	return cel.NewEnv(
		cel.Variable("id", cel.StringType),
		cel.Variable("tenant", obj),
		cel.Variable("user", obj),
		cel.Variable("session", obj),
		cel.Variable("task", obj),
		cel.Variable("model", cel.StringType),
		cel.Variable("estimate", obj),
		cel.Variable("metadata", strMap),
		cel.Variable("headers", strMap),
		ext.Strings(),
		ext.Lists(),
		ext.Bindings(),
	)
})

type celActivation struct {
	vars map[string]ref.Val
	// The variables the cases read, resolved without a map lookup.
	tenant, user, task, model, estimate, metadata ref.Val
}

func (a *celActivation) ResolveName(name string) (any, bool) {
	switch name {
	case "tenant":
		return a.tenant, true
	case "task":
		return a.task, true
	case "estimate":
		return a.estimate, true
	case "model":
		return a.model, true
	case "user":
		return a.user, true
	case "metadata":
		return a.metadata, true
	}
	v, ok := a.vars[name]
	return v, ok
}

func (a *celActivation) Parent() interpreter.Activation { return nil }

func newCELActivation(r Request) *celActivation {
	a := &celActivation{vars: map[string]ref.Val{}}
	for k, v := range r.CELVars() {
		a.vars[k] = types.DefaultTypeAdapter.NativeToValue(v)
	}
	a.tenant, a.user, a.task = a.vars["tenant"], a.vars["user"], a.vars["task"]
	a.model, a.estimate, a.metadata = a.vars["model"], a.vars["estimate"], a.vars["metadata"]
	return a
}

func compileCEL(tb testing.TB, c Case) func(testing.TB, Request) runner {
	env, err := celEnv()
	if err != nil {
		tb.Fatal(err)
	}
	ast, iss := env.Compile(c.CEL)
	if iss.Err() != nil {
		tb.Fatalf("%s:\n%s\n%v", c.Name, c.CEL, iss.Err())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		tb.Fatal(err)
	}
	return func(tb testing.TB, r Request) runner {
		act := newCELActivation(r)
		return runner{
			run: func() error {
				_, _, err := prg.Eval(act)
				return err
			},
			get: func() (any, error) {
				v, _, err := prg.Eval(act)
				if err != nil {
					return nil, err
				}
				return v.Value(), nil
			},
		}
	}
}

// ---- the benchmark and the agreement test.

func BenchmarkPeer(b *testing.B) {
	for _, c := range Cases() {
		b.Run(c.Name, func(b *testing.B) {
			for _, e := range engines {
				b.Run(e.name, func(b *testing.B) {
					r := e.compile(b, c)(b, c.Bench)
					if err := r.run(); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					cpu0 := cpuTime()
					for b.Loop() {
						if err := r.run(); err != nil {
							b.Fatal(err)
						}
					}
					// The machine is shared: wall time includes time other
					// processes took. CPU time of this process (all threads,
					// so the GC's work is included) is the steadier figure.
					b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
				})
			}
		})
	}
}

// TestEnginesAgree checks that the engines give the same answer on every
// case for a set of varied requests (and the bench requests), and that
// routing50 agrees with its Go reference.
func TestEnginesAgree(t *testing.T) {
	samples := Samples(300)
	rules := Rules50()
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			prepared := make([]func(testing.TB, Request) runner, len(engines))
			for i, e := range engines {
				prepared[i] = e.compile(t, c)
			}
			reqs := append([]Request{c.Bench}, samples...)
			trues := 0
			for n, r := range reqs {
				var want any
				for i, e := range engines {
					got, err := prepared[i](t, r).get()
					if err != nil {
						t.Fatalf("request %d, %s: %v", n, e.name, err)
					}
					if i == 0 {
						want = got
						if c.Name == "routing50" && got != Route50(rules, r) {
							t.Fatalf("request %d: rpl routes to %v, the Go reference to %v", n, got, Route50(rules, r))
						}
						if got == true {
							trues++
						}
						continue
					}
					if got != want {
						j, _ := json.Marshal(r)
						t.Fatalf("request %d %s: rpl says %v, %s says %v", n, j, want, e.name, got)
					}
				}
			}
			if !c.Target && (trues == 0 || trues == len(reqs)) {
				t.Errorf("%s is constant over the samples (%d of %d true): a weak test", c.Name, trues, len(reqs))
			}
			want := true
			if c.Target {
				want = false
			}
			if got, _ := prepared[0](t, c.Bench).get(); (got == true) != want && !c.Target {
				t.Errorf("bench request of %s does not take the full path: %v", c.Name, got)
			}
		})
	}
}

// TestRoutingTargetsVaried checks that the samples exercise many rules.
func TestRoutingTargetsVaried(t *testing.T) {
	rules := Rules50()
	seen := map[string]bool{}
	for _, r := range Samples(300) {
		seen[Route50(rules, r)] = true
	}
	if len(seen) < 20 {
		t.Fatalf("samples reach only %d targets of routing50", len(seen))
	}
	t.Logf("samples reach %d targets", len(seen))
}

func ExampleCases() {
	for _, c := range Cases() {
		fmt.Println(c.Name)
	}
	// Output:
	// predicate
	// strings
	// membership
	// map100
	// routing50
}

var reflectString = reflect.String

func TestRoutingBenchRequest(t *testing.T) {
	target, n := RoutingBenchClauses()
	t.Logf("routing50 bench request: %d clauses evaluated, target %s", n, target)
}

// cpuTime is the CPU time (user + system) the process has used, in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
