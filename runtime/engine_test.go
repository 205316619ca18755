package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
	"github.com/rpl-lang/rpl/vm"
)

const examples = "../examples/policies"

// copyDir copies the .rpl files of src into a fresh temporary directory
// and adds extra files.
func copyDir(t testing.TB, src string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".rpl") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, e.Name(), string(data))
	}
	for name, data := range extra {
		writeFile(t, dir, name, data)
	}
	return dir
}

func writeFile(t testing.TB, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newEngine(t testing.TB, cfg runtime.Config) *runtime.Engine {
	t.Helper()
	e, err := runtime.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func load(t testing.TB, e *runtime.Engine, dir string) *runtime.Snapshot {
	t.Helper()
	s, err := e.LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// request decodes a v2 Request record.
func request(t testing.TB, e *runtime.Engine, js string) vm.Value {
	t.Helper()
	v, err := rpl.FromJSON(e.RequestType(), []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLoadExamples(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	if e.Ready() {
		t.Fatal("ready before any load")
	}
	s := load(t, e, examples)
	if !e.Ready() || e.Current() != s {
		t.Fatal("not ready after load")
	}
	ids := strings.Join(s.PolicyIDs(), ",")
	for _, want := range []string{"default", "premium", "org_acme", "team_acme_research"} {
		if !strings.Contains(ids, want) {
			t.Errorf("policies %s lack %s", ids, want)
		}
	}
	if s.Policy("default").Tests == 0 {
		t.Error("default's tests did not run")
	}
	if len(s.Version) != 64 {
		t.Errorf("version %q is not a sha256", s.Version)
	}
	// Same sources, same version.
	s2, err := e.BuildDir(context.Background(), copyDir(t, examples, nil))
	if err != nil {
		t.Fatal(err)
	}
	if s2.Version != s.Version {
		t.Errorf("copied sources: version %s, want %s", s2.Version, s.Version)
	}
}

func TestSelection(t *testing.T) {
	dir := copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [
		{"id": "acme-research-1", "tier": "gold", "parents": ["team_acme_research", "org_acme"]},
		{"id": "acme-sales", "parents": ["org_acme"]},
		{"id": "vip", "tier": "platinum", "policy": "premium"},
		{"id": "alice", "parents": ["team"]},
		{"id": "team", "parents": ["org"]},
		{"id": "org", "policy": "org_acme"}
	]}`})
	e := newEngine(t, runtime.Config{})
	s := load(t, e, dir)
	if alice, _ := s.Tenant("alice"); alice == nil || !slices.Equal(alice.Parents, []string{"team", "org"}) {
		t.Errorf("alice %+v: want the parents chain [team org]", alice)
	}
	ctx := context.Background()
	cases := []struct {
		name, policyID, req, wantPolicy, wantTarget string
		wantCode                                    runtime.Code
	}{
		{"unknown tenant gets default", "", `{"id": "r1", "tenant": {"id": "t-9"}, "task": {"type": "chat"}}`, "default", "openai:gpt-4o-mini", ""},
		{"explicit policy id", "premium", `{"id": "r2", "tenant": {"id": "t-9", "tier": "gold"}, "task": {"type": "chat"}}`, "premium", "anthropic:claude-haiku", ""},
		{"unknown policy id", "nope", `{"id": "r3", "tenant": {"id": "t-9"}}`, "", "", runtime.CodePolicyNotFound},
		{"tenant named like a policy", "", `{"id": "r4", "tenant": {"id": "org_acme"}, "task": {"type": "code"}}`, "org_acme", "anthropic:claude-sonnet", ""},
		{"registry parents, nearest first", "", `{"id": "r5", "tenant": {"id": "acme-research-1"}, "task": {"type": "chat"}}`, "team_acme_research", "anthropic:claude-sonnet", ""},
		{"registry parent", "", `{"id": "r6", "tenant": {"id": "acme-sales"}, "task": {"type": "chat"}}`, "org_acme", "openai:gpt-4o-mini", ""},
		{"request parents", "", `{"id": "r7", "tenant": {"id": "x", "parents": ["nothing", "org_acme"]}, "task": {"type": "chat"}}`, "org_acme", "openai:gpt-4o-mini", ""},
		{"registry policy and tier", "", `{"id": "r8", "tenant": {"id": "vip"}, "estimate": {"input_tokens": 10000}}`, "premium", "anthropic:claude-sonnet", ""},
		{"registry grandparent", "", `{"id": "r9", "tenant": {"id": "alice"}, "task": {"type": "chat"}}`, "org_acme", "openai:gpt-4o-mini", ""},
		{"request parent completed along the registry", "", `{"id": "r10", "tenant": {"id": "stranger", "parents": ["alice"]}, "task": {"type": "chat"}}`, "org_acme", "openai:gpt-4o-mini", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := e.Decide(ctx, c.policyID, request(t, e, c.req), time.Time{})
			if c.wantCode != "" {
				if o.Err == nil || o.Err.Code != c.wantCode {
					t.Fatalf("err %v, want code %s", o.Err, c.wantCode)
				}
				return
			}
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			if o.PolicyID() != c.wantPolicy || o.Version() != s.Version {
				t.Errorf("policy %s@%s, want %s@%s", o.PolicyID(), o.Version(), c.wantPolicy, s.Version)
			}
			if got := e.View(o.Decision).Target(); got != c.wantTarget {
				t.Errorf("target %s, want %s", got, c.wantTarget)
			}
		})
	}
}

func TestNoDefault(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "only.rpl", "package only\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	e := newEngine(t, runtime.Config{})
	load(t, e, dir)
	o := e.Decide(context.Background(), "", request(t, e, `{"id": "r", "tenant": {"id": "t"}}`), time.Time{})
	if o.Err == nil || o.Err.Code != runtime.CodePolicyNotFound {
		t.Fatalf("err %v, want policy_not_found", o.Err)
	}
	strict := newEngine(t, runtime.Config{RequireKnownTenant: true})
	load(t, strict, dir)
	o = strict.Decide(context.Background(), "only", request(t, e, `{"id": "r", "tenant": {"id": "t"}}`), time.Time{})
	if o.Err == nil || o.Err.Code != runtime.CodeUnauthorized {
		t.Fatalf("err %v, want unauthorized", o.Err)
	}
	if o := (runtime.Outcome{}); o.PolicyID() != "" {
		t.Fatal("empty outcome names a policy")
	}
	idle := newEngine(t, runtime.Config{})
	if o := idle.Decide(context.Background(), "", request(t, e, `{"id": "r"}`), time.Time{}); o.Err == nil || o.Err.Code != runtime.CodeNotReady {
		t.Fatalf("before any load: %v, want not_ready", o.Err)
	}
}

func TestFailedLoadKeepsVersion(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	good := load(t, e, examples)
	for name, files := range map[string]map[string]string{
		"type error":   {"bad.rpl": "package bad\n\nfn route(r: Request) -> Decision = to(r.tenant.tierr)\n"},
		"failing test": {"bad.rpl": "package bad\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n", "bad_test.rpl": "package bad\n\ntest \"wrong\" {\n  expect route({}).target == \"c:d\"\n}\n"},
		"bad tenants":  {"tenants.json": `{"tenants": [{"id": "x", "policy": "missing"}]}`},
		"bad json":     {"tenants.json": `{"tenants": [`},
		"tenant cycle": {"tenants.json": `{"tenants": [{"id": "a", "parents": ["b"]}, {"id": "b", "parents": ["c"]}, {"id": "c", "parents": ["a"]}]}`},
		"null tenant":  {"tenants.json": `{"tenants": [{"id": "a"}, null]}`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.LoadDir(context.Background(), copyDir(t, examples, files))
			var le *runtime.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err %v, want a *LoadError", err)
			}
			if e.Current() != good {
				t.Fatal("a failed load replaced the active version")
			}
			if name == "tenant cycle" && !strings.Contains(err.Error(), `tenant "a" is its own ancestor: "a" → "b" → "c" → "a"`) {
				t.Errorf("cycle: %v", err)
			}
			// At its place, as rplc check says it.
			if want := "tenants.json:1:36: error[RPL217]: tenants[0].policy: tenant \"x\" names policy \"missing\", which does not exist"; name == "bad tenants" && !strings.Contains(err.Error(), want) {
				t.Errorf("missing policy: %v, want %q", err, want)
			}
			st := e.Status()
			if st.LastError == "" || st.ReloadFailures == 0 || st.Version != good.Version {
				t.Errorf("status %+v does not report the failure", st)
			}
		})
	}
	if _, err := e.LoadDir(context.Background(), filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing directory loaded")
	}
	empty := t.TempDir()
	if _, err := e.LoadDir(context.Background(), empty); err == nil || !strings.Contains(err.Error(), "no policies") {
		t.Errorf("empty directory: %v", err)
	}
	// The source mended back to the active version: the failure is over.
	if s := load(t, e, examples); s.Version != good.Version {
		t.Fatalf("reloaded %s, want the active %s", s.Version, good.Version)
	}
	if st := e.Status(); st.LastError != "" {
		t.Errorf("status still reports %q after a good load of the active version", st.LastError)
	}
}

func TestRollback(t *testing.T) {
	e := newEngine(t, runtime.Config{Keep: 3})
	if _, err := e.Rollback(); !errors.Is(err, runtime.ErrNoPrevious) {
		t.Fatalf("rollback with nothing: %v", err)
	}
	var versions []string
	for i := range 4 {
		dir := t.TempDir()
		writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"p:m"+string(rune('0'+i))+"\")\n")
		versions = append(versions, load(t, e, dir).Version)
	}
	if n := len(e.History()); n != 3 {
		t.Fatalf("kept %d snapshots, want 3", n)
	}
	for _, want := range []string{versions[2], versions[1]} {
		s, err := e.Rollback()
		if err != nil {
			t.Fatal(err)
		}
		if s.Version != want || e.Current().Version != want {
			t.Fatalf("rolled back to %s, want %s", s.Version, want)
		}
	}
	if _, err := e.Rollback(); !errors.Is(err, runtime.ErrNoPrevious) {
		t.Fatalf("rollback past the history: %v", err)
	}
	o := e.Decide(context.Background(), "", request(t, e, `{"id": "r"}`), time.Time{})
	if got := e.View(o.Decision).Target(); got != "p:m1" {
		t.Fatalf("after rollbacks decided %s, want p:m1", got)
	}
	// The versions rolled back from are kept, to be put back: a rollback
	// made by mistake is undone by activating the version it left.
	var left []string
	for _, s := range e.RolledBack() {
		left = append(left, s.Version)
	}
	if want := []string{versions[3], versions[2]}; !slices.Equal(left, want) {
		t.Fatalf("rolled back: %.12s, want %.12s", left, want)
	}
	if s, err := e.ActivateVersion(versions[3][:12]); err != nil || s.Version != versions[3] || e.Current().Version != versions[3] {
		t.Fatalf("activate the version rolled back from: %v", err)
	}
	if s, err := e.Rollback(); err != nil || s.Version != versions[1] {
		t.Fatalf("rollback after putting it back: %v, want %.12s", err, versions[1])
	}
}

// TestRollbackReleasesSnapshots: a snapshot that neither the history nor
// the versions rolled back from keep is garbage, whatever dropped it: an
// activation beyond Config.Keep, a rollback beyond it, a version built
// again and activated in place of its kept twin or over itself. Each step ends with a
// collection, after which every snapshot still in memory must be a kept
// one (weak pointers see what the engine's arrays hold past their ends and
// before their fronts alike). A rollback left the version it rolled back
// from in the history's array past its end, and trimming to Config.Keep
// resliced, so that the array kept a version dropped from both before its
// front, its whole compiled bundle in memory, until an append outgrew it.
func TestRollbackReleasesSnapshots(t *testing.T) {
	e := newEngine(t, runtime.Config{Keep: 3})
	var made []weak.Pointer[runtime.Snapshot]
	// build builds version i afresh (the same version as the last build
	// of i, another snapshot), keeping no reference to it but a weak one.
	build := func(i int) *runtime.Snapshot {
		s, err := e.BuildFiles(context.Background(), "p", map[string][]byte{
			"default.rpl": fmt.Appendf(nil, "package default\n\nfn route(r: Request) -> Decision = to(\"p:m%d\")\n", i)})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, weak.Make(s))
		return s
	}
	// Activations, rollbacks down to the oldest kept and versions put
	// back, in an order that drops versions from both lists: two
	// rollbacks leave 2 past the history's end, an activation writes
	// over one slot only, and two rollbacks more drop 2 from the rolled
	// back.
	for i, op := range []int{0, 1, 2, -1, -1, 3, -1, 4, -1, 5, -1, -2, 0, 1, -1, -1, -2, 2, 3, 4, 5, -1, -1, -1, 0, -1, 1, 2, 3, 1, 4, 5, 0, 0} {
		switch {
		case op >= 0:
			e.Activate(build(op))
		case op == -1:
			if _, err := e.Rollback(); err != nil && !errors.Is(err, runtime.ErrNoPrevious) {
				t.Fatal(err)
			}
		default: // the version last rolled back from, put back
			if rb := e.RolledBack(); len(rb) > 0 {
				if _, err := e.ActivateVersion(rb[len(rb)-1].Version); err != nil {
					t.Fatal(err)
				}
			}
		}
		goruntime.GC()
		kept := slices.Concat(e.History(), e.RolledBack())
		for _, w := range made {
			if s := w.Value(); s != nil && !slices.Contains(kept, s) {
				t.Fatalf("after step %d (%d): %.12s is still in memory, and neither the history nor the rolled back keep it", i, op, s.Version)
			}
		}
	}
}

// TestRollbackClearsLoadError: a rollback is an activation, so the load
// failure before it is no longer the last since one (Status).
func TestRollbackClearsLoadError(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	for i := range 2 {
		dir := t.TempDir()
		writeFile(t, dir, "default.rpl", fmt.Sprintf("package default\n\nfn route(r: Request) -> Decision = to(\"p:m%d\")\n", i))
		load(t, e, dir)
	}
	bad := t.TempDir()
	writeFile(t, bad, "default.rpl", "package default\n\nfn route(\n")
	if _, err := e.LoadDir(context.Background(), bad); err == nil || e.Status().LastError == "" {
		t.Fatalf("a broken policy: %v, status %+v", err, e.Status())
	}
	if _, err := e.Rollback(); err != nil {
		t.Fatal(err)
	}
	if st := e.Status(); st.LastError != "" {
		t.Errorf("after a rollback the status still reports %q", st.LastError)
	}
}

const loopPolicy = `package default

fn spin(n: int) -> int = if n == 0 { 0 } else { spin(n - 1) + 1 }

fn route(r: Request) -> Decision {
  if r.task.type == "spin" {
    return to("p:" + string(spin(r.estimate.input_tokens)))
  }
  to("p:ok")
}
`

func TestFailureModes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", loopPolicy)
	spin := `{"id": "r", "tenant": {"id": "t"}, "task": {"type": "spin"}, "estimate": {"input_tokens": 100000}}`

	closed := newEngine(t, runtime.Config{Limits: rpl.Limits{Fuel: 10_000}})
	load(t, closed, dir)
	o := closed.Decide(context.Background(), "", request(t, closed, spin), time.Time{})
	if o.Err == nil || o.Err.Code != runtime.CodeDecisionFailed {
		t.Fatalf("fail closed: %v", o.Err)
	}
	var ve *vm.Error
	if !errors.As(o.Err, &ve) || (ve.Code != vm.CodeFuelExhausted && ve.Code != vm.CodeStackOverflow) {
		t.Fatalf("cause %v, want a limit error", o.Err.Err)
	}
	if closed.Status().Failures != 1 {
		t.Error("failure not counted")
	}

	safe := newEngine(t, runtime.Config{Limits: rpl.Limits{Fuel: 10_000}, FailureMode: runtime.FailSafeDefault, SafeDefault: "openai:gpt-4o-mini"})
	load(t, safe, dir)
	o = safe.Decide(context.Background(), "", request(t, safe, spin), time.Time{})
	if o.Err != nil || !o.SafeDefault || o.Failure == nil {
		t.Fatalf("safe default: err %v safe %v", o.Err, o.SafeDefault)
	}
	if got := safe.View(o.Decision).Target(); got != "openai:gpt-4o-mini" {
		t.Fatalf("safe default target %s", got)
	}
	if safe.Status().Failures != 1 || o.Result() != "safe_default" {
		t.Error("safe default not counted")
	}
	// A run stopped from outside (its context cancelled) is no failure
	// of the policy, even in safe-default mode: it is answered
	// overloaded, to be retried, and named "canceled" in the metrics,
	// apart from real overload.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o = safe.Decide(ctx, "", request(t, safe, spin), time.Time{})
	if o.Err == nil || o.Err.Code != runtime.CodeOverloaded || !o.Canceled || o.SafeDefault || o.Result() != "canceled" {
		t.Errorf("cancelled run: err %v canceled %v safe %v result %q, want overloaded, canceled", o.Err, o.Canceled, o.SafeDefault, o.Result())
	}
	if safe.Status().Failures != 1 {
		t.Error("a cancelled run counted as a failure")
	}
	if _, err := runtime.New(runtime.Config{FailureMode: runtime.FailSafeDefault}); err == nil {
		t.Error("safe-default mode without a target accepted")
	}

	// Deadline: a policy that runs long is stopped by the deadline.
	slow := newEngine(t, runtime.Config{Limits: rpl.Limits{Fuel: 1 << 40, MaxDepth: 1 << 20}, Deadline: time.Millisecond})
	load(t, slow, dir)
	o = slow.Decide(context.Background(), "", request(t, slow, `{"id": "r", "task": {"type": "spin"}, "estimate": {"input_tokens": 900000}}`), time.Time{})
	if o.Err == nil {
		t.Fatal("a long run finished")
	}
	// The failure names the policy's file as the snapshot has it, not the
	// temporary directory it was compiled in.
	if msg := o.Err.Error(); !strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, os.TempDir()) || o.Failure.Stack[0].File != "default.rpl" {
		t.Errorf("failure %q at %q", msg, o.Failure.Stack[0].File)
	}
}

// workPolicy does work in proportion to the request's input_tokens
// without recursion, so that only fuel or memory can stop it: "count"
// spends fuel on every element of a list, "build" makes a list.
const workPolicy = `package default

fn route(r: Request) -> Decision {
  let n = r.estimate.input_tokens
  if r.task.type == "count" {
    return to("p:" + string(count(range(n), i => i % 7 == 0)))
  }
  if r.task.type == "build" {
    return to("p:" + string(len(range(n))))
  }
  to("p:ok")
}
`

// limitRun decides a request of task with n input tokens on a fresh
// engine configured with cfg, loaded with workPolicy.
func limitRun(t *testing.T, cfg runtime.Config, task string, n int) (*runtime.Engine, *runtime.Outcome) {
	t.Helper()
	if cfg.Deadline == 0 {
		// The limit under test decides, not a loaded machine's clock:
		// the default 50 ms ran out once under a parallel test run.
		cfg.Deadline = time.Minute
	}
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", workPolicy)
	e := newEngine(t, cfg)
	load(t, e, dir)
	o := e.Decide(context.Background(), "", request(t, e, fmt.Sprintf(`{"id": "r", "task": {"type": %q}, "estimate": {"input_tokens": %d}}`, task, n)), time.Time{})
	return e, &o
}

// checkLimitFailure checks what the caller of an engine failing closed
// is told when a run exhausts a limit: decision_failed, the VM's code
// and the limit in the message.
func checkLimitFailure(t *testing.T, e *runtime.Engine, o *runtime.Outcome, code vm.Code, msg string) {
	t.Helper()
	if o.Err == nil {
		t.Fatalf("decided %s, want %s", e.View(o.Decision).Target(), code)
	}
	var ve *vm.Error
	if o.Err.Code != runtime.CodeDecisionFailed || !errors.As(o.Err, &ve) || ve.Code != code || o.Err.Details["vm_code"] != string(code) ||
		o.Err.Details["policy_id"] != "default" || o.Err.Details["policy_version"] != e.Current().Version {
		t.Fatalf("error %v (details %v), want %s caused by %s", o.Err, o.Err.Details, runtime.CodeDecisionFailed, code)
	}
	if want := "decision_failed: policy default failed: default.rpl:"; !strings.HasPrefix(o.Err.Error(), want) || !strings.HasSuffix(o.Err.Error(), ": "+msg) {
		t.Errorf("error %q, want %q…: %s", o.Err.Error(), want, msg)
	}
	if st := e.Status(); st.Decisions != 1 || st.Failures != 1 {
		t.Errorf("status %+v, want 1 decision, 1 failure", st)
	}
}

// checkSafeDefault checks that an engine answering a safe default on
// failure answered it for o, failed with code, and counted the failure.
func checkSafeDefault(t *testing.T, e *runtime.Engine, o *runtime.Outcome, code vm.Code, msg string) {
	t.Helper()
	if o.Err != nil || !o.SafeDefault || o.Result() != "safe_default" || e.View(o.Decision).Target() != "openai:gpt-4o-mini" {
		t.Fatalf("safe default: err %v safe %v result %s", o.Err, o.SafeDefault, o.Result())
	}
	if o.Failure == nil || o.Failure.Code != code || !strings.HasSuffix(o.Failure.Error(), ": "+msg) {
		t.Errorf("failure %v, want %s", o.Failure, msg)
	}
	if e.Status().Failures != 1 {
		t.Error("safe default not counted as a failure")
	}
}

// TestFuelLimit: a run within the depth and memory limits stops because
// it runs out of the fuel configured, and passes with more.
func TestFuelLimit(t *testing.T) {
	const n, fuel = 10_000, 20_000
	e, o := limitRun(t, runtime.Config{Limits: rpl.Limits{Fuel: 5 * fuel}}, "count", n)
	if o.Err != nil || e.View(o.Decision).Target() != "p:1429" {
		t.Fatalf("with fuel %d: %v", 5*fuel, o.Err)
	}
	// The run needs more than the smaller fuel, and is far from the
	// default: the fuel configured decides.
	if o.Stats.Fuel <= fuel || o.Stats.Fuel > 5*fuel || o.Stats.Fuel > vm.DefaultFuel/10 || o.Stats.Calls > 2 {
		t.Fatalf("the run took %d fuel, %d calls", o.Stats.Fuel, o.Stats.Calls)
	}
	t.Logf("%d elements: %d fuel, %d bytes", n, o.Stats.Fuel, o.Stats.Memory)

	e, o = limitRun(t, runtime.Config{Limits: rpl.Limits{Fuel: fuel}}, "count", n)
	checkLimitFailure(t, e, o, vm.CodeFuelExhausted, fmt.Sprintf("fuel exhausted (limit %d)", fuel))

	e, o = limitRun(t, runtime.Config{Limits: rpl.Limits{Fuel: fuel}, FailureMode: runtime.FailSafeDefault, SafeDefault: "openai:gpt-4o-mini"}, "count", n)
	checkSafeDefault(t, e, o, vm.CodeFuelExhausted, fmt.Sprintf("fuel exhausted (limit %d)", fuel))
}

// TestMemoryLimit: a run within the fuel and depth limits stops because
// it runs out of the memory configured, and passes with more.
func TestMemoryLimit(t *testing.T) {
	const n, mem = 10_000, 64 << 10
	e, o := limitRun(t, runtime.Config{Limits: rpl.Limits{Memory: 16 * mem}}, "build", n)
	if o.Err != nil || e.View(o.Decision).Target() != fmt.Sprintf("p:%d", n) {
		t.Fatalf("with memory %d: %v", 16*mem, o.Err)
	}
	if o.Stats.Memory <= mem || o.Stats.Memory > 16*mem || o.Stats.Fuel > vm.DefaultFuel/10 {
		t.Fatalf("the run took %d bytes, %d fuel", o.Stats.Memory, o.Stats.Fuel)
	}
	t.Logf("%d elements: %d bytes, %d fuel", n, o.Stats.Memory, o.Stats.Fuel)

	e, o = limitRun(t, runtime.Config{Limits: rpl.Limits{Memory: mem}}, "build", n)
	checkLimitFailure(t, e, o, vm.CodeMemoryExhausted, fmt.Sprintf("memory exhausted (limit %d bytes)", mem))

	e, o = limitRun(t, runtime.Config{Limits: rpl.Limits{Memory: mem}, FailureMode: runtime.FailSafeDefault, SafeDefault: "openai:gpt-4o-mini"}, "build", n)
	checkSafeDefault(t, e, o, vm.CodeMemoryExhausted, fmt.Sprintf("memory exhausted (limit %d bytes)", mem))
}

// TestDecisionLogSample: a fraction s of the decisions is logged,
// exactly: after n decisions, ⌊n·s⌋ of them (so any 10 consecutive
// decisions at 0.7 hold 7 logged ones).
func TestDecisionLogSample(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"p:m\")\n")
	for _, c := range []struct {
		sample   float64
		num, den int // the fraction logged
	}{
		{0, 1, 1}, // the default: every decision
		{1, 1, 1},
		{0.5, 1, 2},
		{0.25, 1, 4},
		{0.7, 7, 10},
		{0.333, 333, 1000},
		{1.0 / 3, 1, 3},
		{0.001, 1, 1000},
		{0.999, 999, 1000},
	} {
		logged := 0
		e := newEngine(t, runtime.Config{LogSample: c.sample, DecisionLog: logFunc(func(*runtime.DecisionEvent) { logged++ })})
		load(t, e, dir)
		req := request(t, e, `{"id": "r"}`)
		for n := 1; n <= 1000; n++ {
			if o := e.Decide(context.Background(), "", req, time.Time{}); o.Err != nil {
				t.Fatal(o.Err)
			}
			if want := n * c.num / c.den; logged != want {
				t.Fatalf("sample %v: %d of %d decisions logged, want %d", c.sample, logged, n, want)
			}
		}
	}

	// Decisions made at once take their turns too.
	var logged atomic.Int64
	e := newEngine(t, runtime.Config{LogSample: 0.7, DecisionLog: logFunc(func(*runtime.DecisionEvent) { logged.Add(1) })})
	load(t, e, dir)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			o := new(runtime.Outcome)
			for range 250 {
				e.DecideInto(context.Background(), o, "", request(t, e, `{"id": "r"}`), time.Time{})
			}
		})
	}
	wg.Wait()
	if logged.Load() != 700 {
		t.Errorf("%d of 1000 concurrent decisions logged at 0.7", logged.Load())
	}

	// Sampling allocates nothing: nor does logging, to a sink that
	// releases its events.
	if !raceEnabled {
		e := newEngine(t, runtime.Config{LogSample: 0.7, DecisionLog: logFunc(func(ev *runtime.DecisionEvent) { ev.Release() })})
		load(t, e, dir)
		req, o := request(t, e, `{"id": "r"}`), new(runtime.Outcome)
		if n := testing.AllocsPerRun(1000, func() { e.DecideInto(context.Background(), o, "", req, time.Time{}) }); n != 0 {
			t.Errorf("a decision sampled at 0.7 allocated %v times", n)
		}
	}

	// A sample that is no fraction is refused, log or not.
	for _, s := range []float64{-0.1, 1.5, math.NaN(), math.Inf(1), -1} {
		for _, log := range []runtime.DecisionLog{nil, logFunc(func(*runtime.DecisionEvent) {})} {
			if _, err := runtime.New(runtime.Config{LogSample: s, DecisionLog: log}); err == nil || !strings.Contains(err.Error(), "LogSample") {
				t.Errorf("LogSample %v: %v", s, err)
			}
		}
	}
}

func TestDecisionLogAndArm(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", `package default

import "std/ab"

fn route(r: Request) -> Decision {
  let arm = ab.arm("exp1", key: r.user.id, split: {a: 50, b: 50})
  to("p:" + arm)
}
`)
	var got []*runtime.DecisionEvent
	e := newEngine(t, runtime.Config{DecisionLog: logFunc(func(ev *runtime.DecisionEvent) { got = append(got, ev) }), LogSample: 0.5})
	s := load(t, e, dir)
	for i := range 10 {
		o := e.Decide(context.Background(), "", request(t, e, `{"id": "r`+string(rune('0'+i))+`", "user": {"id": "u`+string(rune('0'+i))+`"}}`), time.Time{})
		d := e.View(o.Decision)
		if d.Experiment() != "exp1" || "p:"+d.Arm() != d.Target() {
			t.Fatalf("experiment %q arm %q target %q", d.Experiment(), d.Arm(), d.Target())
		}
	}
	if len(got) != 5 {
		t.Fatalf("logged %d of 10 at sample 0.5", len(got))
	}
	ev := got[0]
	var dec map[string]any
	if err := json.Unmarshal(ev.Decision, &dec); err != nil {
		t.Fatal(err)
	}
	if ev.Version != s.Version || ev.PolicyID != "default" || dec["experiment"] != "exp1" || ev.Fuel == 0 {
		t.Errorf("event %+v", ev)
	}
}

type logFunc func(*runtime.DecisionEvent)

func (f logFunc) LogDecision(ev *runtime.DecisionEvent) { f(ev) }

func TestFeedbackFeedsHealth(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", `package default

import "std/health"

fn route(r: Request) -> Decision {
  if health.healthy("p:a") && health.latency("p:a") < 500ms {
    return to("p:a")
  }
  to("p:b")
}
`)
	st := state.NewMem(state.Options{MinSamples: 5})
	e := newEngine(t, runtime.Config{State: st})
	load(t, e, dir)
	decide := func() string {
		o := e.Decide(context.Background(), "", request(t, e, `{"id": "r"}`), time.Time{})
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		return e.View(o.Decision).Target()
	}
	if got := decide(); got != "p:b" {
		t.Fatalf("no observations (latency 1s): %s, want p:b", got)
	}
	for range 10 {
		if err := e.Observe(&runtime.Feedback{RequestID: "x", Target: "p:a", Status: "ok", LatencyMs: 100}); err != nil {
			t.Fatal(err)
		}
	}
	if got := decide(); got != "p:a" {
		t.Fatalf("fast and healthy: %s, want p:a", got)
	}
	for range 20 {
		e.Observe(&runtime.Feedback{RequestID: "x", Target: "p:a", Status: "http_5xx", LatencyMs: 100})
	}
	if got := decide(); got != "p:b" {
		t.Fatalf("breaker open: %s, want p:b", got)
	}
	for _, bad := range []runtime.Feedback{
		{Target: "p:a", Status: "ok"},
		{RequestID: "x", Status: "ok"},
		{RequestID: "x", Target: "p:a", Status: "great"},
		{RequestID: "x", Target: "p:a", Status: "ok", LatencyMs: -1},
		{RequestID: "x", Target: "p:a", Status: "ok", Cost: json.RawMessage(`"lots"`)},
		{RequestID: "x", Target: "p:a", Status: "ok", TokensIn: -3},
	} {
		if err := e.Observe(&bad); err == nil || err.Code != runtime.CodeInvalidRequest {
			t.Errorf("%+v: %v, want invalid_request", bad, err)
		}
	}
	fb := runtime.Feedback{RequestID: "x", TenantID: "t", Target: "p:a", Status: "ok", Cost: json.RawMessage(`"$0.25"`)}
	if err := e.Observe(&fb); err != nil {
		t.Fatal(err)
	}
	if got := st.MonthSpend("t", time.Now()); got != 250_000_000 {
		t.Errorf("month spend %d, want $0.25", got)
	}
}

func TestTenantBudget(t *testing.T) {
	dir := copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [
		{"id": "broke", "policy": "budget_guard", "budget": {"monthly": "$10", "daily": "1"}},
		{"id": "rich", "policy": "budget_guard"}
	]}`})
	st := state.NewMem(state.Options{})
	e := newEngine(t, runtime.Config{State: st})
	load(t, e, dir)
	if err := e.Observe(&runtime.Feedback{RequestID: "x", TenantID: "broke", Target: "p:a", Status: "ok", Cost: json.RawMessage(`10`)}); err != nil {
		t.Fatal(err)
	}
	o := e.Decide(context.Background(), "", request(t, e, `{"id": "r", "tenant": {"id": "broke"}}`), time.Time{})
	if d := e.View(o.Decision); o.Err != nil || d.Action() != "deny" || d.DenyReason() != "budget_exhausted" {
		t.Fatalf("broke tenant: %v %s %s", o.Err, d.Action(), d.DenyReason())
	}
	o = e.Decide(context.Background(), "", request(t, e, `{"id": "r", "tenant": {"id": "rich"}}`), time.Time{})
	if d := e.View(o.Decision); o.Err != nil || d.Action() != "route" {
		t.Fatalf("unlimited tenant: %v %s", o.Err, d.Action())
	}
}

func TestBundle(t *testing.T) {
	res, err := bundle.Build(examples, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, runtime.Config{})
	s, err := e.BuildBundle(context.Background(), "examples.rplb", res.Data, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.Activate(s)
	if s.Version != res.Bundle.Version() || s.Policy("default") == nil || s.Bundle() == nil {
		t.Fatalf("snapshot %s %v", s.Version, s.PolicyIDs())
	}
	o := e.Decide(context.Background(), "", request(t, e, `{"id": "r", "tenant": {"id": "t"}, "task": {"type": "code"}}`), time.Time{})
	if o.Err != nil || e.View(o.Decision).Target() != "openai:gpt-4o" || o.Version() != res.Bundle.Version() {
		t.Fatalf("bundle decision: %v %s", o.Err, o.Version())
	}
	bad := append([]byte(nil), res.Data...)
	bad[len(bad)/2] ^= 0xff
	if _, err := e.BuildBundle(context.Background(), "bad.rplb", bad, bundle.ReadOptions{}); err == nil {
		t.Fatal("corrupt bundle accepted")
	}
}

// TestObserveNoRecorder: feedback to an engine whose state records none
// is an internal error that says so (ErrNoRecorder), not a silent loss.
func TestObserveNoRecorder(t *testing.T) {
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ferr := e.Observe(&runtime.Feedback{RequestID: "x", Target: "p:a", Status: "ok", LatencyMs: 100})
	if ferr == nil || ferr.Code != runtime.CodeInternal || !errors.Is(ferr.Err, runtime.ErrNoRecorder) {
		t.Fatalf("got %v, want an internal error wrapping ErrNoRecorder", ferr)
	}
}

// TestDecisionLogOutcomes: every outcome of a policy is logged, its
// failure too (null decision, the failure, the fuel it burnt); a request
// refused before a policy ran is not.
func TestDecisionLogOutcomes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", `package default

fn route(r: Request) -> Decision {
  if r.task.type == "image" {
    return deny("unsupported_task")
  }
  if r.task.type == "boom" {
    let xs = [1, 2]
    return to("p:" + string(xs[r.estimate.input_tokens]))
  }
  to("p:m")
}
`)
	var got []*runtime.DecisionEvent
	e := newEngine(t, runtime.Config{DecisionLog: logFunc(func(ev *runtime.DecisionEvent) { got = append(got, ev) })})
	load(t, e, dir)
	for _, q := range []struct{ body, policy string }{
		{`{"id": "routed", "task": {"type": "chat"}}`, ""},
		{`{"id": "denied", "task": {"type": "image"}}`, ""},
		{`{"id": "failed", "task": {"type": "boom"}, "estimate": {"input_tokens": 7}}`, ""},
		{`{"id": "no-policy", "task": {"type": "chat"}}`, "nope"},
	} {
		e.Decide(context.Background(), q.policy, request(t, e, q.body), time.Time{})
	}
	var summary []string
	for _, ev := range got {
		summary = append(summary, fmt.Sprintf("%s %s %s fuel>0=%v failure=%v", ev.RequestID, ev.Result, ev.Decision, ev.Fuel > 0, ev.Failure != ""))
		var v any
		if err := json.Unmarshal(ev.Decision, &v); err != nil {
			t.Errorf("%s: decision %s is not JSON: %v", ev.RequestID, ev.Decision, err)
		}
	}
	want := []string{"routed route", "denied deny", "failed decision_failed null fuel>0=true failure=true"}
	if len(summary) != len(want) {
		t.Fatalf("logged %q, want %d events", summary, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(summary[i], w) {
			t.Errorf("event %d: %s, want %s…", i, summary[i], w)
		}
	}
	if !strings.Contains(got[2].Failure, "index") {
		t.Errorf("failure %q does not say why", got[2].Failure)
	}
}

// TestHiddenFilesSkipped: an editor's lock file in the policy directory
// (emacs's .#x.rpl, a dangling symlink while a buffer is modified) is
// not read: the directory loads.
func TestHiddenFilesSkipped(t *testing.T) {
	dir := copyDir(t, examples, nil)
	if err := os.Symlink("user@host.1234:1700000000", filepath.Join(dir, ".#default.rpl")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, ".draft.rpl", "package draft\n\nnot a policy\n")
	e := newEngine(t, runtime.Config{})
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatalf("a directory with hidden files: %v", err)
	}
}

// TestLoadSymlinkedDir: a policy directory given as a symlink to it (a
// blue/green deployment's current link) loads its target's policies.
func TestLoadSymlinkedDir(t *testing.T) {
	link := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(copyDir(t, examples, nil), link); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, runtime.Config{})
	s, err := e.LoadDir(context.Background(), link)
	if err != nil {
		t.Fatalf("a symlinked directory: %v", err)
	}
	if s.Policy("default") == nil {
		t.Fatalf("policies %v, want the examples", s.PolicyIDs())
	}
}

// TestTestFailureNamed: a failed test refusing a directory or a bundle
// is named as rplc test names it: the expect's file and position,
// relative to the policy directory, never the private directory the
// sources were compiled in.
func TestTestFailureNamed(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"p:a\")\n")
	writeFile(t, dir, "default_test.rpl", "package default\n\ntest \"v\" {\n  expect route({}).target == \"p:b\"\n}\n")
	const want = `default_test.rpl:4:3: test "v" failed: route({}).target: expected "p:b", got "p:a"`
	e := newEngine(t, runtime.Config{})
	_, err := e.BuildDir(context.Background(), dir)
	if err == nil || err.Error() != dir+": "+want {
		t.Errorf("directory: %v\nwant %s: %s", err, dir, want)
	}
	res, err := bundle.Build(dir, bundle.BuildOptions{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.BuildBundle(context.Background(), "v.rplb", res.Data, bundle.ReadOptions{}); err == nil || err.Error() != "v.rplb: "+want {
		t.Errorf("bundle: %v\nwant v.rplb: %s", err, want)
	}
}

// TestConfigChecks: New refuses a safe default that is not a target and
// negative limits, rather than answering junk or using the VM's
// defaults silently.
func TestConfigChecks(t *testing.T) {
	for name, c := range map[string]struct {
		cfg  runtime.Config
		want string
	}{
		"safe default":          {runtime.Config{FailureMode: runtime.FailSafeDefault, SafeDefault: "not a target!!"}, `SafeDefault "not a target!!" is not a target: it holds spaces`},
		"safe default no model": {runtime.Config{FailureMode: runtime.FailSafeDefault, SafeDefault: "openai:"}, `SafeDefault "openai:" is not a target: want "provider:model", or a provider alone`},
		"fuel":                  {runtime.Config{Limits: rpl.Limits{Fuel: -1}}, "Limits.Fuel -1 is negative"},
		"memory":                {runtime.Config{Limits: rpl.Limits{Memory: -5}}, "Limits.Memory -5 is negative"},
		"depth":                 {runtime.Config{Limits: rpl.Limits{MaxDepth: -2}}, "Limits.MaxDepth -2 is negative"},
	} {
		if _, err := runtime.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	if _, err := runtime.New(runtime.Config{FailureMode: runtime.FailSafeDefault, SafeDefault: "openai:gpt-4o-mini"}); err != nil {
		t.Errorf("a valid safe default: %v", err)
	}
}

// TestBuildDirNotADirectory: a policy directory that is missing or a file
// is named once in the error, as every load error names its source.
func TestBuildDirNotADirectory(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	file := filepath.Join(t.TempDir(), "policy.rpl")
	os.WriteFile(file, []byte("package p\n"), 0o644)
	missing := filepath.Join(t.TempDir(), "gone")
	for dir, want := range map[string]string{file: file + ": not a directory", missing: missing + ": no such file or directory"} {
		if _, err := e.BuildDir(context.Background(), dir); err == nil || err.Error() != want {
			t.Errorf("BuildDir(%s): %v, want %q", dir, err, want)
		}
	}
}

// TestBuildDirDuplicateID: two policies of one directory with the same id
// refuse it with the words of rplc check and build, at their place (RPL216,
// lang.Trees; the router said it without a position): the later path names
// the earlier.
func TestBuildDirDuplicateID(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "p.rpl", "package p\n\nfn route(r: Request) -> Decision = to(\"p:a\")\n")
	writeFile(t, dir, "sub/p.rpl", "package p\n\nfn route(r: Request) -> Decision = to(\"p:b\")\n")
	const want = "sub/p.rpl:1:9: error[RPL216]: policy id p is also the package of p.rpl (policy ids must be unique)"
	e := newEngine(t, runtime.Config{})
	if _, err := e.BuildDir(context.Background(), dir); err == nil || err.Error() != dir+": "+want {
		t.Errorf("BuildDir: %v\nwant %s: %s", err, dir, want)
	}
}

// TestStatusFailures: Status counts as failures the policy runs that
// failed, not the requests refused before a policy ran (no version
// active, an unknown policy), which it counted so: a router waiting for
// its first version reported each request as a failure. Nor does it
// count as decisions those answered not_ready.
func TestStatusFailures(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	ctx := context.Background()
	e.HandleV2(ctx, []byte(`{"request": {"id": "r"}}`), time.Now(), nil, nil) // not_ready
	// Nothing decided, no version being active: not a decision either
	// (/v2/policies' decisions counted it).
	if st := e.Status(); st.Decisions != 0 || st.Failures != 0 {
		t.Fatalf("after not_ready: %d decisions, %d failures; want none", st.Decisions, st.Failures)
	}
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"p:m\").priority(100 / r.estimate.input_tokens)\n")
	load(t, e, dir)
	e.HandleV2(ctx, []byte(`{"policy_id": "nope", "request": {"id": "r"}}`), time.Now(), nil, nil) // policy_not_found
	if st := e.Status(); st.Decisions != 1 || st.Failures != 0 {
		t.Fatalf("after a refusal: %d decisions, %d failures; want 1 and 0", st.Decisions, st.Failures)
	}
	if _, code, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "r", "estimate": {"input_tokens": 0}}}`), time.Now(), nil, nil); code != runtime.CodeDecisionFailed {
		t.Fatalf("division by zero: %s", code)
	}
	if st := e.Status(); st.Decisions != 2 || st.Failures != 1 {
		t.Errorf("after a policy's failure: %d decisions, %d failures; want 2 and 1", st.Decisions, st.Failures)
	}
}

// TestV2AnswerLoggedDecision: a v2 answer whose decision was logged
// copies the JSON encoded for the log; it must be the decision answered
// without a log, byte for byte, and the logged one, whatever decided
// into the same Outcome before it (logged or not, another policy, a
// failure).
func TestV2AnswerLoggedDecision(t *testing.T) {
	var logged [][]byte
	logging := newEngine(t, runtime.Config{State: state.NewMem(state.Options{}), LogSample: 0.5, DecisionLog: logFunc(func(ev *runtime.DecisionEvent) {
		logged = append(logged, bytes.Clone(ev.Decision))
		ev.Release()
	})})
	plain := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, logging, examples)
	load(t, plain, examples)
	ctx, at := context.Background(), time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var o1, o2 runtime.Outcome
	for i := range 64 {
		body := fmt.Appendf(nil, `{"request": {"id": "r-%d", "tenant": {"id": %q}, "task": {"type": %q}}}`, i,
			[]string{"acme", "acme-research", "t-9", "premium-co"}[i%4], []string{"chat", "summarize", "code"}[i%3])
		if i%7 == 3 {
			body = fmt.Appendf(nil, `{"request": {"id": "r-%d", "tenant": {"id": "t"}, "task": {"type": "chat"}}, "policy_id": "nosuch"}`, i)
		}
		n := len(logged)
		got, code1, _ := logging.HandleV2(ctx, body, at, nil, &o1)
		want, code2, _ := plain.HandleV2(ctx, body, at, nil, &o2)
		if code1 != code2 || !bytes.Equal(got, want) {
			t.Fatalf("%s:\nlogged %s %s\nplain  %s %s", body, code1, got, code2, want)
		}
		if len(logged) > n {
			var a struct{ Decision json.RawMessage }
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Decision, logged[n]) {
				t.Errorf("%s: answered %s, logged %s", body, a.Decision, logged[n])
			}
		}
	}
	if len(logged) < 10 || len(logged) > 54 {
		t.Errorf("%d of 64 logged at a sample of 0.5", len(logged))
	}
}

// literalPolicy returns a Decision record literal of the request's
// metadata's action and target, as a policy may build one without to or
// deny.
const literalPolicy = `package default

fn route(r: Request) -> Decision {
  let d: Decision = {action: r.metadata["action"] ?? "route", target: r.metadata["target"] ?? "", priority: 50}
  if (r.metadata["split"] ?? "") == "1" {
    let s: Decision = {action: "route", split: {"a:x": 1}, priority: 50}
    return s
  }
  d
}
`

// TestInvalidDecisionFails: a decision that is neither a route nor a
// deny ("Route", ""), or a route to no target (without a split), is the
// policy's failure: decision_failed, or the safe default in that mode. It
// was answered as a route (CP1: ok, provider_id "").
func TestInvalidDecisionFails(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", literalPolicy)
	closed := newEngine(t, runtime.Config{})
	load(t, closed, dir)
	safe := newEngine(t, runtime.Config{FailureMode: runtime.FailSafeDefault, SafeDefault: "openai:gpt-4o-mini"})
	load(t, safe, dir)
	ctx := context.Background()
	for md, why := range map[string]string{
		`{"action": "Route", "target": "a:x"}`: `the decision's action is "Route", not route or deny`,
		`{"action": "", "target": "a:x"}`:      `the decision's action is "", not route or deny`,
		`{"target": ""}`:                       `the decision routes to no target`,
	} {
		body := `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "metadata": ` + md + `}`
		out, code, o := closed.HandleCP1(ctx, []byte(body), runtime.CP1Meta{}, nil, nil)
		if code != runtime.CodeDecisionFailed || !strings.Contains(string(out), `"message":"policy default failed: `+strings.ReplaceAll(why, `"`, `\"`)) ||
			!strings.Contains(string(out), `"vm_code":"invalid_decision"`) || o.Failure == nil || o.Result() != "decision_failed" {
			t.Errorf("%s: %s %s", md, code, out)
		}
		out, code, o = safe.HandleCP1(ctx, []byte(body), runtime.CP1Meta{}, nil, nil)
		if code != "" || !strings.Contains(string(out), `"provider_id":"openai:gpt-4o-mini"`) || !strings.Contains(string(out), `"fallback_used":true`) || o.Failure.Error() != why {
			t.Errorf("safe default, %s: %s %s", md, code, out)
		}
	}
	// Routes, denies and a split without a target stand.
	for _, md := range []string{`{"target": "a:x"}`, `{"action": "deny"}`, `{"split": "1"}`} {
		o := closed.Decide(ctx, "", request(t, closed, `{"id": "r", "metadata": `+md+`}`), time.Time{})
		if o.Err != nil || o.Failure != nil {
			t.Errorf("%s: %v", md, o.Err)
		}
	}
}

// TestCP1ProviderFeedback: feedback naming a provider alone, as CP1
// names them (a policy migrated by rplc migrate routes to "openai" and
// reads health.healthy("openai")), is recorded and trips the breaker;
// it was refused (want "provider:model"), so a migrated circuit breaker
// never opened.
func TestCP1ProviderFeedback(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", `package default

import "std/health"

fn route(r: Request) -> Decision = if health.healthy("openai") { to("openai") } else { to("anthropic") }
`)
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, dir)
	decide := func() string {
		o := e.Decide(context.Background(), "", request(t, e, `{"id": "r"}`), time.Time{})
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		return e.View(o.Decision).Target()
	}
	if got := decide(); got != "openai" {
		t.Fatalf("before any feedback: %s", got)
	}
	for i := range 25 {
		body := fmt.Sprintf(`{"request_id": "r-%d", "provider_id": "openai", "status": "http_5xx"}`, i)
		if out, code := e.HandleFeedback([]byte(body), nil); code != "" {
			t.Fatalf("%s: %s", body, out)
		}
	}
	if got := decide(); got != "anthropic" {
		t.Errorf("after 25 failures of openai: %s, want anthropic (its breaker open)", got)
	}
}

// TestActivateOver: ActivateOver activates only when no activation came
// since the mark given, and reports whether it did; an activation and a
// rollback back to the snapshot marked are activations all the same.
func TestActivateOver(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	a, err := e.BuildDir(context.Background(), "../examples/policies")
	if err != nil {
		t.Fatal(err)
	}
	build := func(target string) *runtime.Snapshot {
		files := map[string][]byte{"default.rpl": []byte("package default\n\nfn route(req: Request) -> Decision {\n  to(\"" + target + "\")\n}\n")}
		s, err := e.BuildFiles(context.Background(), "mem", files)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	b, c := build("openai:gpt-4o"), build("anthropic:claude-3-5-sonnet")
	none := e.Activation()
	if !e.ActivateOver(none, a) || e.Current() != a {
		t.Fatal("ActivateOver(none, a) with none active did not activate a")
	}
	if e.ActivateOver(none, b) || e.Current() != a {
		t.Fatal("ActivateOver(none, b) with a active activated b")
	}
	overA := e.Activation()
	if overA.Snapshot() != a {
		t.Fatalf("Activation().Snapshot() %v, want a", overA.Snapshot())
	}
	if !e.ActivateOver(overA, b) || e.Current() != b {
		t.Fatal("ActivateOver(a's mark, b) with a active did not activate b")
	}
	overB := e.Activation()
	e.Activate(a)
	if _, err := e.Rollback(); err != nil || e.Current() != b {
		t.Fatalf("rollback: %v, active %v, want b", err, e.Current())
	}
	if e.ActivateOver(overB, c) || e.Current() != b {
		t.Fatal("ActivateOver(b's mark, c) activated c over an activation and a rollback back to b")
	}
}

// TestLoadSkippedTest: a policy whose test calls testing.skip is
// activated, as rplc test passes it and rplc build builds it; the router
// refused it, the skip read as the test's failure.
func TestLoadSkippedTest(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	dir := copyDir(t, examples, map[string]string{"skips.rpl": "package skips\n\nfn route(r: Request) -> Decision = to(\"a:m\")\n",
		"skips_test.rpl": "package skips\n\nimport \"std/testing\"\n\ntest \"not yet\" {\n  testing.skip(\"later\")\n}\n"})
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if s := e.Current(); s == nil || s.Policy("skips") == nil {
		t.Fatal("policy skips not active")
	}
}
