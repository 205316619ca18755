package compiler

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// EntryRoute is the name of a policy's entry point.
const EntryRoute = "route"

// TestPrefix prefixes the entry names of compiled test blocks
// (vm.TestPrefix, which vm.FrameLabel reads).
const TestPrefix = vm.TestPrefix

// Output is a compiled program in plain data.
type Output struct {
	Spec *vm.ProgramSpec
	// Tests lists the test blocks in source order, by entry name.
	Tests []Test
	// CostBound is a static upper bound of the fuel one run of route
	// needs, when one exists (no recursion, no loop over a list of
	// unknown length), builtins at their declared cost (language.md
	// §11.3: what size-dependent builtins, the decision builders tag,
	// fallback and weighted, and deep comparisons charge beyond it is
	// not counted, so a run may pass it even on a small request);
	// Bounded says whether it does.
	CostBound int64
	Bounded   bool
	// Unbounded says why there is no bound, when Bounded is false ("a
	// loop over a list of unknown length", "recursion through f"), and
	// UnboundedAt where, when it is a place (the loop).
	Unbounded   string
	UnboundedAt lang.Position
	// Request and Decision are the record types of the entry point, for
	// hosts that build inputs and read results by field name.
	Request, Decision *lang.Record

	// Instrumentation tables (see probes.go), filled when Options.Cover
	// or Options.Trace is set: Counters[k] describes COVER k, Branches the
	// branch points whose outcomes have counters, TracePoints[k] TRACE k.
	Counters    []Counter
	Branches    []Branch
	TracePoints []TracePoint

	// foldFuel is the fuel the compilation's folded calls were charged
	// (foldBudgeted), at most foldFuel.
	foldFuel int64
}

// UnboundedWhy says why route has no static cost bound, with the place
// when there is one, its file as name gives it ("a loop over a list of
// unknown length at p.rpl:4:17"); "" when it has one.
func (o *Output) UnboundedWhy(name func(string) string) string {
	if o.Bounded {
		return ""
	}
	why := o.Unbounded
	if at := o.UnboundedAt; at.IsValid() {
		why += fmt.Sprintf(" at %s:%d:%d", name(at.Filename), at.Line, at.Col)
	}
	return why
}

// Test is a compiled test block.
type Test struct {
	Name  string // as written
	Entry string // TestPrefix + Name
	File  string
	Line  int
	Col   int
}

// Options tune compilation.
type Options struct {
	// Builtins, when set, lets the compiler fold calls of pure builtins on
	// constant arguments at compile time (to("x").fallback("y") becomes a
	// constant decision). Programs must be linked against the same table.
	Builtins *vm.BuiltinTable
	// NoTests leaves test blocks out of the program.
	NoTests bool
	// Cover instruments the program for statement and branch coverage
	// (COVER instructions, Output.Counters and Output.Branches). Every
	// function of the main policy is compiled, called or not, so that
	// uncalled code counts as uncovered.
	Cover bool
	// Trace instruments the program for explaining a run (TRACE
	// instructions, Output.TracePoints).
	Trace bool
}

// Compile lowers prog. prog must have checked without errors.
func Compile(prog *lang.Program, opts Options) (*Output, error) {
	if prog == nil || prog.Main == nil {
		return nil, fmt.Errorf("compile: no program")
	}
	c := &compiler{
		prog:    prog,
		info:    prog.Info,
		spec:    &vm.ProgramSpec{Entries: map[string]int{}},
		funcIdx: map[*lang.Object]int{},
		consts:  map[constKey]int{},
		sets:    map[vm.Value]int{},
		bidx:    map[*lang.Builtin]int{},
		opts:    opts,
	}
	out := &Output{Spec: c.spec}
	c.out = out
	if t := prog.Universe.Types["Request"]; t != nil {
		out.Request, _ = t.Type.(*lang.Record)
	}
	if t := prog.Universe.Types["Decision"]; t != nil {
		out.Decision, _ = t.Type.(*lang.Record)
	}
	if route := c.resolveFunc(prog.Main.Func(EntryRoute)); route != nil {
		c.spec.Entries[EntryRoute] = c.funcIndex(route)
	} else if prog.Main.Extends != nil {
		if o := prog.Main.Extends.Scope.LookupParent(EntryRoute); o != nil && o.Kind == lang.ObjFunc {
			c.spec.Entries[EntryRoute] = c.funcIndex(o)
		}
	}
	if !opts.NoTests {
		for _, f := range prog.Main.Files {
			for _, d := range f.Decls {
				td, ok := d.(*lang.TestDecl)
				if !ok {
					continue
				}
				entry := TestPrefix + td.Name.Value
				pos := f.File.Position(td.Sp.Start)
				out.Tests = append(out.Tests, Test{Name: td.Name.Value, Entry: entry, File: f.File.Name, Line: pos.Line, Col: pos.Col})
				c.queue = append(c.queue, pending{test: td, file: f, index: c.newFunc(entry, f.File.Name, 0)})
				c.spec.Entries[entry] = len(c.spec.Functions) - 1
			}
		}
	}
	if opts.Cover {
		for _, f := range prog.Main.Files {
			for _, d := range f.Decls {
				if fd, ok := d.(*lang.FuncDecl); ok {
					if o := prog.Info.Defs[fd.Name]; o != nil && o.Kind == lang.ObjFunc {
						c.funcIndex(o)
					}
				}
			}
		}
	}
	// Compile queued functions; compiling may queue more.
	for len(c.queue) > 0 {
		p := c.queue[0]
		c.queue = c.queue[1:]
		if err := c.compileFunc(p); err != nil {
			return nil, err
		}
	}
	cutNested(out.Counters)
	if len(c.spec.Functions) == 0 {
		return nil, fmt.Errorf("%s: no route function and no tests: a policy needs route, and a library must be imported by a policy", prog.Main.Path)
	}
	if idx, ok := c.spec.Entries[EntryRoute]; ok {
		var nb noBound
		out.CostBound, nb = c.costBound(idx)
		out.Bounded, out.Unbounded, out.UnboundedAt = nb.why == "", nb.why, nb.at
	}
	return out, nil
}

type pending struct {
	obj   *lang.Object
	decl  *lang.FuncDecl
	test  *lang.TestDecl
	file  *lang.FileNode
	index int
	quiet bool // the copy without trace probes (quietIndex)
}

type constKey struct {
	kind vm.Kind
	s    string
}

type compiler struct {
	prog    *lang.Program
	info    *lang.Info
	spec    *vm.ProgramSpec
	funcIdx map[*lang.Object]int
	// quietIdx: the copies of user functions compiled without trace
	// probes, which the calls of a lambda past TraceLambdaCalls call.
	quietIdx map[*lang.Object]int
	queue    []pending
	consts   map[constKey]int
	sets     map[vm.Value]int // constSet, by the constant list
	bidx     map[*lang.Builtin]int
	noBound  map[int]noBound // functions without a bound of their own, and why
	static   map[int]work    // per function: what one call costs, callees apart

	constMemo    map[lang.Expr]constResult
	clockLits    map[*lang.BraceLit]bool      // arrivesAtClock
	clockNow     **lang.Builtin               // clockMoves, once known
	constSame    map[vm.Value]int             // constIndex by the value itself
	zeroMemo     map[*lang.Record]vm.Value    // zero's records
	sizes        map[vm.Value]constSize       // measure, by composite value
	overrideMemo map[*lang.Object]bool        // consts.go: constTouchesOverride
	touchMemo    map[lang.Expr]bool           // consts.go: touchesOverride
	lenMemo      map[lang.Node]lenResult      // lenbound.go
	params       map[*lang.Object][]lang.Expr // lenbound.go

	opts Options
	out  *Output
}

// work is what a piece of code costs when every instruction runs once,
// and each of a loop's as many times as the loop's list may have elements:
// its instructions and builtin costs (own), plus its callees' bounds, each
// the number of times it may be called.
type work struct {
	own     int64
	callees []callee
	over    bool // own overflowed
}

type callee struct {
	index int
	times int64
}

// add adds n times w to v.
func (v *work) add(w work, n int64) {
	own, ok := mulAdd(v.own, w.own, n)
	v.own, v.over = own, v.over || w.over || !ok
	for _, c := range w.callees {
		t, ok := mulAdd(0, c.times, n)
		v.over = v.over || !ok
		v.callees = append(v.callees, callee{c.index, t})
	}
}

// mulAdd returns a + b*n for non-negative operands, and false on overflow.
func mulAdd(a, b, n int64) (int64, bool) {
	if b != 0 && n > (math.MaxInt64-a)/b {
		return 0, false
	}
	return a + b*n, true
}

func (c *compiler) newFunc(name, file string, params int) int {
	c.spec.Functions = append(c.spec.Functions, vm.FunctionSpec{Name: name, File: file, NumParams: params})
	return len(c.spec.Functions) - 1
}

// resolveFunc maps a function or const to the version that runs in the
// main policy (lang.Program.Derived).
func (c *compiler) resolveFunc(o *lang.Object) *lang.Object { return c.prog.Derived(o) }

// callee is the function a call of a user function (lang.CallFunc or
// lang.CallSuper) runs: for a call by name the version that runs in the
// main policy (resolveFunc), for super the parent's function it names,
// as it is.
func (c *compiler) callee(call *lang.Call) *lang.Object {
	if call.Kind == lang.CallFunc {
		return c.resolveFunc(call.Func)
	}
	return call.Func
}

// funcIndex returns the vm function index of a user function, queueing it
// for compilation on first use.
func (c *compiler) funcIndex(o *lang.Object) int {
	if i, ok := c.funcIdx[o]; ok {
		return i
	}
	d := o.Decl.(*lang.FuncDecl)
	file := declFile(o)
	i := c.newFunc(c.funcName(o), file.File.Name, len(d.Params))
	c.funcIdx[o] = i
	c.queue = append(c.queue, pending{obj: o, decl: d, file: file, index: i})
	return i
}

// quietIndex returns the index of a copy of user function o compiled
// without trace probes (as when not tracing), queued on first use: a
// traced program's lambda calls it past its first TraceLambdaCalls calls,
// so that they record nothing.
func (c *compiler) quietIndex(o *lang.Object) int {
	if i, ok := c.quietIdx[o]; ok {
		return i
	}
	d := o.Decl.(*lang.FuncDecl)
	file := declFile(o)
	i := c.newFunc(c.funcName(o), file.File.Name, len(d.Params))
	if c.quietIdx == nil {
		c.quietIdx = map[*lang.Object]int{}
	}
	c.quietIdx[o] = i
	c.queue = append(c.queue, pending{obj: o, decl: d, file: file, index: i, quiet: true})
	return i
}

// funcName is the name of a user function in the program: qualified by
// its package's name when imported.
func (c *compiler) funcName(o *lang.Object) string {
	if o.Pkg != c.prog.Main && o.Pkg.Name != "" {
		return o.Pkg.Name + "." + o.Name
	}
	return o.Name
}

// builtinIndex returns the index of b in the program's builtin names.
func (c *compiler) builtinIndex(b *lang.Builtin) int {
	if i, ok := c.bidx[b]; ok {
		return i
	}
	c.spec.Builtins = append(c.spec.Builtins, b.Key())
	i := len(c.spec.Builtins) - 1
	c.bidx[b] = i
	return i
}

// constIndex interns a constant value.
func (c *compiler) constIndex(v vm.Value) int {
	// The same value again (a zero value made once, a constant used
	// twice) is found without writing it out, which costs what it holds.
	if i, ok := c.constSame[v]; ok {
		return i
	}
	k := constKey{v.Kind(), v.Literal()}
	i, ok := c.consts[k]
	if !ok {
		c.spec.Constants = append(c.spec.Constants, v)
		i = len(c.spec.Constants) - 1
		c.consts[k] = i
	}
	if c.constSame == nil {
		c.constSame = map[vm.Value]int{}
	}
	c.constSame[v] = i
	return i
}

func (c *compiler) compileFunc(p pending) error {
	fc := &funcCompiler{c: c, file: p.file.File, locals: map[*lang.Object]int{}, name: c.spec.Functions[p.index].Name, self: p.obj}
	if p.quiet {
		fc.quiet = 1
	}
	switch {
	case p.decl != nil:
		for i, prm := range p.decl.Params {
			fc.locals[c.info.Defs[prm.Name]] = i
		}
		fc.nlocals = len(p.decl.Params)
		fc.traceEntry(p.decl)
		if _, isBlock := p.decl.Body.(*lang.BlockExpr); !isBlock {
			fc.coverStmt(exprSpan(p.decl.Body))
		}
		fc.expr(p.decl.Body)
		fc.traceReturn(p.decl.Body.Span())
		fc.at(p.decl.Body.Span().End)
		fc.emit(vm.OpReturn)
	case p.test != nil:
		fc.stmtsOf(p.test.Body, false)
		fc.emit(vm.OpTrue)
		fc.emit(vm.OpReturn)
	}
	code, err := fc.asm.Code()
	// Compiling may have appended functions: index the slice only now.
	spec := &c.spec.Functions[p.index]
	if fc.limit == nil && fc.nlocals > vm.MaxLocals && p.decl != nil {
		// Parameters past the limit that no instruction names.
		fc.at(p.decl.Name.Sp.Start)
		fc.checkLimits(vm.OpLoadLocal, []int{fc.nlocals - 1})
	}
	if fc.limit != nil {
		return fc.limit
	}
	if err = cmp.Or(fc.err, err); err != nil {
		return fmt.Errorf("compile %s: %w", spec.Name, err)
	}
	spec.Code = code
	spec.NumLocals = fc.nlocals
	spec.Lines = fc.lines
	// An enclosing call is recorded after those inlined in it: sort by
	// start, the longer (enclosing) range first.
	slices.SortStableFunc(fc.inl, func(a, b vm.InlineEntry) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End))
	})
	spec.Inlined = fc.inl
	if fc.unbounded || fc.work.over {
		if c.noBound == nil {
			c.noBound = map[int]noBound{}
		}
		c.noBound[p.index] = noBound{why: overflows}
		if fc.unbounded {
			c.noBound[p.index] = noBound{"a loop over a list of unknown length", fc.file.Position(fc.unboundedAt)}
		}
	}
	// A CALL clears the callee's locals, and costs by their number.
	fc.work.own += vm.CallFuel(fc.nlocals)
	if c.static == nil {
		c.static = map[int]work{}
	}
	c.static[p.index] = fc.work
	return nil
}

// noBound says why a function has no static cost bound, and where when
// that is a place.
type noBound struct {
	why string
	at  lang.Position
}

const overflows = "its cost overflows an int64"

// costBound computes a static fuel bound for function idx by longest path
// over its code and its callees, when none recurses or loops over a list
// of unknown length; else it says why there is none.
func (c *compiler) costBound(idx int) (int64, noBound) {
	memo := map[int]int64{}
	visiting := map[int]bool{}
	var bound func(i int) (int64, noBound)
	bound = func(i int) (int64, noBound) {
		if v, ok := memo[i]; ok {
			return v, noBound{}
		}
		if visiting[i] {
			return 0, noBound{why: "recursion through " + c.spec.Functions[i].Name}
		}
		if nb, ok := c.noBound[i]; ok {
			return 0, nb
		}
		visiting[i] = true
		defer delete(visiting, i)
		sc := c.static[i]
		total := sc.own
		for _, callee := range sc.callees {
			b, nb := bound(callee.index)
			if nb.why != "" {
				return 0, nb
			}
			var ok bool
			if total, ok = mulAdd(total, b, callee.times); !ok {
				return 0, noBound{why: overflows}
			}
		}
		memo[i] = total
		return total, noBound{}
	}
	return bound(idx)
}

// declFile returns the file of o's package that declares o.
func declFile(o *lang.Object) *lang.FileNode {
	for _, f := range o.Pkg.Files {
		for _, d := range f.Decls {
			if d == o.Decl {
				return f
			}
		}
	}
	return nil
}

// Program verifies out's program (vm.NewProgram) against builtins. A
// refusal is the policy author's error when the code needs too deep an
// operand stack (a *LimitError; NameFiles names its file as the caller
// does), and a compiler bug otherwise, said so.
func (out *Output) Program(builtins *vm.BuiltinTable) (*vm.Program, error) {
	p, err := vm.NewProgram(out.Spec, builtins)
	if err == nil {
		return p, nil
	}
	var deep *vm.StackTooDeepError
	if errors.As(err, &deep) && deep.Func < len(out.Spec.Functions) {
		f := out.Spec.Functions[deep.Func]
		e := &LimitError{File: f.File, Err: deep,
			Msg: fmt.Sprintf("this code needs more than %d values on the operand stack at once (%d): literals or calls of that many elements or arguments, nested; split them", vm.MaxStackDepth, deep.Depth)}
		for _, l := range f.Lines {
			if int(l.PC) > deep.PC {
				break
			}
			e.Line, e.Col = int(l.Line), int(l.Col)
		}
		return nil, e
	}
	return nil, fmt.Errorf("compiled program rejected by the verifier (a compiler bug): %w", err)
}

// LimitError is code beyond the machine's limits, which the checker does
// not see, at the source position of the code that passes one: more than
// vm.MaxStackDepth values on the operand stack at once (Program), or more
// constants in a program, local variables in a function, or functions in
// a program than an instruction can name (Compile). RPL322 reports it.
type LimitError struct {
	File      string
	Line, Col int
	Msg       string // what is past which limit, and what to do
	Err       error  // the verifier's refusal, if it was one
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

func (e *LimitError) Unwrap() error { return e.Err }

// Verify compiles prog, which checked without errors, and verifies the
// program as a build does, for a checker to report what only that finds:
// code beyond the machine's limits (a LimitError), returned as the
// diagnostic RPL322 at its position. Any other failure is a compiler bug,
// returned as an error.
func Verify(prog *lang.Program, builtins *vm.BuiltinTable) (lang.DiagList, error) {
	out, err := Compile(prog, Options{Builtins: builtins})
	if err == nil {
		_, err = out.Program(builtins)
	}
	return LimitDiagnostic(prog, err)
}

// LimitDiagnostic is err, an error of compiling prog or of its Program,
// as the diagnostic RPL322 when it is a LimitError: none for no error,
// and any other error returned as it is.
func LimitDiagnostic(prog *lang.Program, err error) (lang.DiagList, error) {
	var limit *LimitError
	if !errors.As(err, &limit) {
		return nil, err
	}
	for _, pkg := range prog.Packages {
		for _, f := range pkg.Files {
			if f.File.Name != limit.File {
				continue
			}
			at := f.File.Offset(limit.Line, limit.Col)
			return lang.DiagList{&lang.Diagnostic{File: f.File, Span: lang.Span{Start: at, End: at}, Severity: lang.SevError,
				Code: lang.CodeMachineLimit, Message: limit.Msg}}, nil
		}
	}
	return nil, err
}

// NameFiles is err with the file of a LimitError in it named by name, for
// a caller that names files its own way; any other error is returned as
// it is.
func NameFiles(err error, name func(file string) string) error {
	var limit *LimitError
	if !errors.As(err, &limit) {
		return err
	}
	at := *limit
	at.File = name(at.File)
	return &at
}
