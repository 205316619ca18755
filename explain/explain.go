// Package explain turns the trace of one evaluation into the path it took
// through a policy: the calls of the policy's own functions (with their
// arguments and the value each returned), the calls of builtins (with
// their arguments and result), under a call of a higher-order builtin
// (filter, map…) the first MaxLambdaCalls calls of its lambda (each with
// its argument, value and steps) and how many more, the branches taken
// (if/else, match arms, && and || short-circuits, ?? defaults), the values
// that decided each one and the operands of comparisons, with source
// positions. It is the library behind `rplc explain`.
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
	"slices"
	"strings"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/vm"
)

// Step is one thing that happened: a call (with nested steps) or a branch
// decision or an observed operand.
type Step struct {
	Kind  string `json:"kind"` // call, builtin, lambda, if, match, &&, ||, ??, value
	Func  string `json:"func"` // the function it happened in; for a call or builtin, the callee
	File  string `json:"file"`
	Line  int    `json:"line"`
	Col   int    `json:"col"`
	Text  string `json:"text"`            // the condition, operand, pattern or lambda as written; the callee's name
	Value string `json:"value,omitempty"` // the value that decided (RPL literal syntax); for a call, the value it returned
	// Outcome is what the value decided: "then" or "else" for if, "taken"
	// for a match arm, "short-circuit" or "evaluated" for the right side
	// of && and ||, "default" or "present" for ??.
	Outcome string  `json:"outcome,omitempty"`
	Args    []Arg   `json:"args,omitempty"`  // a call's arguments
	Steps   []*Step `json:"steps,omitempty"` // a call's steps; a higher-order builtin's, its lambda's calls
	// More counts the calls of a higher-order builtin's lambda past the
	// MaxLambdaCalls in Steps.
	More  int  `json:"more,omitempty"`
	calls int  // the lambda's calls recorded
	loop  bool // a higher-order builtin's: only its lambda's calls are its steps
}

// Arg is a call argument: for a function or lambda, its parameter's name;
// for a builtin, the argument as written ("" for a literal, which its value
// says: a constant one as written, [timeout, http_5xx], not as the run
// shows it; no value for the n of range(n) a loop counts to), and Param
// the name it was given by (on of on: [timeout]), if any.
type Arg struct {
	Param string `json:"param,omitempty"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaxValue bounds the length of a value's text.
const MaxValue = 80

// MaxIndent is the deepest nesting WriteText indents, two spaces a level;
// a deeper step is written at it with its depth (WriteText).
const MaxIndent = 16

// MaxLambdaCalls is how many calls of its lambda a higher-order builtin's
// step (filter, map, any…) holds, the first; Step.More counts the others.
// The traced program records no more (compiler.TraceLambdaCalls).
const MaxLambdaCalls = compiler.TraceLambdaCalls

// open is a step that later ones nest under: a call of the policy's own
// function (until it returns), a higher-order builtin's call or one of its
// lambda's (until its value); depth is the VM's call depth of its events.
type open struct {
	s     *Step
	depth int
}

// Path builds the call tree of a traced run: one root step per call at
// depth 1 (normally the entry function).
func Path(points []compiler.TracePoint, events []vm.TraceEvent) []*Step {
	var roots []*Step
	var stack []open
	var args []Arg // the arguments of the builtin calls under way, innermost last
	top := func() *Step {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1].s
	}
	// closeTo closes the calls deeper than depth, which have returned.
	closeTo := func(depth int) {
		for len(stack) > 0 && stack[len(stack)-1].depth > depth {
			stack = stack[:len(stack)-1]
		}
	}
	attach := func(s *Step) {
		if p := top(); p != nil {
			if !p.loop || s.Kind == "lambda" {
				p.Steps = append(p.Steps, s)
			} // else a step of a call of the lambda not recorded: not shown
		} else {
			roots = append(roots, s)
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
			closeTo(ev.Depth - 1)
			attach(s)
			stack = append(stack, open{s, ev.Depth})
			continue
		case compiler.TraceParam:
			if c := top(); c != nil && c.Kind == "call" && stack[len(stack)-1].depth == ev.Depth {
				c.Args = append(c.Args, Arg{Name: pt.Text, Value: format(ev.Value)})
			}
			continue
		case compiler.TraceReturn:
			// The call at this depth returned: its value, and it is
			// closed (deeper ones, and the builtins' it holds, before it).
			for i := len(stack) - 1; i >= 0 && stack[i].depth >= ev.Depth; i-- {
				if c := stack[i]; c.depth == ev.Depth && c.s.Kind == "call" {
					if c.s.Func == pt.Func {
						c.s.Value = format(ev.Value)
						stack = stack[:i]
					}
					break
				}
			}
			continue
		case compiler.TraceArg:
			closeTo(ev.Depth)
			a := Arg{Param: pt.Param, Name: pt.Text, Value: format(ev.Value)}
			if pt.Lit != "" {
				a.Value = textcut.Cut(pt.Lit, MaxValue)
			}
			args = append(args, a)
			continue
		case compiler.TraceBuiltin:
			s.Kind, s.Func, s.Value = "builtin", pt.Text, format(ev.Value)
			if n := pt.Args; n > 0 && n <= len(args) {
				s.Args = slices.Clone(args[len(args)-n:])
				args = args[:len(args)-n]
			}
		case compiler.TraceLoop:
			s.Kind, s.Func = "builtin", pt.Text
			a := Arg{Name: pt.List}
			if pt.Args == 1 {
				a.Value = format(ev.Value)
			}
			s.Args, s.loop = []Arg{a}, true
			closeTo(ev.Depth)
			attach(s)
			stack = append(stack, open{s, ev.Depth})
			continue
		case compiler.TraceLambda:
			closeTo(ev.Depth)
			s.Kind, s.Text = "lambda", pt.List
			s.Args = []Arg{{Name: pt.Text, Value: format(ev.Value)}}
			if p := top(); p != nil && p.loop {
				if p.calls++; p.calls <= MaxLambdaCalls {
					p.Steps = append(p.Steps, s)
				} // else open, so that its steps go with it, but not shown: a
				// trace with more calls than a traced program records
				// (TestLambdaCallsCapped)
			} else {
				attach(s)
			}
			stack = append(stack, open{s, ev.Depth})
			continue
		case compiler.TraceLambdaReturn:
			closeTo(ev.Depth)
			if c := top(); c != nil && c.Kind == "lambda" {
				c.Value = format(ev.Value)
				stack = stack[:len(stack)-1]
			}
			continue
		case compiler.TraceLoopCalls:
			closeTo(ev.Depth)
			for i := len(stack) - 1; i >= 0 && stack[i].depth == ev.Depth; i-- {
				if c := stack[i].s; c.loop {
					if ev.Value.Kind() == vm.KindInt {
						c.More = max(int(ev.Value.Int())-min(c.calls, MaxLambdaCalls), 0)
					}
					break
				}
			}
			continue
		case compiler.TraceLoopEnd:
			closeTo(ev.Depth)
			for i := len(stack) - 1; i >= 0 && stack[i].depth == ev.Depth; i-- {
				if c := stack[i].s; c.loop {
					c.Value = format(ev.Value)
					stack = stack[:i]
					break
				}
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
		closeTo(ev.Depth)
		attach(s)
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
		case "call", "builtin", "lambda":
			args := make([]string, len(s.Args))
			for i, a := range s.Args {
				switch {
				case a.Name == "":
					args[i] = a.Value
				case a.Value == "":
					args[i] = a.Name
				default:
					args[i] = a.Name + " = " + a.Value
				}
				if a.Param != "" {
					args[i] = a.Param + ": " + args[i]
				}
			}
			fn := s.Func
			if s.Kind == "lambda" {
				fn = "lambda"
			}
			line = fmt.Sprintf("%s(%s)", fn, strings.Join(args, ", "))
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
		if s.More > 0 {
			more := "calls"
			if s.More == 1 {
				more = "call"
			}
			fmt.Fprintf(w, "%s  … %d more %s of the lambda not shown\n", ind, s.More, more)
		}
	}
	for _, s := range steps {
		walk(s, 0)
	}
}
