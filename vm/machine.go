package vm

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

// Input is the per-run input a policy may observe besides its arguments.
// Time and randomness come only from here, so a logged run replays
// identically.
type Input struct {
	Now  time.Time // the evaluation time (arrival of the request)
	Seed uint64    // the random seed (derived from the request id)
	Host any       // host state for builtins (state services, extensions)
	// Policy is the id of the policy run, which the draws keyed by the
	// policy take (a sticky session's); rpl.Program's runs set it.
	Policy string
	// Probes receives the coverage counts and trace events of a program
	// compiled with instrumentation; nil for normal runs.
	Probes *Probes
	// Arena, when not nil, is the memory of the records, maps and lists
	// the run makes; they are valid until its Reset (see Arena).
	Arena *Arena
}

// Machine runs programs. It keeps its stacks between runs, so a reused
// machine does not allocate for programs that build nothing. A Machine is
// not safe for concurrent use; use one per goroutine, or Get and Put.
type Machine struct {
	stack  []Value
	frames []frame
	call   Call
	gen    uint64 // run generation, for in-place APPEND

	// per run
	prog *Program
	ctx  context.Context
	done <-chan struct{}
	in   Input
	lim  Limits
	fuel int64 // fuel left beyond the interpreter's current chunk
	mem  int64 // memory left
	hw   int   // stack high-water mark
	nc   int64 // calls

	fails []*Error // failed expectations (EXPECT_FAIL) of this run

	impure bool             // the run called a builtin that is not Pure
	fresh  unsafe.Pointer   // the record the last builtin made (Call.Fresh)
	clock  func() time.Time // SetClock's; time.Now when nil
	made   []*listObj       // lists of LIST_CAP this run (see recycle.go)
	spare  []*listObj       // lists of earlier runs, free for reuse
}

// frame is a suspended caller.
type frame struct {
	fn *funcCode
	pc int // index of its CALL instruction
	bp int // base of its locals
}

// NewMachine returns a machine.
func NewMachine() *Machine {
	m := &Machine{
		stack:  make([]Value, 256),
		frames: make([]frame, 0, 16),
	}
	m.call.m = m
	return m
}

var pool = sync.Pool{New: func() any { return NewMachine() }}

// Get returns a machine from a process-wide pool.
func Get() *Machine { return pool.Get().(*Machine) }

// Put returns m to the pool. m must not be used afterwards.
func Put(m *Machine) {
	if len(m.stack) > maxPooledStack { // a deep run's stack: not kept
		m.stack, m.hw = make([]Value, 256), 0
	}
	if cap(m.frames) > maxPooledStack {
		m.frames = make([]frame, 0, 16)
	}
	m.Reset()
	m.clock = nil // the pool's machines read time.Now
	pool.Put(m)
}

// Reset drops the references m keeps to values of its last run, so they
// can be collected.
func (m *Machine) Reset() {
	clear(m.stack[:min(m.hw, len(m.stack))])
	m.hw = 0
	m.in = Input{}
	clear(m.fails)
	m.fails = m.fails[:0]
	m.ctx, m.done = nil, nil
}

// Run calls the entry function entry (see Program.Entry) of p with args
// under the limits lim, and returns its result and what the run used.
//
// Run does not allocate unless the program builds strings or collections,
// calls builtins that allocate, or fails. Run errors are *Error values with
// a stable Code and the policy call stack; an argument count mismatch or a
// bad entry index is an *Error with CodeInternal. Values in args are not
// charged to the memory limit.
func (m *Machine) Run(ctx context.Context, p *Program, entry int, args []Value, lim Limits, in Input) (result Value, st Stats, err error) {
	lim = lim.withDefaults()
	if entry < 0 || entry >= len(p.funcs) {
		return Value{}, Stats{}, &Error{Code: CodeInternal, Msg: "no function " + strconv.Itoa(entry)}
	}
	fn := p.funcs[entry]
	if len(args) != fn.numParams {
		return Value{}, Stats{}, &Error{Code: CodeInternal,
			Msg: fmt.Sprintf("%s takes %d arguments, got %d", fn.name, fn.numParams, len(args))}
	}
	m.done = ctx.Done()
	if m.done != nil {
		select {
		case <-m.done:
			err := m.ctxError(ctx)
			m.done = nil
			return Value{}, Stats{}, err
		default:
		}
	}
	m.ctx = ctx
	m.in = in
	m.lim = lim
	m.fuel = lim.Fuel
	m.mem = lim.Memory
	m.nc = 1
	m.gen++
	m.impure = false
	m.fresh = nil
	if !m.stackFits(fn.frameSize) {
		// The entry frame, checked whatever the stack's size already
		// is, so that a new machine and a used one fail alike.
		m.ctx = nil
		e := m.stackError(fn.frameSize)
		e.Stack = m.backtrace(fn, 0)
		return Value{}, Stats{Calls: m.nc}, e
	}
	if fn.frameSize > len(m.stack) {
		if err := m.grow(fn.frameSize); err != nil {
			return Value{}, Stats{}, err
		}
	}
	m.hw = max(m.hw, fn.frameSize)
	stack := m.stack[:fn.numLocals]
	for i := range stack {
		if i < len(args) {
			stack[i] = args[i]
		} else {
			stack[i] = Value{}
		}
	}

	m.prog = p
	result, err = m.execSafe(p, fn)
	st = Stats{Fuel: m.lim.Fuel - m.fuel, Memory: m.lim.Memory - m.mem, Calls: m.nc}
	m.recycle(result, err == nil)
	m.frames = m.frames[:0]
	m.ctx = nil
	m.prog = nil
	if len(m.fails) > 0 {
		result, err = Value{}, m.failures(err)
	}
	return
}

// execSafe is exec behind the last line of defence: a Go panic (a bug in
// the VM or in a builtin) becomes an internal error instead of taking the
// process down.
func (m *Machine) execSafe(p *Program, fn *funcCode) (result Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, err = Value{}, m.panicError(fn, r)
		}
	}()
	return m.exec(p, fn)
}

// RunNamed is Run with the entry point given by name.
func (m *Machine) RunNamed(ctx context.Context, p *Program, entry string, args []Value, lim Limits, in Input) (Value, Stats, error) {
	i, ok := p.entries[entry]
	if !ok {
		return Value{}, Stats{}, &Error{Code: CodeInternal, Msg: "no entry point " + strconv.Quote(entry)}
	}
	return m.Run(ctx, p, i, args, lim, in)
}

// grow makes the value stack at least n slots long.
func (m *Machine) grow(n int) error {
	if !m.stackFits(n) {
		return m.stackError(n)
	}
	size := max(2*len(m.stack), n)
	size = min(size, maxStackSlots, max(n, int(m.lim.Memory/valueSize)))
	s := make([]Value, size)
	copy(s, m.stack)
	m.stack = s
	return nil
}

// takeFuel moves a chunk of at most CheckEvery fuel from the reserve to the
// interpreter.
func (m *Machine) takeFuel() int64 {
	b := min(m.fuel, CheckEvery)
	m.fuel -= b
	return b
}

// spend takes fuel from the interpreter's chunk budget, refueling when it
// is overdrawn: the budget left, or the error that stops the run. The
// interpreter charges an instruction's work beyond its 1 with it, before
// the work.
func (m *Machine) spend(budget, fuel int64) (int64, error) {
	if budget -= fuel; budget < 0 {
		return m.refuel(budget)
	}
	return budget, nil
}

// refuel is the interpreter's slow path, run when its chunk of fuel is
// overdrawn (budget < 0): it pays the overdraft from the reserve, checks
// the context and hands out the next chunk.
func (m *Machine) refuel(budget int64) (int64, error) {
	m.fuel += budget
	if m.fuel < 0 {
		m.fuel = 0
		return 0, m.fuelError()
	}
	if err := m.interrupted(); err != nil {
		return 0, err
	}
	return m.takeFuel(), nil
}

// interrupted is the check made every CheckEvery fuel of work: the error
// that stops the run when its context is done or its deadline has passed,
// else nil.
func (m *Machine) interrupted() error {
	if m.done != nil {
		select {
		case <-m.done:
			return m.ctxError(m.ctx)
		default:
		}
	}
	if !m.lim.Deadline.IsZero() {
		now := time.Now
		if m.clock != nil {
			now = m.clock
		}
		if now().After(m.lim.Deadline) {
			return &Error{Code: CodeDeadlineExceeded, Msg: "deadline exceeded"}
		}
	}
	return nil
}

// SetClock sets the clock that Limits.Deadline is read on, for the runs
// that follow (until Put, which sets it back); nil is time.Now, the
// default. A host whose time is not the wall clock's (a simulation, a
// test) gives its own.
func (m *Machine) SetClock(now func() time.Time) { m.clock = now }

// chargeSlow is Call.Charge's slow path (out of line, so that Charge
// inlines): a charge of more fuel than is left empties the reserve and
// fails; one that crosses a multiple of CheckEvery is paid and checks the
// deadline and the context; a negative one is nothing.
//
//go:noinline
func (m *Machine) chargeSlow(fuel int64) error {
	switch {
	case fuel > m.fuel:
		m.fuel = 0
		return m.fuelError()
	case fuel < 0:
		return nil
	}
	m.fuel -= fuel
	return m.interrupted()
}

func (m *Machine) fuelError() *Error {
	return &Error{Code: CodeFuelExhausted, Msg: fmt.Sprintf("fuel exhausted (limit %d)", m.lim.Fuel)}
}

func (m *Machine) ctxError(ctx context.Context) *Error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeDeadlineExceeded, Msg: "deadline exceeded", Cause: err}
	}
	return &Error{Code: CodeCanceled, Msg: "canceled", Cause: err}
}

// alloc charges n bytes to the memory budget. An allocation of more than
// MaxAlloc bytes (or a negative size, an overflow) is refused whatever the
// budget.
func (m *Machine) alloc(n int64) error {
	if uint64(n) > MaxAlloc {
		return &Error{Code: CodeMemoryExhausted, Msg: fmt.Sprintf("memory exhausted (an allocation of more than %d bytes at once)", MaxAlloc)}
	}
	m.mem -= n
	if m.mem < 0 {
		return m.memoryError()
	}
	return nil
}

func (m *Machine) memoryError() *Error {
	return &Error{Code: CodeMemoryExhausted, Msg: fmt.Sprintf("memory exhausted (limit %d bytes)", m.lim.Memory)}
}

// MaxBacktrace bounds the policy call stack of an error (Error.Stack): its
// innermost MaxBacktrace frames. A stack holds a frame per active call
// (at most Limits.MaxDepth) and one per call inlined at each (as many as
// the inline table nests, which a program of a few hundred KB can make
// 100,000 deep): without a bound, an error of such a program at the
// default call depth would hold millions of frames, gigabytes that no
// limit charges.
const MaxBacktrace = 1024

// backtrace returns the policy call stack, innermost first, for a failure
// at pc in fn.
func (m *Machine) backtrace(fn *funcCode, pc int) []Frame {
	st := appendFrames(make([]Frame, 0, min(len(m.frames)+1, MaxBacktrace)), fn, pc)
	return m.appendCallers(st)
}

// appendFrames appends the frames of the instruction at pc in f, innermost
// first: one per call inlined there (the callee at its position, each
// caller at the call site), then f's own; no more than make st
// MaxBacktrace long. The calls inlined there are the chain of f.inner and
// f.parent (inlineChains), so that a stack costs the work of the frames it
// holds. Each frame scanned f's inline table up to pc: a recursion 200
// deep through a function of 1,000,000 inline entries that failed past
// them took 200 ms for 600 fuel.
func appendFrames(st []Frame, f *funcCode, pc int) []Frame {
	if len(st) >= MaxBacktrace {
		return st
	}
	line, col := f.pos(pc)
	if pc >= 0 && pc < len(f.inner) {
		for e := f.inner[pc]; e >= 0; e = f.parent[e] {
			if len(st) >= MaxBacktrace {
				return st
			}
			in := &f.inlined[e]
			st = append(st, Frame{Func: in.Func, File: f.file, Line: line, Col: col})
			line, col = int(in.Line), int(in.Col)
		}
		if len(st) >= MaxBacktrace {
			return st
		}
	}
	return append(st, Frame{Func: f.name, File: f.file, Line: line, Col: col})
}

// Memory accounting sizes (estimates of the Go objects behind values).
const (
	listHeader = 48
	strHeader  = 16
)

// panicError describes a recovered panic r. Its position is unknown; its
// callers are not.
func (m *Machine) panicError(fn *funcCode, r any) *Error {
	buf := make([]byte, 4096)
	buf = buf[:runtime.Stack(buf, false)]
	frames := m.backtraceCallers()
	if len(frames) == 0 {
		frames = []Frame{{Func: fn.name, File: fn.file}}
	}
	clear(m.fails) // a panic may have left some
	m.fails = m.fails[:0]
	return &Error{Code: CodeInternal, Msg: fmt.Sprintf("internal error: %v", r),
		Stack: frames, Cause: fmt.Errorf("panic: %v\n%s", r, buf), panicked: true}
}

// backtraceCallers returns the suspended frames, innermost first.
func (m *Machine) backtraceCallers() []Frame {
	return m.appendCallers(nil)
}

// appendCallers appends the suspended frames to st, innermost first, up to
// MaxBacktrace frames in all.
func (m *Machine) appendCallers(st []Frame) []Frame {
	for i := len(m.frames) - 1; i >= 0 && len(st) < MaxBacktrace; i-- {
		st = appendFrames(st, m.frames[i].fn, m.frames[i].pc)
	}
	return st
}
