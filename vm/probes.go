package vm

import (
	"strings"
	"unsafe"

	"github.com/rpl-lang/rpl/internal/textcut"
)

// Probes collects what an instrumented program reports during one run:
// coverage counters (COVER) and trace events (TRACE). The compiler emits
// those instructions only when asked to (compiler.Options Cover and
// Trace), so normal programs never execute them; a run of an instrumented
// program without Input.Probes ignores them.
//
// A Probes value belongs to one run at a time; reuse it across runs to
// accumulate counts (coverage over a test suite).
type Probes struct {
	// Counts is indexed by the operand of COVER, which increments it.
	// Indexes out of range are ignored, so the host sizes it from the
	// compiler's coverage table.
	Counts []uint64
	// Trace receives one event per executed TRACE, in execution order, up
	// to MaxTrace events (0 means DefaultMaxTrace); Dropped counts the
	// events beyond.
	Trace    []TraceEvent
	MaxTrace int
	Dropped  int
}

// DefaultMaxTrace bounds Probes.Trace when MaxTrace is 0.
const DefaultMaxTrace = 100_000

// TraceEvent is one executed TRACE instruction: the trace point (its
// operand, an index into the compiler's trace table), the value on top of
// the stack (the condition, operand or subject the point observes) and the
// call depth (1 in the entry function).
type TraceEvent struct {
	Point int
	Value Value
	Depth int
}

// cover is COVER's slow path, out of the interpreter loop.
func (m *Machine) cover(n int) {
	if pr := m.in.Probes; pr != nil && n < len(pr.Counts) {
		pr.Counts[n]++
	}
}

// trace is TRACE's slow path.
func (m *Machine) trace(n int, v Value) {
	pr := m.in.Probes
	if pr == nil {
		return
	}
	limit := pr.MaxTrace
	if limit <= 0 {
		limit = DefaultMaxTrace
	}
	if len(pr.Trace) >= limit {
		pr.Dropped++
		return
	}
	pr.Trace = append(pr.Trace, TraceEvent{Point: n, Value: v, Depth: len(m.frames) + 1})
}

// MaxFailValue bounds the text of each value in a failure message (FAIL,
// EXPECT_FAIL, and a test runner writing them typed): a few KB say what
// differs, and a large or widely shared value cannot make a message of
// megabytes.
const MaxFailValue = 2048

// expectFail records a failed expectation (EXPECT_FAIL): the run goes on,
// and ends with an assertion_failed error listing every failure. The
// message is charged to the memory limit (the failures of a loop add up),
// and ordering the keys of the maps it writes to the fuel: expectFail
// returns that fuel, which the interpreter charges. It orders no more than
// left, the run's fuel, pays for: a map past it is written "...", and the
// fuel returned is then more than left, so that the run stops there.
func (m *Machine) expectFail(msg Value, vals []Value, op Value, fn *funcCode, pc int, left int64) (int64, error) {
	var prefix string
	work := writeFuel{max: left}
	switch {
	case msg.k == KindString:
		prefix = strings.Clone(cutText(msg.str(), 2*MaxFailValue))
	case msg.k != KindNil:
		prefix = msg.stringMax(MaxFailValue, &work)
	}
	var x *ExpectFailure
	text := prefix
	if len(vals) > 0 {
		x = &ExpectFailure{Prefix: prefix, Got: vals[0]}
		want := ""
		if len(vals) > 1 {
			x.Want, x.HasWant = vals[len(vals)-1], true
			if op.k == KindString {
				x.Op = strings.Clone(op.str())
			}
			want = x.Want.stringMax(MaxFailValue, &work)
		}
		text = x.Message(x.Got.stringMax(MaxFailValue, &work), want)
	}
	if text == "" {
		text = "assertion failed"
	}
	// What the run keeps: the message, the failure and its call stack.
	st := m.backtrace(fn, pc)
	size := int64(len(text)) + strHeader + failBytes + int64(len(st))*frameBytes
	if x != nil {
		size += expectBytes
	}
	if err := m.alloc(size); err != nil {
		return 0, err
	}
	m.fails = append(m.fails, &Error{Code: CodeAssertionFailed, Msg: text, Stack: st, Expect: x})
	if work.out {
		return left + 1, nil
	}
	return work.fuel, nil
}

// Memory accounting sizes of a failure EXPECT_FAIL keeps: the *Error
// (and its place in Machine.fails), a Frame of its call stack, its
// ExpectFailure.
const (
	failBytes   = int64(unsafe.Sizeof(Error{})) + 8
	frameBytes  = int64(unsafe.Sizeof(Frame{}))
	expectBytes = int64(unsafe.Sizeof(ExpectFailure{}))
)

// cutText is s, or its first max bytes (at a UTF-8 boundary) and "...".
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return textcut.Prefix(s, max) + "..."
}

// failText is the message of FAIL with operand msg: a string as it is (the
// run made it, within its limits), another value bounded as in expectFail,
// and the fuel of writing it, at most left: the maps past what left pays
// for are written "...", and the fuel is then all of left.
func failText(msg Value, left int64) (string, int64) {
	switch msg.k {
	case KindString:
		return msg.str(), 0
	case KindNil:
		return "assertion failed", 0
	}
	work := writeFuel{max: left}
	text := msg.stringMax(MaxFailValue, &work)
	if work.out {
		return text, left // the fuel ran out
	}
	return text, work.fuel
}

// failures merges the recorded expectation failures with the error that
// ended the run, if any: the first failure is returned, the others (and
// err last) in its Also.
func (m *Machine) failures(err error) error {
	first := m.fails[0]
	first.Also = append(first.Also, m.fails[1:]...)
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			e = &Error{Code: CodeInternal, Msg: err.Error(), Cause: err}
		}
		first.Also = append(first.Also, e)
	}
	m.fails = m.fails[:0]
	return first
}
