package vm

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Code is the stable code of a run-time error. Codes never change meaning;
// new ones may be added.
type Code string

// Run-time error codes.
const (
	CodeFuelExhausted    Code = "fuel_exhausted"     // Limits.Fuel used up
	CodeMemoryExhausted  Code = "memory_exhausted"   // Limits.Memory used up
	CodeStackOverflow    Code = "stack_overflow"     // Limits.MaxDepth calls deep, the value stack past Limits.Memory, a comparison MaxCompareDepth levels down
	CodeDeadlineExceeded Code = "deadline_exceeded"  // the context's deadline passed
	CodeCanceled         Code = "canceled"           // the context was canceled
	CodeDivisionByZero   Code = "division_by_zero"   // x/0, x%0
	CodeIntOverflow      Code = "int_overflow"       // int64 arithmetic overflowed
	CodeIndexOutOfRange  Code = "index_out_of_range" // list[i] with i outside [0, len)
	CodeAssertionFailed  Code = "assertion_failed"   // FAIL (expect, assertions)
	CodeBuiltinError     Code = "builtin_error"      // a builtin returned an error
	CodeInternal         Code = "internal"           // a bug: ill-typed code, bad call, recovered panic
)

// Frame is one entry of a policy call stack.
type Frame struct {
	Func string // function name
	File string
	Line int // 1-based; 0 if unknown
	Col  int // 1-based; 0 if unknown
}

// Pos returns file:line:col (or as much of it as is known).
func (f Frame) Pos() string {
	file := f.File
	if file == "" {
		file = "?"
	}
	switch {
	case f.Line == 0:
		return file
	case f.Col == 0:
		return fmt.Sprintf("%s:%d", file, f.Line)
	}
	return fmt.Sprintf("%s:%d:%d", file, f.Line, f.Col)
}

// Error is a run-time error of a policy: a stable code, a message and the
// policy call stack at the point of failure (innermost first).
type Error struct {
	Code  Code
	Msg   string  // e.g. "fuel exhausted (limit 10000)"
	Stack []Frame // innermost call first
	// Cause is the error returned by a builtin, if any.
	Cause error
	// Also lists the further failures of the same run: a test that
	// failed several expectations (each recorded by EXPECT_FAIL, and the
	// run goes on) returns the first with the others here, followed by
	// the error that ended the run, if any.
	Also []*Error
	// Expect is set on a failed expectation that showed values
	// (EXPECT_FAIL with operands): the parts of Msg, for a host that
	// knows the operands' types and writes the values its own way.
	Expect *ExpectFailure

	panicked bool // a recovered Go panic (a VM or builtin bug)
}

// Error returns one line: "policy.rpl:12:5: fuel exhausted (limit 10000)".
func (e *Error) Error() string {
	if len(e.Stack) == 0 {
		return e.Msg
	}
	return e.Stack[0].Pos() + ": " + e.Msg
}

// ExpectFailure holds the parts of a failed expectation's message: Msg is
// Message(got, want) with Got and Want written by Value.String within a
// bound of about 2 KB each. A host that knows the static types of the
// operands (rplc test, from the expect at Stack[0]) writes them as
// literals of those types instead.
//
// Got and Want are values of the run: they stay valid as long as its
// result does (until the Reset of Input.Arena, when the run had one; a
// run with failed expectations keeps no list for reuse).
type ExpectFailure struct {
	Prefix  string // the description: the expect's message and/or left operand ("d.target"); "" if none
	Op      string // the comparison: "==", "!=", "<", "<=", ">", ">="; "" if unknown
	Got     Value  // the left operand, or the one value shown
	Want    Value  // the right operand, when HasWant
	HasWant bool
}

// Message is the failure's message with got and want (the written
// values): "prefix: expected [op ]want, got got", the op left out for ==.
func (x *ExpectFailure) Message(got, want string) string {
	var b strings.Builder
	b.Grow(len(x.Prefix) + len(got) + len(want) + 24)
	b.WriteString(x.Prefix)
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if x.HasWant {
		b.WriteString("expected ")
		if x.Op != "==" && x.Op != "" {
			b.WriteString(x.Op)
			b.WriteByte(' ')
		}
		b.WriteString(want)
		b.WriteString(", ")
	}
	b.WriteString("got ")
	b.WriteString(got)
	return b.String()
}

// Unwrap returns the builtin error that caused e, if any.
func (e *Error) Unwrap() error { return e.Cause }

// Backtrace returns the error and the policy call stack as WriteStack
// writes it, innermost first:
//
//	policy.rpl:12:5: fuel exhausted (limit 10000) [fuel_exhausted]
//	  at loop (policy.rpl:12:5) × 3
//	  at route (policy.rpl:3:10)
func (e *Error) Backtrace() string {
	var b strings.Builder
	b.WriteString(e.Error())
	b.WriteString(" [")
	b.WriteString(string(e.Code))
	b.WriteString("]\n")
	WriteStack(&b, "  ", e.Stack, nil)
	return b.String()
}

// WriteStack writes a policy call stack, innermost first, one frame a
// line after indent: `at f (file:line:col)`, the function named as
// FrameLabel names it and the file as name does (as it is when nil or
// unknown, "?"); a
// run of identical frames (recursion) is written once with its count,
// `× 199`.
func WriteStack(w io.Writer, indent string, stack []Frame, name func(file string) string) {
	for _, r := range StackRuns(stack) {
		f := r.Frame
		if name != nil && f.File != "" {
			f.File = name(f.File)
		}
		fmt.Fprintf(w, "%sat %s (%s)", indent, FrameLabel(f.Func), f.Pos())
		if r.Count > 1 {
			fmt.Fprintf(w, " × %d", r.Count)
		}
		fmt.Fprintln(w)
	}
}

// FrameRun is a run of identical frames of a policy call stack: a frame
// and how many times it is repeated in a row (a recursion's), 1 or more.
type FrameRun struct {
	Frame
	Count int
}

// StackRuns is stack as WriteStack writes it, innermost first: each run
// of identical frames once, with its count, so that a listing of a stack
// in any form (JSON too) can collapse a recursion as the text does.
func StackRuns(stack []Frame) []FrameRun {
	var runs []FrameRun
	for i := 0; i < len(stack); {
		j := i + 1
		for j < len(stack) && stack[j] == stack[i] {
			j++
		}
		runs = append(runs, FrameRun{stack[i], j - i})
		i = j
	}
	return runs
}

// TestPrefix prefixes the entry names of compiled test blocks: a test's
// frame has Func TestPrefix+NAME.
const TestPrefix = "test:"

// FrameLabel is how a policy call stack names the function of a frame
// (Frame.Func), in text and JSON alike: a test's entry TestPrefix+NAME as
// TestLabel names the test, `test "NAME"` or `(unnamed test)`, not
// `test:NAME`; any other function by its name.
func FrameLabel(fn string) string {
	if name, ok := strings.CutPrefix(fn, TestPrefix); ok {
		return TestLabel(name, "", 0)
	}
	return fn
}

// TestLabel is how a message names a test: `test "NAME"`, quoted as Go
// quotes it, or, for the empty name (which the language allows, and which
// `test ""` or a bare `--- PASS: ` shows badly), `(unnamed test at
// FILE:LINE)`; at FILE alone when line is 0 (a bundle's manifest has no
// lines), and `(unnamed test)` when file is empty too, as a call stack
// names a test's frame (FrameLabel).
func TestLabel(name, file string, line int) string {
	switch {
	case name != "":
		return "test " + strconv.Quote(name)
	case file == "":
		return "(unnamed test)"
	case line <= 0:
		return fmt.Sprintf("(unnamed test at %s)", file)
	}
	return fmt.Sprintf("(unnamed test at %s:%d)", file, line)
}

// CodeSuffix is what follows the message of a failed test's error in a
// report of failed tests (rplc test's, rplc build's, a build's
// TestFailure): " [fuel_exhausted]", its code, and nothing for a failed
// expect (CodeAssertionFailed), whose message says what failed. A report
// writes the policy call stack under the errors that have one.
func CodeSuffix(c Code) string {
	if c == CodeAssertionFailed {
		return ""
	}
	return " [" + string(c) + "]"
}

// Errorf returns an *Error with the given code, for builtins that want to
// fail with a specific code (the machine adds the call stack).
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}
