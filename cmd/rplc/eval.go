package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/policytest"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
	"github.com/spf13/cobra"
)

func newEvalCmd(e *env) *cobra.Command {
	var f evalFlags
	var format string
	cmd := &cobra.Command{
		Use:   "eval POLICY|BUNDLE --request FILE.json",
		Short: "Evaluate one request and print the decision as JSON",
		Long: `Eval compiles a policy (.rpl), decides one request and prints the decision as
JSON (every field of the Decision type, keys sorted).

The request is a JSON object in the shape of the Request type: omitted fields
take their zero value; unknown fields and wrong types are errors naming the
JSON path. Money is a number or a string written as a money literal is,
its $ optional ("$0.25", "0.25"; not "1." or "$1e3"); durations "250ms" or whole
milliseconds (2000 is 2s, 1.5 an error); times RFC 3339 or Unix milliseconds
(1764358000000; a number in Unix seconds' range, 1764358000, is an error).
An arrival of the epoch (0, "1970-01-01T00:00:00Z") is taken as none.
What a router refuses in a request is refused too: a negative budget,
constraint or estimate, a tenant or parent id longer than 256 bytes (an
absent id is taken), text read as U+FFFD (a byte that is not UTF-8, half
a UTF-16 surrogate pair). --request - reads it from standard input.

The state the decision reads (spend, prices, experiment winners, provider
health and latency, the clock and the seed) comes from --state FILE.json
(--state - reads it from standard input, if the request does not),
the same state tests set with std/testing:

  {"now": "2025-06-01T14:00:00Z", "seed": 42,
   "spend": {"acme": {"month": "$950", "day": "$40"}},
   "prices": {"openai:gpt-4o": {"input": "$2.50", "output": "$10"}},
   "winners": {"summarizer-v2": "candidate"},
   "health": {"openai:gpt-4o": {"healthy": false, "error_rate": 0.4, "latency": "850ms"}}}

Without it the state is empty, as in tests. The clock is the state's "now",
else the request's arrival, else the current time; a request without its
arrival arrives at the clock, as a router makes it the time it received the
request, so that r.arrival and now() agree. (A router's clock is always that
time, its decision log event's: give it as "now" to replay a request that
came with an arrival of its own.) The seed is the state's "seed", else
derived from the request id, as a router derives it.

POLICY is a policy source (.rpl) or a bundle built by rplc build (.rplb);
--policy ID chooses the policy of a bundle that holds several.

Eval decides with the policy and the request alone: the tenant registry
(tenants.json) and the provider catalogue (catalogue.json) that a router
reads beside the policies, from their directory or their bundle, are not
applied. Give the request the tenant's tier, parents and budget, as the
router completes them from the registry, and --state the prices.

With --format json the output is one JSON document whatever the outcome:
{decision, fuel, memory, calls} (as --stats) with a decision; error in
place of decision when the evaluation fails ("p.rpl:3:7: integer overflow
[int_overflow]", the first line of what standard error says), with code
(int_overflow) and stack, the policy call stack standard error lists
under it ({func, file, line, col}, innermost first, with count when a
frame repeats: a recursion); and {error, diagnostics} when the policy has
errors or cannot be read, or the request or state is not valid, where
diagnostics are objects as rplc check --format json prints them (file,
line, col, end_line, end_col, severity, code, message). Standard error
says the same as without it. A wrong command line (exit 2) prints no
document.

A decision a router would refuse, as the policy's failure (answered
decision_failed, or the safe default, with vm_code invalid_decision:
spec §9.3), is printed as route returned it, and standard error says
why a router refuses it ("p.rpl: a router refuses this decision:
priority 500: not in 0–100 (.priority(p) clamps it) [invalid_decision]");
the exit status is 1, and with --format json the document holds error
and code beside the decision. A route to no target, an action other
than route or deny, a target that is not one, an empty tag key or one
that is not UTF-8 are among them.

A request or state that is not valid JSON (text that is not UTF-8
included) is refused at the byte at fault, as FILE:LINE:COL: message
("req.json:2:13: invalid JSON: ...", "<stdin>" for standard input); so is
a value or key that does not fit the Request record or the state's
fields, at it ("req.json:1:32: tenant.tier: want a string, have a
number"), a key given twice, at its second occurrence, and a value a
router refuses ("req.json:1:35: tenant.budget.monthly must be ≥ 0, have
-$5.00"). Another error names the flag and the file ("--request:
req.json: value: want an object, have a list"), as one that cannot be
read does ("--request: req.json: no such file or directory").

Exit status: 0 with a decision a router answers, 1 when the policy has
errors, the request or state is not valid, the evaluation fails (the
error and its policy call stack go to standard error) or a router
refuses the decision, 2 for a wrong command line (a missing
file, or a directory given as POLICY, --request or --state, among them).`,
		Example: `  rplc eval examples/policies/premium.rpl --request req.json
  echo '{"tenant": {"id": "acme", "tier": "gold"}}' | rplc eval premium.rpl --request -
  rplc eval budget_guard.rpl --request req.json --state state.json
  rplc eval policies.rplb --policy premium --request req.json
  rplc eval premium.rpl --request req.json --format json | jq .decision.target`,
		Args: exactlyOnePolicy,
		RunE: func(cmd *cobra.Command, args []string) error {
			ev, err := prepareEval(cmd, e, args[0], f, rpl.CompileOptions{NoTests: true})
			if err != nil {
				if format == "json" {
					return failureJSON(e.stdout, err)
				}
				return err
			}
			res, runErr := ev.decide(cmd.Context(), nil)
			var refused error // the router's verdict on the decision
			if runErr == nil {
				refused = runtime.CheckDecision(ev.prog.RequestType(), ev.prog.DecisionType(), res.Value)
			}
			if format == "json" {
				doc := map[string]any{"fuel": res.Stats.Fuel, "memory": res.Stats.Memory, "calls": res.Stats.Calls}
				if runErr == nil {
					doc["decision"] = rpl.ToGo(ev.prog.DecisionType(), res.Value)
				} else {
					ev.failedRun(doc, runErr)
				}
				if refused != nil {
					ev.failedRun(doc, refused)
				}
				if err := writeJSONValue(e.stdout, doc, vm.Stats{}, false); err != nil {
					return err
				}
			}
			if runErr != nil {
				return ev.runError(runErr)
			}
			if format != "json" {
				if err := writeJSONValue(e.stdout, rpl.ToGo(ev.prog.DecisionType(), res.Value), res.Stats, f.stats); err != nil {
					return err
				}
			}
			if refused != nil {
				fmt.Fprintln(e.stderr, ev.errorText(refused))
				return failed
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output format: text (errors on standard error only) or json (one JSON document whatever the outcome, errors included; see --help)")
	cmd.Flags().StringVar(&f.policy, "policy", "", "the policy of a bundle to evaluate (its id; default: its only policy)")
	cmd.Flags().BoolVar(&f.stats, "stats", false, "wrap the output as {decision, fuel, memory, calls}")
	return cmd
}

// evalFlags are the flags eval and explain share.
type evalFlags struct {
	request, state string
	policy         string // in a bundle
	fuel           int64
	stats          bool
}

// readBundleFile reads the bundle file path: a directory is a wrong
// command line, as POLICY a directory is (it was read: "x.rplb: is a
// directory", exit 1), and so is a file that does not exist.
func readBundleFile(cmd *cobra.Command, path string) ([]byte, error) {
	if isDir(path) {
		return nil, usageErrorf(cmd, "%s is a directory: name a bundle file (.rplb)", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, readError(cmd, unwrapPath(err))
	}
	return data, nil
}

// loadBundle reads a bundle (rplc build) and returns the program of the
// policy id, or of its only policy.
func loadBundle(cmd *cobra.Command, path, id string) (*rpl.Program, error) {
	data, err := readBundleFile(cmd, path)
	if err != nil {
		return nil, err
	}
	b, err := bundle.Read(data, bundle.ReadOptions{})
	if err != nil {
		return nil, &exitError{code: exitFail, err: fmt.Errorf("%s: %v", path, err)}
	}
	var ids []string
	for _, p := range b.Policies {
		ids = append(ids, p.ID)
	}
	var pol *bundle.Policy
	switch {
	case id != "":
		if pol = b.Policy(id); pol == nil {
			return nil, usageErrorf(cmd, "%s has no policy %s (it has %s)", path, id, strings.Join(ids, ", "))
		}
	case len(b.Policies) == 1:
		pol = b.Policies[0]
	default:
		return nil, usageErrorf(cmd, "%s holds %d policies: choose one with --policy (%s)", path, len(ids), strings.Join(ids, ", "))
	}
	env, err := rpl.NewEnv()
	if err != nil {
		return nil, internalError(err)
	}
	return env.Wrap(pol.ID, pol.VM), nil
}

func (f *evalFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.request, "request", "", "the request as a JSON file (- for standard input)")
	cmd.Flags().StringVar(&f.state, "state", "", "router state as a JSON file (- for standard input; see --help)")
	cmd.Flags().Int64Var(&f.fuel, "fuel", 0, "fuel limit (0: the default, 1000000)")
}

func exactlyOnePolicy(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErrorf(cmd, "%s: want one policy, have %d arguments", cmd.Name(), len(args))
	}
	return nil
}

// evaluation is a compiled policy with its request and input, ready to
// decide.
type evaluation struct {
	e      *env
	prog   *rpl.Program
	req    vm.Value
	in     vm.Input
	lim    vm.Limits
	namer  *pathNamer
	policy string
	host   *armHost
}

// armHost is an evaluation's state, recording the experiment assignment
// of the run (ab.arm), which decide writes into the decision as the
// router does (stdlib.ArmRecorder).
type armHost struct {
	*stdlib.MemState
	exp, arm string
}

func (h *armHost) RecordArm(exp, arm string) { h.exp, h.arm = exp, arm }

// compilePolicy checks and compiles one policy file with rpl.Env, as
// embedders and the router do; check errors are printed and reported as
// exit 1.
func compilePolicy(cmd *cobra.Command, e *env, path string, opts rpl.CompileOptions) (*rpl.Program, *pathNamer, error) {
	if strings.HasSuffix(path, ".rplb") {
		return nil, nil, usageErrorf(cmd, "%s: %s needs the policy source (.rpl), not a bundle", path, cmd.Name())
	}
	if !strings.HasSuffix(path, ".rpl") {
		return nil, nil, usageErrorf(cmd, "%s: not a policy (.rpl)", path)
	}
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, readError(cmd, unwrapPath(err)) // 2 when missing
	} else if fi.IsDir() {
		// As a directory not named .rpl is (it failed as a policy
		// that cannot be read, RPL203, exit 1).
		return nil, nil, usageErrorf(cmd, "%s is a directory: name a policy file (.rpl)", path)
	}
	env, err := rpl.NewEnv()
	if err != nil {
		return nil, nil, internalError(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, usageErrorf(cmd, "%v", err)
	}
	names := newPathNamer(path)
	p, err := env.CompileWith(abs, opts)
	var diags lang.DiagList
	switch {
	case errors.As(err, &diags):
		ds := make(lang.DiagList, 0, len(diags))
		for _, d := range diags {
			// The errors, and the note of those left out past a file's
			// 100 (RPL900), which said nothing of them otherwise.
			if d.Severity == lang.SevError || d.Code == lang.CodeTooMany {
				ds = append(ds, names.display(d))
			}
		}
		printText(e.stderr, ds, useColor(e.stderr, e.color))
		return nil, nil, &exitError{code: exitFail, diags: ds, summary: names.name(abs) + ": " + countOf(ds).errorsNotShown()}
	case err != nil:
		return nil, nil, &exitError{code: exitFail, err: compiler.NameFiles(err, names.name)}
	}
	return p, names, nil
}

func prepareEval(cmd *cobra.Command, e *env, path string, f evalFlags, opts rpl.CompileOptions) (*evaluation, error) {
	if f.request == "" {
		return nil, usageErrorf(cmd, "%s: --request is required", cmd.Name())
	}
	if f.request == "-" && f.state == "-" {
		return nil, usageErrorf(cmd, "--request - and --state -: only one of them can read standard input")
	}
	// A directory where the file goes is a wrong command line (exit 2),
	// as POLICY a directory is: it was read, "--request: x: is a
	// directory", exit 1, as a file that cannot be read.
	for _, in := range []struct{ flag, path, what string }{{"--request", f.request, "request"}, {"--state", f.state, "state"}} {
		if in.path != "-" {
			if err := notDir(cmd, in.flag, in.path, in.what+" file (FILE.json)"); err != nil {
				return nil, err
			}
		}
	}
	reqData, err := readInput(e, f.request)
	if err != nil {
		return nil, readError(cmd, inputError("--request", f.request, err))
	}
	var stateData []byte
	if f.state != "" {
		if stateData, err = readInput(e, f.state); err != nil {
			return nil, readError(cmd, inputError("--state", f.state, err))
		}
	}
	var (
		p     *rpl.Program
		names = newPathNamer(path)
	)
	if strings.HasSuffix(path, ".rplb") {
		p, err = loadBundle(cmd, path, f.policy)
	} else if f.policy != "" {
		return nil, usageErrorf(cmd, "--policy %s: chooses the policy of a bundle (.rplb); %s is a policy source, evaluated as it is", f.policy, path)
	} else {
		p, names, err = compilePolicy(cmd, e, path, opts)
	}
	if err != nil {
		return nil, err
	}
	if _, ok := p.VM().Entry(compiler.EntryRoute); !ok {
		return nil, &exitError{code: exitFail, err: fmt.Errorf("%s: the policy has no route function", path)}
	}
	req, err := p.RequestFromJSON(reqData)
	if err != nil {
		// A file given whose content is not valid is input with errors
		// (exit 1), as a policy with errors is, not a wrong command line.
		if pe, ok := errors.AsType[*rpl.PathError](err); ok && pe.Path != "value" {
			// A value or key refused is placed at it, as a syntax
			// error is: a key given twice at its second occurrence,
			// a key missing at the object that lacks it.
			err = jsonx.PosOf(reqData, pe.Path, pe.Msg == jsonx.RepeatedKey, pe.Error())
		}
		return nil, &exitError{code: exitFail, err: fmt.Errorf("%v%s", inputError("--request", f.request, err), requestShapeHint(reqData))}
	}
	// Text that encoding/json reads as U+FFFD (a byte that is not UTF-8,
	// half a UTF-16 surrogate pair), which a router refuses at it, is
	// refused too: two tenant ids that differ there would be one.
	if off, msg := jsonx.UnreadableText(reqData); off >= 0 {
		return nil, &exitError{code: exitFail, err: inputError("--request", f.request, jsonx.PosAt(reqData, int64(off), msg))}
	}
	// What a router refuses in a request of this shape (a negative
	// budget, an over-long tenant id) is refused here too: eval replays
	// the router's decisions, and it never decides such a request.
	// It is placed at the value refused, as a value of the wrong type is.
	if err := runtime.CheckRequest(p.RequestType(), p.DecisionType(), req); err != nil {
		if re, ok := errors.AsType[*runtime.Error](err); ok {
			err = errors.New(re.Message)
			if field, _ := re.Details["field"].(string); field != "" {
				err = jsonx.PosOf(reqData, field, false, re.Message)
			}
		}
		return nil, &exitError{code: exitFail, err: inputError("--request", f.request, err)}
	}
	rt := p.RequestType()
	ev := &evaluation{e: e, prog: p, req: req, namer: names, policy: path, lim: vm.Limits{Fuel: f.fuel}}
	host := &stdlib.MemState{}
	var now time.Time
	var seed *uint64
	if stateData != nil {
		if host, now, seed, err = policytest.ReadState(stateData); err != nil {
			return nil, &exitError{code: exitFail, err: inputError("--state", f.state, err)}
		}
	}
	if now.IsZero() {
		if i := rt.FieldIndex("arrival"); i >= 0 && req.Record()[i].Int() != 0 {
			now = req.Record()[i].Time()
		} else {
			now = time.Now()
		}
	}
	// A request without its arrival arrives at the clock, as a router
	// gives it the time it received it: r.arrival and now() agree.
	if i := rt.FieldIndex("arrival"); i >= 0 && req.Record()[i].Int() == 0 {
		req.Record()[i] = vm.TimeOf(now)
	}
	ev.host = &armHost{MemState: host}
	ev.in = vm.Input{Now: now, Host: ev.host, Policy: p.Name()}
	if seed != nil {
		ev.in.Seed = *seed
	} else if i := rt.FieldIndex("id"); i >= 0 {
		ev.in.Seed = rpl.SeedOf(req.Record()[i].Str())
	}
	return ev, nil
}

// decide runs route; probes, when not nil, receive the trace.
func (ev *evaluation) decide(ctx context.Context, probes *vm.Probes) (rpl.Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	in := ev.in
	in.Probes = probes
	ev.host.exp, ev.host.arm = "", ""
	res, err := ev.prog.DecideWithLimits(ctx, ev.req, in, ev.lim)
	if err == nil {
		res.Value = ev.asRouted(res.Value)
	}
	return res, err
}

// asRouted is decision d as the router answers it when its sticky key has
// no target kept yet (a first request, as every evaluation here is): the
// experiment and arm of the run's last ab.arm, and a target drawn from
// the split with the session's seed (stdlib.SessionSeed of the policy
// and the sticky key) rather than the request's, so that routers agree
// (runtime's Engine.stick). std.sticky made that draw in the policy
// already, and then the target is unchanged; the draw here is for
// a decision whose sticky_key the policy set without sticky (a Decision
// record literal), as the router's is.
func (ev *evaluation) asRouted(d vm.Value) vm.Value {
	dt := ev.prog.DecisionType()
	slots := d.Record()
	field := func(name string) int { return dt.FieldIndex(name) }
	exp, arm, key, split, target, action := field("experiment"), field("arm"), field("sticky_key"), field("split"), field("target"), field("action")
	if len(slots) != len(dt.Fields) || min(exp, arm, key, split, target, action) < 0 {
		return d
	}
	out := append([]vm.Value(nil), slots...)
	if ev.host.exp != "" {
		out[exp], out[arm] = vm.Str(ev.host.exp), vm.Str(ev.host.arm)
	}
	// A denial is not sticky, as the router does not stick it.
	if k := out[key].Str(); k != "" && out[action].Str() != "deny" && out[split].Kind() == vm.KindMap {
		if stdlib.Drawn(out[split].Map(), out[target]) {
			if t, _, err := stdlib.SessionTarget(out[split].Map(), ev.in.Policy, k, "", false); err == nil {
				out[target] = t
			}
		}
	}
	return vm.NewRecord(out)
}

// runError prints a failed evaluation with its policy call stack (exit 1).
func (ev *evaluation) runError(err error) error {
	if e, ok := err.(*vm.Error); ok {
		fmt.Fprintln(ev.e.stderr, ev.errorText(e))
		vm.WriteStack(ev.e.stderr, "    ", e.Stack, ev.namer.name)
		return failed
	}
	return &exitError{code: exitFail, err: err}
}

// errorText is a failed evaluation's error in one line, its position
// named as the policy's other positions are: "p.rpl:3:7: integer overflow
// [int_overflow]". A decision a router refuses (runtime.CheckDecision),
// which no position of the policy holds, is the policy's: "p.rpl: a
// router refuses this decision: priority 500: not in 0–100 (…)
// [invalid_decision]".
func (ev *evaluation) errorText(err error) string {
	if e, ok := err.(*vm.Error); ok {
		if e.Code == runtime.CodeInvalidDecision {
			return fmt.Sprintf("%s: a router refuses this decision: %s [%s]", ev.policy, e.Msg, e.Code)
		}
		return fmt.Sprintf("%s: %s [%s]", ev.namer.framePos(e.Stack), e.Msg, e.Code)
	}
	return err.Error()
}

// failedRun puts a failed evaluation in the JSON document of eval or
// explain: error (errorText, the first line standard error gives), code
// (a run-time error's, which the text gives in brackets, as rplc test's
// failures have it) and stack (errorStack).
func (ev *evaluation) failedRun(doc map[string]any, err error) {
	doc["error"] = ev.errorText(err)
	if e, ok := err.(*vm.Error); ok {
		doc["code"] = string(e.Code)
	}
	if st := ev.errorStack(err); len(st) > 0 {
		doc["stack"] = st
	}
}

// errorStack is the policy call stack of a failed evaluation, innermost
// first, as standard error lists it under errorText, in the frames of
// rplc test --format json; nil for an error without one.
func (ev *evaluation) errorStack(err error) []jsonFrame {
	if e, ok := err.(*vm.Error); ok {
		return jsonStack(e.Stack, ev.namer.name)
	}
	return nil
}

func (n *pathNamer) framePos(st []vm.Frame) string {
	if len(st) == 0 {
		return "rplc"
	}
	f := st[0]
	f.File = n.name(f.File)
	return f.Pos()
}

// inputError is err about the JSON input given to flag (--request,
// --state) as name ("-": standard input, named <stdin>). An error at a
// byte of the input (a syntax error, a key given twice, text that is not
// UTF-8) is placed as rplc places every error in a file, FILE:LINE:COL:
// message ("req.json:1:26: invalid JSON: invalid character ..."), not in
// words ("line 1, column 26"); another, the input's read error among
// them, is said after the flag and name, as rplc says a file of another
// flag's ("--request: req.json: no such file or directory", "--request:
// req.json: value: want an object, have a list").
func inputError(flag, name string, err error) error {
	if name == "-" {
		name = "<stdin>"
	}
	if pe, ok := err.(*jsonx.PosError); ok {
		return fmt.Errorf("%s:%d:%d: %s", name, pe.Line, pe.Col, pe.Text())
	}
	return fmt.Errorf("%s: %s: %w", flag, name, err)
}

// readInput reads the input named name ("-": standard input); its error
// does not name it ("no such file or directory"), as inputError does.
func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	data, err := os.ReadFile(name)
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return nil, pe.Err // "no such file", not "open req.json: no such file"
	}
	return data, err
}

func writeJSONValue(w io.Writer, decision any, st vm.Stats, withStats bool) error {
	var v any = decision
	if withStats {
		v = map[string]any{"decision": decision, "fuel": st.Fuel, "memory": st.Memory, "calls": st.Calls}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return writeError(err)
	}
	return nil
}

// requestShapeHint is what to add to the error of a --request that is
// not a Request record but a router's request body, a v2 decide body
// ({"request": {…}}) or a CP1 DecideRequest ({"tenant_id", "task", …}),
// which a user may well paste in: "request: unknown field" alone does not
// say that the record inside is wanted.
func requestShapeHint(data []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return ""
	}
	if _, ok := top["request"]; ok {
		return ` (--request takes the Request record itself, what a v2 decide body holds under "request", not the body)`
	}
	_, tenant := top["tenant_id"]
	_, id := top["request_id"]
	if tenant || id {
		return ` (--request takes a Request record, {"id": …, "tenant": {"id": …}, "task": {"type": …}}, not a CP1 DecideRequest)`
	}
	return ""
}
