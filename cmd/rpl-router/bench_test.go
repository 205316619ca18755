package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/loadgen"
)

// TestMain lets the test binary stand in for rpl-router when the bench
// re-executes itself (the tcp client and the memory child), and when a
// test runs serve as a process of its own (TestSecondSignal).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "bench" || os.Args[1] == "serve") {
		c := root()
		c.SetArgs(os.Args[1:])
		if err := c.Execute(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBench runs every setup briefly at a low rate and the memory child
// with a few tenants, and checks the report's shape (not the figures: the
// machine may be busy).
func TestBench(t *testing.T) {
	c := root()
	var out, errb bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&errb)
	memprof := filepath.Join(t.TempDir(), "mem.prof")
	c.SetArgs([]string{"bench", "--policies", "../../examples/policies", "--rates", "500", "--duration", "300ms", "--warmup", "100ms",
		"--window", "16", "--rounds", "2", "--tenants", "50", "--probe", "50ms", "--format", "json", "--memprofile", memprof})
	if err := c.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	// The allocation profile is written, in pprof's gzipped format.
	if prof, err := os.ReadFile(memprof); err != nil || len(prof) < 100 || prof[0] != 0x1f || prof[1] != 0x8b {
		t.Errorf("--memprofile wrote %d bytes (%v), want a gzipped profile", len(prof), err)
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	want := []string{"inproc/cp1", "inproc/v2", "inproc/control", "embedded/echo", "embedded/cp1", "embedded/v2", "tcp/echo", "tcp/cp1", "tcp/v2"}
	// The ext setups run where a nats-server is on PATH, as in CI, which
	// installs one; elsewhere the report says why they were skipped.
	if _, err := exec.LookPath("nats-server"); err == nil || os.Getenv("CI") == "true" {
		want = append(want, "ext/echo", "ext/cp1", "ext/v2")
	} else if len(rep.Skipped) != 1 || !strings.HasPrefix(rep.Skipped[0], "ext: no nats-server executable") {
		t.Errorf("skipped %q, want the ext setups for want of a nats-server", rep.Skipped)
	}
	if len(rep.Runs) != 2*len(want) {
		t.Fatalf("%d runs, want %d", len(rep.Runs), 2*len(want))
	}
	for i, r := range rep.Runs {
		if r.Setup != want[i%len(want)] {
			t.Errorf("run %d: %s, want %s", i, r.Setup, want[i%len(want)])
		}
		if r.OK == 0 || r.Errors+r.Lost > 0 || r.LatencyUS.P50 <= 0 || r.LatencyUS.P99 < r.LatencyUS.P50 {
			t.Errorf("%s %s: ok %d errors %d lost %d p50 %v p99 %v (%s)", r.Setup, r.Mode, r.OK, r.Errors, r.Lost, r.LatencyUS.P50, r.LatencyUS.P99, r.FirstError)
		}
		wantPace := map[bool]string{true: "spin", false: "sleep"}[strings.HasPrefix(r.Setup, "inproc/")] // --pace auto
		if r.Mode == "rate" && r.Pace != wantPace || r.Mode == "max" && r.Pace != "" {
			t.Errorf("%s %s: pace %q", r.Setup, r.Mode, r.Pace)
		}
		if r.StealPct < 0 || r.StealPct > 100 {
			t.Errorf("%s: steal %v%%", r.Setup, r.StealPct)
		}
		// The process's CPU time per request, but where the generator
		// spins in it (inproc at a rate); a request costs some, and less
		// than a second (the machine may be busy).
		if spin := r.Pace == "spin"; spin && r.CPUPerReqUS != 0 || !spin && (r.CPUPerReqUS <= 0 || r.CPUPerReqUS > 1e6) {
			t.Errorf("%s %s: CPU per request %v µs", r.Setup, r.Mode, r.CPUPerReqUS)
		}
		// The control allocates nothing: no collection of its own, and
		// not the generator's, which precedes the counters (it was
		// counted, one a round).
		if r.Setup == "inproc/control" && r.Mode == "rate" && r.GCs != 0 {
			t.Errorf("%s: %d GCs", r.Setup, r.GCs)
		}
		if r.Total <= r.Sent {
			t.Errorf("%s %s: %d requests sent in all, %d measured", r.Setup, r.Mode, r.Total, r.Sent)
		}
		if r.Mode == "rate" && (r.Sent < 100 || r.Sent > 200) {
			t.Errorf("%s: %d requests sent at 500/s for 300ms", r.Setup, r.Sent)
		}
		// Each request's latency is its send's lateness plus its service
		// time: the lateness (measured, from the client process too) is
		// never the larger.
		if r.Mode == "rate" && (r.LateUS.Max <= 0 || r.LateUS.P99 > r.LatencyUS.P99 || r.LateUS.Max > r.LatencyUS.Max) {
			t.Errorf("%s: late p99 %v max %v, latency p99 %v max %v", r.Setup, r.LateUS.P99, r.LateUS.Max, r.LatencyUS.P99, r.LatencyUS.Max)
		}
	}
	if m := rep.Memory; m == nil || m.Tenants != 50 || m.Policies != 51 || m.RSSMB <= 0 {
		t.Errorf("memory: %+v", rep.Memory)
	}
	if p := rep.Probe; p == nil || p.Duration < 50*time.Millisecond || p.Paused > p.Duration {
		t.Errorf("probe: %+v", rep.Probe)
	}
	// The control was calibrated to the CP1 exchange.
	if c := rep.Control; c == nil || c.Rounds < 1 || c.ExchangeUS <= 0 {
		t.Errorf("control: %+v", rep.Control)
	}
	if len(rep.Targets) == 0 {
		t.Error("no targets checked")
	}
	// The routers measured log decisions as serve's defaults do.
	serve, _, err := root().Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	if want := serve.Flags().Lookup("log-sample").DefValue; strconv.FormatFloat(rep.DecisionLog, 'g', -1, 64) != want {
		t.Errorf("decision log sample %v, want serve's default %s", rep.DecisionLog, want)
	}
}

// TestSpinsHere: the process's CPU time per request is left out where
// the generator spins in it (inproc, embedded), and kept where it spins
// in the client process (tcp, ext; it was left out there too, found by a
// review).
func TestSpinsHere(t *testing.T) {
	for _, c := range []struct {
		fam  string
		rate float64
		pace loadgen.Pace
		want bool
	}{
		{"inproc", 1000, loadgen.PaceSpin, true}, {"embedded", 1000, loadgen.PaceSpin, true},
		{"tcp", 1000, loadgen.PaceSpin, false}, {"ext", 1000, loadgen.PaceSpin, false},
		{"inproc", 1000, loadgen.PaceSleep, false}, {"embedded", 1000, loadgen.PaceSleep, false}, {"tcp", 1000, loadgen.PaceSleep, false},
		{"inproc", 0, loadgen.PaceSpin, false}, // max mode does not pace
	} {
		if got := spinsHere(c.fam, c.rate, c.pace); got != c.want {
			t.Errorf("spinsHere(%s, %v, %v) = %v", c.fam, c.rate, c.pace, got)
		}
	}
}

// TestTargetsRatio: a ratio target shows the router's p99 over the echo's,
// and its miss is the measured p99 over the limit (1.25× the echo's), not
// that ratio: 150 µs against an echo's 100 µs is 1.50× the echo's, 1.20×
// the limit.
func TestTargetsRatio(t *testing.T) {
	run := func(setup string, p99 float64) loadgen.Summary {
		s := loadgen.Summary{ServiceUS: loadgen.Quantiles{P50: p99 / 4, P99: p99}, LatencyUS: loadgen.Quantiles{P50: p99 / 4, P99: p99 + 10}}
		s.Setup, s.Offered = setup, 10000
		return s
	}
	ts := targets([]loadgen.Summary{run("embedded/echo", 100), run("embedded/cp1", 150), run("embedded/v2", 110)})
	got := map[string]target{}
	for _, tg := range ts {
		got[tg.Name] = tg
	}
	cp1, v2 := got["embedded/cp1 p99 @10000/s vs echo"], got["embedded/v2 p99 @10000/s vs echo"]
	if cp1.Met || !strings.Contains(cp1.Measured, "1.50× echo's") || cp1.Miss < 1.19 || cp1.Miss > 1.21 {
		t.Errorf("cp1: %+v; want missed, 1.50× echo's, 1.20× the limit", cp1)
	}
	if !v2.Met || !strings.Contains(v2.Measured, "1.10× echo's") || v2.Miss != 0 {
		t.Errorf("v2: %+v; want met, 1.10× echo's", v2)
	}
	var out bytes.Buffer
	printTable(&out, benchReport{Targets: ts})
	if !strings.Contains(out.String(), "MISSED (1.20× the limit)") {
		t.Errorf("table:\n%s\nwant the miss named as the limit's multiple", out.String())
	}
}

// TestTableTargets: the table's targets heading comes with the targets
// checked, and not without one (--setups inproc --rates 1000 ended with
// an empty "targets:").
func TestTableTargets(t *testing.T) {
	for _, ts := range [][]target{nil, {{Name: "inproc/cp1 p99", Want: "< 100µs", Measured: "50µs", Met: true}}} {
		var out bytes.Buffer
		printTable(&out, benchReport{Targets: ts})
		if heading := strings.Contains(out.String(), "\ntargets:\n"); heading != (len(ts) > 0) {
			t.Errorf("%d targets: heading %v:\n%s", len(ts), heading, out.String())
		}
	}
}

// TestCountersSince: the figures per request divide what the process
// spent by every request the run sent (Total: the warmup's and those
// answered with an error too), not by an estimate from the successful
// ones at the measured rate (there, 900/s over 1.2 s: 1,080 requests
// for the 1,200 sent).
func TestCountersSince(t *testing.T) {
	b := counters{steal: 10, total: 1000, gcs: 3, mallocs: 5000, allocB: 1 << 20, cpu: time.Second, cpuOK: true}
	c := counters{steal: 20, total: 2000, gcs: 4, mallocs: 5000 + 12_000, allocB: 1<<20 + 1_200_000, cpu: time.Second + 60*time.Millisecond, cpuOK: true}
	r := loadgen.Result{Sent: 1000, Total: 1200, OK: 900, Errors: 100, Duration: time.Second, Achieved: 900}
	c.since(b, &r, false)
	if r.StealPct != 1 || r.GCs != 1 || r.AllocsPerReq != 10 || r.BytesPerReq != 1000 || r.CPUPerReqUS != 50 {
		t.Errorf("steal %v%%, %d GCs, %v allocs, %v B, %v µs CPU per request; want 1%%, 1, 10, 1000, 50", r.StealPct, r.GCs, r.AllocsPerReq, r.BytesPerReq, r.CPUPerReqUS)
	}
}

// TestTargetsIncomplete: a latency quantile is of the requests answered,
// so a run that lost requests, or had them answered with an error, meets
// no latency target (the router's, or the echo's it is compared with):
// its p99 was of the rest. And a limit written "< 300 µs" is not met at
// 300 µs.
func TestTargetsIncomplete(t *testing.T) {
	run := func(setup string, p50, p99 float64, lost uint64) loadgen.Summary {
		s := loadgen.Summary{ServiceUS: loadgen.Quantiles{P50: p50, P99: p99}, LatencyUS: loadgen.Quantiles{P50: p50, P99: p99}}
		s.Setup, s.Offered, s.Sent, s.Lost = setup, 10000, 1000, lost
		s.OK = s.Sent - lost
		return s
	}
	got := map[string]target{}
	for _, tg := range targets([]loadgen.Summary{run("inproc/cp1", 1, 5, 3), run("inproc/v2", 1, 5, 0),
		run("embedded/echo", 50, 100, 0), run("embedded/cp1", 50, 100, 20), run("embedded/v2", 50, 300, 0),
		run("tcp/echo", 50, 100, 7), run("tcp/cp1", 300, 110, 0), run("tcp/v2", 100, 110, 0)}) {
		got[tg.Name] = tg
	}
	for name, met := range map[string]bool{
		"inproc/cp1 p99 @10000/s": false, "inproc/v2 p99 @10000/s": true,
		"embedded/cp1 p99 @10000/s vs echo": false, "embedded/cp1 p99 @10000/s": false, // lost 20
		"embedded/v2 p99 @10000/s": false, // 300 µs is not < 300 µs
		"tcp/cp1 p50 @10000/s":     false, "tcp/v2 p50 @10000/s": true,
		"tcp/v2 p99 @10000/s vs echo": false, // the echo lost 7: its p99 is of the rest
	} {
		tg, ok := got[name]
		if !ok || tg.Met != met {
			t.Errorf("%s: %+v, want met %v", name, tg, met)
		}
	}
	if m := got["embedded/cp1 p99 @10000/s"].Measured; !strings.Contains(m, "embedded/cp1: 20 of 1000 requests lost") {
		t.Errorf("embedded/cp1: %q does not say what was lost", m)
	}
}

// TestStatusMB: /proc's "kB" are KiB, and the target's MB are 10^6
// bytes: 195,313 kB of RSS is 200.0 MB, over the 200 MB limit (it was
// read as 190.7, KiB / 1024, and met it).
func TestStatusMB(t *testing.T) {
	status := "Name:\trpl-router\nVmPeak:\t 1200000 kB\nVmHWM:\t  153600 kB\nVmRSS:\t  195313 kB\nRssAnon:\t  100 kB\n"
	if got := statusMB(status, "VmRSS"); got < 200 || got > 200.001 {
		t.Errorf("VmRSS %v MB, want 200.0005", got)
	}
	if got := statusMB(status, "VmHWM"); got != 157.2864 {
		t.Errorf("VmHWM %v MB, want 157.2864", got)
	}
	if got := statusMB(status, "VmSwap"); got != -1 {
		t.Errorf("VmSwap %v, want -1 (absent)", got)
	}
}

// TestBenchPoliciesMissing: a --policies that is not a directory (the
// default, run outside the repository's root) is refused at once,
// saying what to do, before the probe spends its second.
func TestBenchPoliciesMissing(t *testing.T) {
	c := root()
	var out, errb bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&errb)
	c.SetArgs([]string{"bench", "--policies", filepath.Join(t.TempDir(), "none"), "--tenants", "0"})
	err := c.Execute()
	if err == nil || !strings.Contains(err.Error(), "not a directory") || !strings.Contains(err.Error(), "--policies DIR") {
		t.Fatalf("error %v, want --policies refused as not a directory", err)
	}
	if strings.Contains(errb.String(), "probing") {
		t.Errorf("the probe ran before --policies was checked:\n%s", errb.String())
	}
}

// TestBenchProcsAutoOff: where --procs auto changes nothing (a
// GOMAXPROCS in the environment), the report gives the processors, not
// auto (its table said "auto (1, or N from 20000 requests/s; set 0
// times)" of a run on N throughout; found by a review).
func TestBenchProcsAutoOff(t *testing.T) {
	t.Setenv("GOMAXPROCS", strconv.Itoa(runtime.GOMAXPROCS(0)))
	c := root()
	var out, errb bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&errb)
	c.SetArgs([]string{"bench", "--policies", "../../examples/policies", "--setups", "inproc/control", "--rates", "500", "--max=false",
		"--duration", "50ms", "--warmup", "10ms", "--tenants", "0", "--probe", "0", "--format", "json"})
	if err := c.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if want := strconv.Itoa(runtime.GOMAXPROCS(0)); rep.Procs != want || rep.ProcsChanges != 0 {
		t.Errorf("procs %q, changes %d; want %s, 0", rep.Procs, rep.ProcsChanges, want)
	}
}

// TestServedCountsControl: --procs auto counts inproc/control's calls
// as it counts the routers' decisions and the echoes' replies, so that
// the control runs on the processors cp1 runs on at the same rate (it
// ran on one at 30,000/s, where cp1 ran on two).
func TestServedCountsControl(t *testing.T) {
	call := controlCall(1)(0)
	before := served(nil)
	for range 3 {
		if err := call(0); err != nil {
			t.Fatal(err)
		}
	}
	if got := served(nil) - before; got != 3 {
		t.Errorf("served rose by %d over 3 control calls, want 3", got)
	}
}
