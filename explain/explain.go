// Package explain turns the trace of one evaluation into the path it took
// through a policy: the calls of the policy's own functions (with their
// arguments and the value each returned), the branches taken (if/else,
// match arms, && and || short-circuits, ?? defaults), the values that
// decided each one and the operands of comparisons, with source
// positions. It is the library behind `rplc explain`.
//
// The trace has no event for a call of a builtin (cost.remaining(t)) or
// of a lambda (filter's): such a call is no step, and its value shows
// only as a comparison's operand or a condition.
//
// The program must be compiled with compiler.Options{Trace: true}; the run
// gets a vm.Probes to record its TRACE events. Path then pairs each event
// with its trace point (compiler.Output.TracePoints) and nests the steps
// by call depth. A traced program runs more instructions than the normal
// one, so hosts report the fuel of a normal run of the same input.
package explain

import (
	"fmt"
	"io"
	"strings"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/vm"
)

// Step is one thing that happened: a call (with nested steps) or a branch
// decision or an observed operand.
type Step struct {
	Kind  string `json:"kind"` // call, if, match, &&, ||, ??, value
	Func  string `json:"func"` // the function it happened in; for a call, the callee
	File  string `json:"file"`
	Line  int    `json:"line"`
	Col   int    `json:"col"`
	Text  string `json:"text"`            // the condition, operand or pattern as written; the callee's name
	Value string `json:"value,omitempty"` // the value that decided (RPL literal syntax); for a call, the value it returned
	// Outcome is what the value decided: "then" or "else" for if, "taken"
	// for a match arm, "short-circuit" or "evaluated" for the right side
	// of && and ||, "default" or "present" for ??.
	Outcome string  `json:"outcome,omitempty"`
	Args    []Arg   `json:"args,omitempty"`  // a call's arguments
	Steps   []*Step `json:"steps,omitempty"` // a call's steps
}

// Arg is a call argument.
type Arg struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaxValue bounds the length of a value's text.
const MaxValue = 80

// MaxIndent is the deepest nesting WriteText indents, two spaces a level;
// a deeper step is written at it with its depth (WriteText).
const MaxIndent = 16

// Path builds the call tree of a traced run: one root step per call at
// depth 1 (normally the entry function).
func Path(points []compiler.TracePoint, events []vm.TraceEvent) []*Step {
	var roots []*Step
	var stack []*Step // stack[d-1] is the open call at depth d
	// add attaches s under the open call at depth keep (at top level for
	// 0), closing deeper calls, which have returned.
	add := func(keep int, s *Step) {
		if keep < len(stack) {
			stack = stack[:max(keep, 0)]
		}
		if len(stack) == 0 {
			roots = append(roots, s)
		} else {
			parent := stack[len(stack)-1]
			parent.Steps = append(parent.Steps, s)
		}
	}
	for _, ev := range events {
		if ev.Point < 0 || ev.Point >= len(points) {
			continue
		}
		pt := points[ev.Point]
		s := &Step{Func: pt.Func, File: pt.File, Line: pt.Line, Col: pt.Col, Text: pt.Text}
		switch pt.Kind {
		case compiler.TraceCall:
			s.Kind = "call"
			add(ev.Depth-1, s)
			stack = append(stack, s)
			continue
		case compiler.TraceParam:
			if len(stack) > 0 && ev.Depth == len(stack) {
				c := stack[len(stack)-1]
				c.Args = append(c.Args, Arg{Name: pt.Text, Value: format(ev.Value)})
			}
			continue
		case compiler.TraceReturn:
			// The call at this depth returned: its value, and it is
			// closed (deeper ones returned before it).
			if d := ev.Depth; d >= 1 && d <= len(stack) && stack[d-1].Func == pt.Func {
				stack[d-1].Value = format(ev.Value)
				stack = stack[:d-1]
			}
			continue
		case compiler.TraceIf:
			s.Kind, s.Value = "if", format(ev.Value)
			s.Outcome = "else"
			if ev.Value.Kind() == vm.KindBool && ev.Value.Bool() {
				s.Outcome = "then"
			}
		case compiler.TraceArm:
			s.Kind, s.Value, s.Outcome = "match", format(ev.Value), "taken"
		case compiler.TraceAnd, compiler.TraceOr:
			s.Kind, s.Value = "&&", format(ev.Value)
			short := ev.Value.Kind() == vm.KindBool && !ev.Value.Bool()
			if pt.Kind == compiler.TraceOr {
				s.Kind = "||"
				short = ev.Value.Kind() == vm.KindBool && ev.Value.Bool()
			}
			s.Outcome = "evaluated"
			if short {
				s.Outcome = "short-circuit"
			}
		case compiler.TraceCoalesce:
			s.Kind, s.Value, s.Outcome = "??", format(ev.Value), "present"
			if ev.Value.IsNil() {
				s.Outcome = "default"
			}
		case compiler.TraceOperand:
			s.Kind, s.Value = "value", format(ev.Value)
		default:
			continue
		}
		add(ev.Depth, s)
	}
	return roots
}

// recordText is a record's value: its fields are not named at run time;
// the source names them.
const recordText = "{…}"

func format(v vm.Value) string {
	if v.Kind() == vm.KindRecord {
		return recordText
	}
	return textcut.Cut(v.String(), MaxValue)
}

// WriteText writes steps as an indented tree, one step a line, each
// ending with its position (named by name, which may be nil):
//
//	route(r = {…})  at budget_guard.rpl:25:4
//	  unlimited(t = {…}) → false  at budget_guard.rpl:12:4
//	  if unlimited(r.tenant) → false: else  at budget_guard.rpl:26:6
//
// A call's line ends with the value it returned unless that is a record,
// which the source names better (a Decision, say). A step nested deeper
// than MaxIndent calls is indented as one at MaxIndent, and its depth
// written before it, "[200] ": a recursion 200 deep indented its last
// lines by 400 spaces.
func WriteText(w io.Writer, steps []*Step, name func(string) string) {
	if name == nil {
		name = func(s string) string { return s }
	}
	var walk func(s *Step, depth int)
	walk = func(s *Step, depth int) {
		ind := strings.Repeat("  ", min(depth, MaxIndent))
		if depth > MaxIndent {
			ind += fmt.Sprintf("[%d] ", depth)
		}
		pos := fmt.Sprintf("%s:%d:%d", name(s.File), s.Line, s.Col)
		var line string
		switch s.Kind {
		case "call":
			args := make([]string, len(s.Args))
			for i, a := range s.Args {
				args[i] = a.Name + " = " + a.Value
			}
			line = fmt.Sprintf("%s(%s)", s.Func, strings.Join(args, ", "))
			if s.Value != "" && s.Value != recordText {
				line += " → " + s.Value
			}
		case "if":
			line = fmt.Sprintf("if %s → %s: %s", s.Text, s.Value, s.Outcome)
		case "match":
			line = fmt.Sprintf("match %s → arm %s", s.Value, s.Text)
		case "&&", "||", "??":
			line = fmt.Sprintf("%s %s → %s: %s", s.Kind, s.Text, s.Value, s.Outcome)
		default:
			line = fmt.Sprintf("%s = %s", s.Text, s.Value)
		}
		fmt.Fprintf(w, "%s%s  at %s\n", ind, line, pos)
		for _, c := range s.Steps {
			walk(c, depth+1)
		}
	}
	for _, s := range steps {
		walk(s, 0)
	}
}
