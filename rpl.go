// Package rpl is the embedding API of the Router Policy Language.
//
// An Env is built once: it holds the checker's universe (the standard
// library's declarations and the request schema), the builtin
// implementations and the default evaluation limits. Env.Compile checks
// and compiles a policy into a Program, which is immutable and safe for
// concurrent use: prepare once, evaluate many times.
//
//	env, err := rpl.NewEnv()
//	prog, err := env.Compile("policies/acme.rpl")
//	req, err := prog.RequestFromJSON(body)
//	res, err := prog.Decide(ctx, req, rpl.Input{Now: arrival, Seed: seed})
//
// Evaluation never panics on a policy's behalf and never exceeds its
// limits: fuel, memory, call depth and the context's deadline each stop a
// run with a *vm.Error carrying a stable code and the policy's call stack.
package rpl

import (
	"context"
	"fmt"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// Limits bound one evaluation; zero fields take the VM's defaults.
type Limits = vm.Limits

// Input is what an evaluation may observe besides the request: the clock
// (the request's arrival), the random seed (derived from the request id)
// and the host's state services, which builtins of std/cost, std/ab and
// std/health read.
type Input = vm.Input

// Env is a compilation and evaluation environment. It is read-only after
// NewEnv and may be shared.
type Env struct {
	universe *lang.Universe
	builtins *vm.BuiltinTable
	limits   Limits
}

// Option configures an Env.
type Option func(*Env)

// WithLimits sets the default limits of every evaluation.
func WithLimits(l Limits) Option { return func(e *Env) { e.limits = l } }

// NewEnv returns an environment with the standard library.
func NewEnv(opts ...Option) (*Env, error) {
	u, err := stdlib.Universe()
	if err != nil {
		return nil, fmt.Errorf("rpl: standard library: %w", err)
	}
	table, err := stdlib.Table()
	if err != nil {
		return nil, fmt.Errorf("rpl: standard library: %w", err)
	}
	e := &Env{universe: u, builtins: table}
	for _, o := range opts {
		o(e)
	}
	return e, nil
}

// Universe returns the environment's checker universe.
func (e *Env) Universe() *lang.Universe { return e.universe }

// Builtins returns the environment's builtin implementations.
func (e *Env) Builtins() *vm.BuiltinTable { return e.builtins }

// CompileOptions select what tools add to a compile; the zero value
// compiles as Compile does.
type CompileOptions struct {
	NoTests bool // leave the test blocks out of the program, to run it: route is then required (RPL212)
	Cover   bool // instrument for coverage (rplc test --cover)
	Trace   bool // instrument for explaining a run (rplc explain)
	// Session, when set, shares the libraries that the policies compiled
	// with it import: each is parsed and checked once (lang.Session). A
	// tool compiling a tree gives each policy of it the same one.
	Session *lang.Session
}

// Compile checks and compiles the policy at path (with its test file and
// its imports). A policy with errors returns a lang.DiagList as the error,
// warnings included, whose message is the first error's (DiagList.Error);
// a policy needs a route function or tests (RPL212).
func (e *Env) Compile(path string) (*Program, error) {
	return e.CompileWith(path, CompileOptions{})
}

// CompileWith is Compile with options.
func (e *Env) CompileWith(path string, opts CompileOptions) (*Program, error) {
	cfg := e.checkConfig()
	cfg.NeedRoute, cfg.NoTests = opts.NoTests, opts.NoTests
	cfg.Session = opts.Session
	prog, diags := lang.Check(cfg, path)
	return e.compile(prog, diags, opts)
}

// CompileSource compiles a policy held in memory; name is its path for
// diagnostics and relative imports.
func (e *Env) CompileSource(name string, src []byte) (*Program, error) {
	prog, diags := lang.CheckSource(e.checkConfig(), name, src)
	return e.compile(prog, diags, CompileOptions{})
}

// CompileChecked compiles prog, a policy checked already (by lang.Check
// with e.Universe(), as an editor checks the policy it shows), as
// CompileWith compiles one (opts.Session aside): with e's builtins, so
// that their calls on constants are computed in advance, as in every
// other program e compiles.
func (e *Env) CompileChecked(prog *lang.Program, opts CompileOptions) (*Program, error) {
	return e.compile(prog, nil, opts)
}

func (e *Env) checkConfig() *lang.Config {
	return &lang.Config{Universe: e.universe, Policy: true}
}

func (e *Env) compile(prog *lang.Program, diags lang.DiagList, opts CompileOptions) (*Program, error) {
	if diags.HasErrors() {
		return nil, diags
	}
	out, err := compiler.Compile(prog, compiler.Options{Builtins: e.builtins, NoTests: opts.NoTests, Cover: opts.Cover, Trace: opts.Trace})
	if err != nil {
		return nil, err
	}
	p, err := out.Program(e.builtins)
	if err != nil {
		return nil, err
	}
	return e.newProgram(p, out, prog.Main.Name), nil
}

// Load verifies an encoded program (see vm.Program.MarshalBinary) and
// returns it ready to run.
func (e *Env) Load(name string, data []byte) (*Program, error) {
	p, err := vm.Load(data, e.builtins)
	if err != nil {
		return nil, err
	}
	return e.Wrap(name, p), nil
}

// Wrap makes a Program of an already verified vm.Program (one a bundle
// loaded), which must have been linked against e.Builtins().
func (e *Env) Wrap(name string, p *vm.Program) *Program {
	out := &compiler.Output{}
	if t, ok := e.universe.Types["Request"]; ok {
		out.Request, _ = t.Type.(*lang.Record)
	}
	if t, ok := e.universe.Types["Decision"]; ok {
		out.Decision, _ = t.Type.(*lang.Record)
	}
	return e.newProgram(p, out, name)
}

func (e *Env) newProgram(p *vm.Program, out *compiler.Output, name string) *Program {
	prog := &Program{env: e, vm: p, out: out, name: name, route: -1}
	if i, ok := p.Entry(compiler.EntryRoute); ok {
		prog.route = i
	}
	return prog
}

// Program is a compiled policy. It is immutable and safe for concurrent
// use.
type Program struct {
	env   *Env
	vm    *vm.Program
	out   *compiler.Output
	name  string
	route int
}

// Name is the policy's package name.
func (p *Program) Name() string { return p.name }

// VM returns the verified bytecode program.
func (p *Program) VM() *vm.Program { return p.vm }

// Compiled is what the compiler produced besides the bytecode: the
// request and decision types, the tests, the cost bound, and the
// instrumentation's tables. A loaded program has only the types.
func (p *Program) Compiled() *compiler.Output { return p.out }

// Tests lists the policy's test blocks (empty for loaded programs).
func (p *Program) Tests() []compiler.Test { return p.out.Tests }

// CostBound is the static fuel bound of route, when one exists.
func (p *Program) CostBound() (int64, bool) { return p.out.CostBound, p.out.Bounded }

// Result is one evaluation's outcome.
type Result struct {
	Value vm.Value // the Decision record
	Stats vm.Stats
}

// Decide evaluates route for the request req (a Request record, see
// RequestFromJSON) with the environment's limits. It does not allocate for
// policies that build no new strings or collections beyond the decision.
func (p *Program) Decide(ctx context.Context, req vm.Value, in Input) (Result, error) {
	return p.DecideWithLimits(ctx, req, in, p.env.limits)
}

// DecideWithLimits is Decide with explicit limits.
func (p *Program) DecideWithLimits(ctx context.Context, req vm.Value, in Input, lim Limits) (Result, error) {
	if p.route < 0 {
		return Result{}, fmt.Errorf("rpl: policy %s has no route function", p.name)
	}
	m := vm.Get()
	args := [1]vm.Value{req}
	v, st, err := m.Run(ctx, p.vm, p.route, args[:], lim, p.named(in))
	vm.Put(m)
	return Result{Value: v, Stats: st}, err
}

// Evaluator decides requests on a machine it keeps, skipping the pool:
// the fastest way to evaluate many requests on one goroutine. It is not
// safe for concurrent use: use one per goroutine, or Program.Decide.
type Evaluator struct {
	p *Program
	m *vm.Machine
}

// Evaluator returns an evaluator of p with its own machine.
func (p *Program) Evaluator() *Evaluator { return &Evaluator{p: p, m: vm.NewMachine()} }

// Decide is Program.Decide on the evaluator's machine.
func (e *Evaluator) Decide(ctx context.Context, req vm.Value, in Input) (Result, error) {
	if e.p.route < 0 {
		return Result{}, fmt.Errorf("rpl: policy %s has no route function", e.p.name)
	}
	args := [1]vm.Value{req}
	v, st, err := e.m.Run(ctx, e.p.vm, e.p.route, args[:], e.p.env.limits, e.p.named(in))
	return Result{Value: v, Stats: st}, err
}

// RunTest runs the named test block; a failing expect returns a *vm.Error
// with code assertion_failed.
func (p *Program) RunTest(ctx context.Context, name string, in Input, lim Limits) (vm.Stats, error) {
	m := vm.Get()
	defer vm.Put(m)
	_, st, err := m.RunNamed(ctx, p.vm, compiler.TestPrefix+name, nil, lim, p.named(in))
	return st, err
}

// named is in naming p's policy (Input.Policy), unless it names one:
// so a sticky session's draw is a router's for the policy, whoever runs
// it.
func (p *Program) named(in Input) Input {
	if in.Policy == "" {
		in.Policy = p.name
	}
	return in
}

// DefaultInput is an input at time now with a seed derived from id.
func DefaultInput(now time.Time, id string) Input {
	return Input{Now: now, Seed: SeedOf(id)}
}

// SeedOf derives an evaluation seed from a request id (FNV-1a, 64 bits),
// so replaying a logged request reproduces its weighted choices. It is
// stdlib.SeedOf; a sticky session's target is drawn with
// stdlib.SessionSeed of its policy and key instead.
func SeedOf(id string) uint64 { return stdlib.SeedOf(id) }
