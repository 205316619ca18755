package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/explain"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/vm"
	"github.com/spf13/cobra"
)

func newExplainCmd(e *env) *cobra.Command {
	var f evalFlags
	var format string
	cmd := &cobra.Command{
		Use:   "explain POLICY --request FILE.json",
		Short: "Evaluate one request and show the path it took through the policy",
		Long: `Explain decides one request like eval and shows why: the path through the
policy, as an indented tree of

  - the calls of the policy's own functions (a lambda's calls of them
    too), with their arguments and the value each returned (a record, a
    Decision say, shown by the steps instead);
  - the calls of builtins (cost.remaining(r.tenant), len(xs)), where they
    happen, though let binds the value: each argument as written with its
    value, and the result; a call the compiler computes from constants
    beforehand is none;
  - under a call of filter, map, any, all, count, min_by or max_by, the
    first 10 calls of the lambda, each with its argument, its value and
    the steps it took, and how many more there were;
  - each if condition, its value and the branch taken (then or else);
  - each match, the subject's value and the arm taken;
  - the left side of && and ||, and whether it short-circuited;
  - the left side of ??, and whether the default was used;
  - the values of the operands of comparisons (but for a builtin's call,
    whose step says it);

each with its source position. Then the decision and the fuel, memory
and calls the evaluation used (those of a normal run: the traced run that
records the path executes extra instructions).

--request and --state are as for rplc eval. With --format json the output
is one JSON document {decision, fuel, memory, calls, path}, where path is
a list of steps {kind, func, file, line, col, text, value, outcome, args,
steps, more} (kind call, builtin, lambda, if, match, &&, ||, ?? or value;
a builtin's args are named as written, "" for a literal, whose value is
the literal as written when a constant, and one given by name has its
param, on for on: [timeout]; more counts the
lambda's calls not in steps), with cost_bound, the static bound of the
fuel (when the policy has one; else unbounded, why not, as rplc build
says it), and steps_not_shown, the steps past those recorded (when any),
as the text says them; when the evaluation fails, error (its first line on
standard error) stands in place of decision, with code and stack, as for
rplc eval.
When the policy has errors or cannot be read, or the request or state is
not valid, the document is {error, diagnostics}, where diagnostics are
objects as rplc check --format json prints them (file, line, col,
end_line, end_col, severity, code, message); standard error says the same
as without --format json. A wrong command line (exit 2) prints no
document.

Fuel counts instructions, and the traced run executes others than the
normal one (its probes, none merged, no call inlined). It is given 4 times
--fuel (or the default limit): when the normal run runs out of fuel, the
path may go past the point where it did, and when the traced run runs out,
the path is cut short; a note says so (path_note in JSON).

Exit status: 0 with a decision, 1 when the policy has errors, the request
or state is not valid, the evaluation fails (the path up to the failure
is still shown) or a router would refuse the decision (as rplc eval says
it, the decision and path still shown), 2 for a wrong command line (a missing file, or a
directory given as POLICY, --request or --state, among them).`,
		Example: `  rplc explain examples/policies/budget_guard.rpl --request req.json
  rplc explain budget_guard.rpl --request req.json --state state.json --format json | jq .path`,
		Args: exactlyOnePolicy,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd, e, args[0], f, format)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func runExplain(cmd *cobra.Command, e *env, path string, f evalFlags, format string) error {
	if strings.HasSuffix(path, ".rplb") {
		return usageErrorf(cmd, "%s: explain needs the policy source (.rpl), not a bundle", path)
	}
	// The normal program decides and measures; the traced one records the path.
	var traced *rpl.Program
	ev, err := prepareEval(cmd, e, path, f, rpl.CompileOptions{NoTests: true})
	if err == nil {
		traced, _, err = compilePolicy(cmd, e, path, rpl.CompileOptions{NoTests: true, Trace: true})
	}
	if err != nil {
		if format == "json" {
			return failureJSON(e.stdout, err)
		}
		return err
	}
	res, runErr := ev.decide(cmd.Context(), nil)
	var refused error // the router's verdict on the decision, as rplc eval gives it
	if runErr == nil {
		refused = runtime.CheckDecision(ev.prog.RequestType(), ev.prog.DecisionType(), res.Value)
	}
	// Fuel counts instructions, and the traced program runs others (its
	// probes, no merged instructions, no inlining): it is given 4 times
	// the normal run's limit (the VM's default when none is given), and
	// no limit of its own stops it where the normal run stopped.
	tev := *ev
	tev.prog = traced
	tev.lim.Fuel = tracedFuel(ev.lim.Fuel)
	probes := &vm.Probes{}
	_, traceErr := tev.decide(cmd.Context(), probes)
	steps := explain.Path(traced.Compiled().TracePoints, probes.Trace)
	pathNote := ""
	if ve, ok := runErr.(*vm.Error); ok && ve.Code == vm.CodeFuelExhausted {
		pathNote = "this run ran out of fuel along this path; tracing costs fuel, so the path was traced with 4 times the limit and may go past that point"
	} else if ve, ok := traceErr.(*vm.Error); ok && ve.Code == vm.CodeFuelExhausted {
		pathNote = "the path is cut short: tracing costs fuel, and the traced run ran out of 4 times this run's limit"
	}

	if format == "json" {
		var rename func([]*explain.Step)
		rename = func(ss []*explain.Step) {
			for _, s := range ss {
				s.File = ev.namer.name(s.File)
				rename(s.Steps)
			}
		}
		rename(steps)
		doc := map[string]any{"path": steps, "fuel": res.Stats.Fuel, "memory": res.Stats.Memory, "calls": res.Stats.Calls}
		if pathNote != "" {
			doc["path_note"] = pathNote
		}
		// What the text says besides: the steps left out, the static
		// bound of the fuel.
		if probes.Dropped > 0 {
			doc["steps_not_shown"] = probes.Dropped
		}
		if bound, ok := ev.prog.CostBound(); ok {
			doc["cost_bound"] = bound
		} else if why := ev.unbounded(); why != "" {
			doc["unbounded"] = why
		}
		if runErr == nil {
			doc["decision"] = rpl.ToGo(ev.prog.DecisionType(), res.Value)
		} else {
			ev.failedRun(doc, runErr)
		}
		if refused != nil {
			ev.failedRun(doc, refused)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return writeError(err)
		}
	} else {
		fmt.Fprintln(e.stdout, "path:")
		explainText(e, steps, ev.namer)
		if probes.Dropped > 0 {
			fmt.Fprintf(e.stdout, "  … %d more steps not shown\n", probes.Dropped)
		}
		if pathNote != "" {
			fmt.Fprintf(e.stdout, "  (%s)\n", pathNote)
		}
		if runErr == nil {
			fmt.Fprintln(e.stdout, "decision:")
			b, _ := json.MarshalIndent(rpl.ToGo(ev.prog.DecisionType(), res.Value), "  ", "  ")
			fmt.Fprintf(e.stdout, "  %s\n", b)
		}
		fuel := fmt.Sprintf("fuel: %d", res.Stats.Fuel)
		if bound, ok := ev.prog.CostBound(); ok {
			fuel += fmt.Sprintf(" (static bound %d)", bound)
		} else if why := ev.unbounded(); why != "" {
			fuel += " (no static bound: " + why + ")"
		}
		fmt.Fprintf(e.stdout, "%s, memory: %d bytes, calls: %d\n", fuel, res.Stats.Memory, res.Stats.Calls)
	}
	if runErr != nil {
		return ev.runError(runErr)
	}
	if refused != nil {
		fmt.Fprintln(e.stderr, ev.errorText(refused))
		return failed
	}
	return nil
}

// unbounded is why the policy has no static cost bound, as rplc build
// says it ("a loop over a list of unknown length at p.rpl:4:17", the
// place named as the path's are); "" when it has one, or when a bundle,
// which records no reason, does not say.
func (ev *evaluation) unbounded() string {
	if out := ev.prog.Compiled(); out != nil && out.Unbounded != "" {
		return out.UnboundedWhy(ev.namer.name)
	}
	return ""
}

// tracedFuel is the fuel limit of the traced run: 4 times the normal
// run's (the VM's default when 0).
func tracedFuel(normal int64) int64 {
	return 4 * min(cmp.Or(normal, vm.DefaultFuel), math.MaxInt64/4)
}

func explainText(e *env, steps []*explain.Step, names *pathNamer) {
	w := &indentWriter{w: e.stdout, prefix: "  "}
	explain.WriteText(w, steps, names.name)
}

// indentWriter prefixes every line written through it.
type indentWriter struct {
	w      interface{ Write([]byte) (int, error) }
	prefix string
	mid    bool
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	var out []byte
	for _, c := range p {
		if !iw.mid {
			out = append(out, iw.prefix...)
			iw.mid = true
		}
		out = append(out, c)
		if c == '\n' {
			iw.mid = false
		}
	}
	if _, err := iw.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
