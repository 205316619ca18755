package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/rpl-lang/rpl/internal/heapfloor"
	"github.com/rpl-lang/rpl/internal/procs"
	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/loadgen"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
	"github.com/rpl-lang/rpl/runtime/state"
)

// echoSubject is the bare echo responder of the bench: the transport's
// floor, served on the router's own connection by as many queue
// subscriptions as the router's decide subjects.
const echoSubject = "rpl.bench.echo"

type benchOpts struct {
	policies  string
	rates     string
	max       bool
	duration  time.Duration
	warmup    time.Duration
	setups    string
	format    string
	jsonOut   string
	cpuprof   string
	memprof   string
	trace     string
	tenants   int
	logSample float64
	logCompr  string
	logPlain  bool // --log-compression none
	window    int
	rounds    int
	pace      string
	probe     time.Duration
	probeN    int

	// client mode (the separate process of the tcp setups)
	client  bool
	natsURL string
	kind    string
	rate    float64

	memoryChild int
	heapFloorMB int
	natsServer  string
	procs       string
}

func benchCmd() *cobra.Command {
	var o benchOpts
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure decisions/s and p50/p99/p999 latency under an open-loop load",
		Long: `Measures the router under a steady offered rate (open loop: requests go
out on a schedule whatever the server does; latency is measured from each
request's actual send, and from its scheduled send, which also charges a
stall to every request it delays), then at maximum throughput, for:

  inproc/cp1, inproc/v2      Engine.HandleCP1 / HandleV2 in this process (JSON in, JSON out)
  inproc/control             arithmetic on registers as long as a CP1 exchange back to
                             back, paced the same: what the machine alone does to a call
                             of that length that has nothing in memory to lose
  embedded/{echo,cp1,v2}     NATS request-reply through the embedded server's in-process
                             connection (the router as rpl-router serve runs it)
  tcp/{echo,cp1,v2}          the same router and server, from a separate client process
                             over loopback TCP (127.0.0.1)
  ext/{echo,cp1,v2}          a router joined to a separate nats-server process
                             (--nats-url), the client another process; ext/echo, a bare
                             echo responder behind a separate nats-server, is the usual
                             reference for NATS request-reply latency (needs nats-server
                             on PATH, or --nats-server; skipped otherwise)

echo is a bare NATS responder answering on the router's connection with
as many subscriptions as the router, and their limits (past 1,024
requests queued on one, it answers overloaded): the transport's floor. First a
thread (--probe-threads) spins for --probe and reports the machine's own
pauses, a floor under the tails of requests in flight across them. Then, unless
--tenants 0, a separate process loads that many tenant policies and
reports its RSS. Everything runs on loopback and stops by itself.

The routers log every decision, as rpl-router serve does (--log-sample 1);
--decision-log-sample 0 measures them without their decision log. The
inproc setups call the engine alone, which has no log.` + fmt.Sprintf(`

The process runs on the processors --procs gives, as serve does: auto,
one while its routers and echoes together answer fewer than %d
requests/s, all of them from %d/s; --procs 2 measures two throughout.`, procs.DefaultDown, procs.DefaultUp),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !o.client {
				defer heapfloor.Start(uint64(o.heapFloorMB) << 20).Stop()
			}
			switch {
			case o.memoryChild > 0:
				return memoryChild(cmd.OutOrStdout(), o.memoryChild)
			case o.client:
				return benchClient(cmd.OutOrStdout(), o)
			}
			// Stopped by a signal, the bench still stops the processes it
			// started (clients, the ext nats-server) on its way out.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBench(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.policies, "policies", "examples/policies", "directory of policies to decide with")
	f.StringVar(&o.rates, "rates", "10000,30000", "offered rates (requests/s), comma-separated")
	f.BoolVar(&o.max, "max", true, "also measure maximum throughput (a fixed number of requests in flight)")
	f.DurationVar(&o.duration, "duration", 5*time.Second, "measured period of each run")
	f.DurationVar(&o.warmup, "warmup", time.Second, "unrecorded period before each run")
	f.StringVar(&o.setups, "setups", "inproc,embedded,tcp,ext", "setups to run: inproc, embedded, tcp, ext, or full names such as tcp/cp1")
	f.StringVar(&o.natsServer, "nats-server", "nats-server", "the nats-server executable of the ext setups")
	f.StringVar(&o.format, "format", "table", "output: table or json")
	f.StringVar(&o.jsonOut, "json-out", "", "also write the JSON report to this file")
	f.StringVar(&o.cpuprof, "cpuprofile", "", "write a CPU profile of this process (engine, embedded server, in-process clients)")
	f.StringVar(&o.memprof, "memprofile", "", "write this process's allocation profile at the end (go tool pprof -sample_index=alloc_space): what the router, its embedded server and the in-process clients allocate")
	f.StringVar(&o.trace, "trace", "", "write a Go execution trace of this process (go tool trace), for short runs")
	f.IntVar(&o.tenants, "tenants", 10000, "load this many tenant policies in a separate process and report its RSS (0: skip)")
	f.Float64Var(&o.logSample, "decision-log-sample", 1, "publish this fraction of decisions (0 to 1) to the decision log stream, as serve's --log-sample (0: no decision log)")
	logCompressionFlag(f, &o.logCompr)
	f.IntVar(&o.rounds, "rounds", 5, "split each measured period into this many rounds, the setups taking turns (so that a burst of load elsewhere on the machine hits echo and router alike)")
	f.StringVar(&o.pace, "pace", "auto", "how the generator waits for each send: sleep (parked on a kernel timer, its processor left to the rest), spin (wait busily until due: in process on a locked thread, over NATS yielding the processor between checks), or auto (spin in process, sleep over NATS)")
	f.DurationVar(&o.probe, "probe", time.Second, "first spin this long on --probe-threads threads and report the machine's own pauses, a floor under the tails of requests in flight across them (0: skip)")
	f.IntVar(&o.probeN, "probe-threads", 1, "spin on this many threads at once for --probe (the number of CPUs loads the machine fully, as the highest rates do)")
	f.IntVar(&o.window, "window", 256, "requests in flight in max-throughput mode over NATS")
	f.BoolVar(&o.client, "client", false, "run as the load client of a tcp setup (internal)")
	f.StringVar(&o.natsURL, "nats-url", "", "client mode: the router's NATS (loopback only)")
	f.StringVar(&o.kind, "kind", "", "client mode: cp1, v2 or echo")
	f.Float64Var(&o.rate, "rate", 0, "client mode: offered rate (0: max throughput)")
	heapFloorFlag(f, &o.heapFloorMB)
	procsFlag(f, &o.procs)
	f.IntVar(&o.memoryChild, "memory-child", 0, "load this many tenant policies and print the RSS (internal)")
	for _, n := range []string{"client", "nats-url", "kind", "rate", "memory-child"} {
		f.MarkHidden(n)
	}
	return c
}

// bodies returns request bodies of a kind: 64 requests with distinct ids
// and tenants (tenants without a policy of their own: the default policy
// decides, as in the engine benchmarks).
func bodies(kind string) [][]byte {
	var out [][]byte
	for i := range 64 {
		var b string
		switch kind {
		case "cp1", "echo":
			b = fmt.Sprintf(`{"version":"1","request_id":"req-%06d","trace_id":"tr-%d","tenant_id":"tenant-%d","task":{"type":"chat"},"constraints":{"max_latency_ms":800}}`, i, i, i%8)
		case "v2":
			b = fmt.Sprintf(`{"request":{"id":"req-%06d","tenant":{"id":"tenant-%d"},"task":{"type":"chat"},"constraints":{"max_latency":"800ms"}}}`, i, i%8)
		}
		out = append(out, []byte(b))
	}
	return out
}

var okPrefix = []byte(`{"ok":true`)

func okReply(kind string) func([]byte) bool {
	if kind == "echo" {
		return func(b []byte) bool { return len(b) > 0 && !bytes.Equal(b, echoOverloaded) }
	}
	return func(b []byte) bool { return bytes.HasPrefix(b, okPrefix) }
}

func subjectOf(kind string) string {
	switch kind {
	case "cp1":
		return natsx.SubjectCP1
	case "v2":
		return natsx.SubjectDecide
	}
	return echoSubject
}

// clientReport is what a client process prints.
type clientReport struct {
	Result  loadgen.Result   `json:"result"`
	Latency loadgen.Exported `json:"latency"`
	Service loadgen.Exported `json:"service"`
	Late    loadgen.Exported `json:"late"`
}

func benchClient(w io.Writer, o benchOpts) error {
	if !strings.HasPrefix(o.natsURL, "nats://127.0.0.1:") {
		return fmt.Errorf("--nats-url %q: the bench client talks to 127.0.0.1 only", o.natsURL)
	}
	nc, err := nats.Connect(o.natsURL, nats.Name("rpl-router-bench"))
	if err != nil {
		return err
	}
	defer nc.Close()
	pace, ok := loadgen.ParsePace(o.pace)
	if !ok {
		return fmt.Errorf("--pace %q: want sleep or spin", o.pace)
	}
	r, err := loadgen.RunNATS(o.kind, nc, subjectOf(o.kind), bodies(o.kind), okReply(o.kind),
		loadgen.Options{Rate: o.rate, Duration: o.duration, Warmup: o.warmup, Window: o.window, Pace: pace})
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(clientReport{Result: r, Latency: r.Latency.Export(), Service: r.Service.Export(), Late: r.Late.Export()})
}

// runClient runs setup (a tcp or ext one, of kind) in a separate process
// (this executable in client mode) against the NATS at url.
func runClient(ctx context.Context, setup, url, kind string, rate float64, pace loadgen.Pace, o benchOpts) (loadgen.Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadgen.Result{}, err
	}
	args := []string{"bench", "--client", "--nats-url", url, "--kind", kind, "--rate", strconv.FormatFloat(rate, 'f', -1, 64),
		"--duration", o.duration.String(), "--warmup", o.warmup.String(), "--window", strconv.Itoa(o.window), "--pace", pace.String()}
	cctx, cancel := context.WithTimeout(ctx, o.duration+o.warmup+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return loadgen.Result{}, fmt.Errorf("client process: %w", err)
	}
	var rep clientReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return loadgen.Result{}, fmt.Errorf("client process output: %w", err)
	}
	r := rep.Result
	r.Setup = setup
	r.Latency, r.Service, r.Late = loadgen.Import(rep.Latency), loadgen.Import(rep.Service), loadgen.Import(rep.Late)
	return r, nil
}

// benchReport is the JSON output.
type benchReport struct {
	Started    time.Time `json:"started"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	// Procs is --procs as applied (a number where auto changed nothing);
	// ProcsChanges, the times auto set GOMAXPROCS.
	Procs        string            `json:"procs"`
	ProcsChanges int               `json:"procs_changes"`
	NumCPU       int               `json:"num_cpu"`
	LoadBefore   string            `json:"loadavg_before"`
	LoadAfter    string            `json:"loadavg_after"`
	Policies     string            `json:"policies"`
	DecisionLog  float64           `json:"decision_log_sample"`
	LogCompr     string            `json:"decision_log_compression,omitempty"` // absent without a log
	Rounds       int               `json:"rounds"`
	Probe        *loadgen.Pauses   `json:"probe,omitempty"`
	Control      *controlReport    `json:"control,omitempty"`
	Runs         []loadgen.Summary `json:"runs"`
	Targets      []target          `json:"targets"`
	Memory       *memoryReport     `json:"memory,omitempty"`
	Skipped      []string          `json:"skipped,omitempty"` // setups not run, and why
}

// controlServed counts inproc/control's calls, for --procs auto: the
// control runs on the processors that cp1 at its rate would have, as an
// exchange counts its decision (Engine.Decisions).
var controlServed atomic.Int64

// controlCall is inproc/control's call: rounds of loadgen.Spin, counted.
func controlCall(rounds int) func(int) func(int) error {
	return func(int) func(int) error {
		return func(int) error { controlServed.Add(1); loadgen.Spin(rounds); return nil }
	}
}

// served is what --procs auto counts: every request that the process's
// routers (engines), echoes and control have answered.
func served(engines []*rt.Engine) int64 {
	n := echoServed.Load() + controlServed.Load()
	for _, e := range engines {
		n += e.Decisions()
	}
	return n
}

// controlReport is what inproc/control runs: loadgen.Spin(Rounds), as
// long as the median CP1 exchange back to back (ExchangeUS).
type controlReport struct {
	Rounds     int     `json:"rounds"`
	ExchangeUS float64 `json:"exchange_us"`
}

type target struct {
	Name     string  `json:"name"`
	Want     string  `json:"want"`
	Measured string  `json:"measured"`
	Met      bool    `json:"met"`
	Miss     float64 `json:"miss_ratio,omitempty"` // measured / limit when missed (for a ratio target, not the ratio: Measured gives that)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// wantFamily reports whether list asks for a setup of family fam.
func wantFamily(list []string, fam string) bool {
	for _, s := range list {
		if f, _, _ := strings.Cut(s, "/"); f == fam {
			return true
		}
	}
	return false
}

func wantSetup(list []string, name string) bool {
	fam, _, _ := strings.Cut(name, "/")
	for _, s := range list {
		if s == name || s == fam {
			return true
		}
	}
	return false
}

func runBench(ctx context.Context, stdout, stderr io.Writer, o benchOpts) error {
	if _, err := logSample("--decision-log-sample", o.logSample); err != nil {
		return err
	}
	autoProcs, err := setProcs(o.procs)
	if err != nil {
		return err
	}
	if o.logPlain, err = logUncompressed(o.logCompr); err != nil {
		return err
	}
	if o.probeN < 1 || o.probeN > 256 {
		return fmt.Errorf("--probe-threads %d: want 1 to 256", o.probeN)
	}
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("--format %q: want table or json", o.format)
	}
	// Checked before the probe's second: the default is relative to the
	// repository's root.
	if fi, err := os.Stat(o.policies); err != nil || !fi.IsDir() {
		return fmt.Errorf("--policies %s: not a directory (the default, examples/policies, is the repository's: run bench from its root, or give --policies DIR)", o.policies)
	}
	var rates []float64
	for _, s := range strings.Split(o.rates, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		r, err := strconv.ParseFloat(strings.TrimSuffix(s, "/s"), 64)
		if err != nil || r <= 0 {
			return fmt.Errorf("--rates: bad rate %q", s)
		}
		rates = append(rates, r)
	}
	if o.max {
		rates = append(rates, 0)
	}
	setups := strings.Split(o.setups, ",")
	paceOf := func(fam string) loadgen.Pace {
		if o.pace == "auto" {
			if fam == "inproc" {
				return loadgen.PaceSpin
			}
			return loadgen.PaceSleep
		}
		p, _ := loadgen.ParsePace(o.pace)
		return p
	}
	if _, ok := loadgen.ParsePace(o.pace); !ok && o.pace != "auto" {
		return fmt.Errorf("--pace %q: want auto, sleep or spin", o.pace)
	}
	progress := func(format string, args ...any) {
		if o.format == "table" {
			fmt.Fprintf(stderr, format+"\n", args...)
		}
	}
	rep := benchReport{Started: time.Now(), GOMAXPROCS: runtime.GOMAXPROCS(0), Procs: o.procs, NumCPU: runtime.NumCPU(), LoadBefore: loadavg(), Policies: o.policies, DecisionLog: o.logSample, Rounds: max(o.rounds, 1)}
	if o.logSample > 0 {
		rep.LogCompr = o.logCompr
	}
	for _, p := range []struct {
		path  string
		start func(io.Writer) error
		stop  func()
	}{{o.cpuprof, pprof.StartCPUProfile, pprof.StopCPUProfile}, {o.trace, trace.Start, trace.Stop}} {
		if p.path == "" {
			continue
		}
		f, err := os.Create(p.path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := p.start(f); err != nil {
			return err
		}
		defer p.stop()
	}

	if o.memprof != "" {
		f, err := os.Create(o.memprof)
		if err != nil {
			return err
		}
		defer f.Close()
		defer func() {
			// The profile is as of the last collection: without one
			// now, a run that ended between two would be missing.
			runtime.GC()
			if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
				fmt.Fprintf(stderr, "--memprofile: %v\n", err)
			}
		}()
	}

	if o.probe > 0 {
		progress("probing the machine's pauses for %v…", o.probe)
		p := loadgen.Probe(o.probe, o.probeN)
		rep.Probe = &p
	}

	// (a) the engine in this process, and the control as long as its
	// CP1 exchange.
	e, err := rt.New(rt.Config{State: state.NewMem(state.Options{})})
	if err != nil {
		return err
	}
	if _, err := e.LoadDir(ctx, o.policies); err != nil {
		return err
	}
	var control func(int) func(int) error
	if wantSetup(setups, "inproc/control") {
		n, exchange := loadgen.Calibrate(inprocCall(e, "cp1")(0))
		rep.Control = &controlReport{Rounds: n, ExchangeUS: float64(exchange) / 1e3}
		control = controlCall(n)
	}

	// (b), (c), (d): a router as serve runs it, its embedded server
	// listening on a free loopback port, and the echo responder on the
	// router's connection.
	dataDir, err := os.MkdirTemp("", "rpl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	ropt := router.Options{Policies: o.policies, DataDir: dataDir, NATSListen: "127.0.0.1:0", HTTP: "-",
		NoLog: o.logSample <= 0, LogSample: o.logSample, LogUncompressed: o.logPlain, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r, err := router.Start(ctx, ropt)
	if err != nil {
		return err
	}
	defer r.Shutdown(context.Background())
	if !r.Engine.Ready() {
		return errors.New("the router has no active policy version")
	}
	if _, err := serveEcho(r.NATS()); err != nil {
		return err
	}
	inproc, err := natsx.ConnectInProcess(r.NATSServer(), nats.Name("rpl-router-bench"))
	if err != nil {
		return err
	}
	defer inproc.Close()
	tcpURL := r.NATSServer().ClientURL()
	if !strings.HasPrefix(tcpURL, "nats://127.0.0.1:") {
		return fmt.Errorf("embedded server listens on %s, not loopback", tcpURL)
	}

	// (e) ext: another router, joined to a separate nats-server
	// process, with its own echo responder.
	engines := []*rt.Engine{e, r.Engine}
	var extURL string
	if wantFamily(setups, "ext") {
		x, err := startExt(ctx, o, dataDir)
		if err != nil {
			progress("ext setups skipped: %v", err)
			rep.Skipped = append(rep.Skipped, "ext: "+err.Error())
		} else {
			defer x.stop()
			extURL = x.url
			engines = append(engines, x.engine)
		}
	}
	// The routers and echoes of every setup share this process, and its
	// processors: the auto mode counts the requests of all.
	ctl := startProcs(autoProcs, func() int64 { return served(engines) })
	defer ctl.Stop()
	if ctl == nil {
		// auto changes nothing where GOMAXPROCS is in the environment,
		// or the process has one processor: the report says the number.
		rep.Procs = strconv.Itoa(runtime.GOMAXPROCS(0))
	}

	if o.rounds < 1 {
		o.rounds = 1
	}
	round := o
	round.duration = o.duration / time.Duration(o.rounds)
	lo := loadgen.Options{Duration: round.duration, Warmup: o.warmup, Window: o.window}
	names := []string{"inproc/cp1", "inproc/v2", "inproc/control", "embedded/echo", "embedded/cp1", "embedded/v2", "tcp/echo", "tcp/cp1", "tcp/v2"}
	if extURL != "" {
		names = append(names, "ext/echo", "ext/cp1", "ext/v2")
	}
	for _, rate := range rates {
		lo.Rate = rate
		merged := map[string]*loadgen.Result{}
		for k := range o.rounds {
			// Round k of every setup starts at the same point of the
			// collector's cycle, the rounds' points spread over it: a
			// setup collects in proportion to what it allocates, as under
			// a steady load (loadgen.Options.Phase). From a collected heap
			// each time, a short round of the echo never collected.
			lo.Phase = (float64(k) + 0.5) / float64(o.rounds)
			for _, name := range names {
				if !wantSetup(setups, name) {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				fam, kind, _ := strings.Cut(name, "/")
				lo.Pace = paceOf(fam)
				var res loadgen.Result
				// The counters start where the run does: after the
				// generator's collection where it runs in this process.
				before := takeCounters()
				lo.Started = func() { before = takeCounters() }
				changes := ctl.Changes()
				switch fam {
				case "inproc":
					so := lo
					if rate > 0 {
						// One caller sends the whole schedule: a spinning
						// pacer keeps its processor busy, and the other is
						// left to the rest of the process (the collector,
						// the decision log's publisher, the embedded
						// server's timers). Under --procs auto below its
						// Down rate there is no other: the rest runs when
						// the scheduler preempts the caller. Pinning two
						// processors for these rounds changed nothing
						// measurable (cp1 p99 2.7-13.9 µs against 2.6-9.7
						// µs, 8 alternated pairs, 2026-11-28).
						so.Workers = 1
					} else {
						// As many callers as processors at the start, not
						// as --procs auto has set at the run's start.
						so.Workers = ctl.Max()
					}
					call := control
					if kind != "control" {
						call = inprocCall(e, kind)
					}
					res = loadgen.RunSync(name, so, call)
				case "embedded":
					res, err = loadgen.RunNATS(name, inproc, subjectOf(kind), bodies(kind), okReply(kind), lo)
				case "tcp":
					res, err = runClient(ctx, name, tcpURL, kind, rate, lo.Pace, round)
				case "ext":
					res, err = runClient(ctx, name, extURL, kind, rate, lo.Pace, round)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				takeCounters().since(before, &res, spinsHere(fam, rate, lo.Pace))
				if merged[name] == nil {
					merged[name] = &loadgen.Result{}
				}
				merged[name].Merge(res)
				s := loadgen.Summarize(res)
				// procs set: the times --procs auto changed the processors
				// during the run, its warmup included.
				progress("%-14s %-8s round %d/%d  achieved %8.0f/s  p50 %s  p99 %s  p999 %s  (sched p99 %s)  errors %d  steal %.1f%%  GCs %d  procs set %d  (load %s)", name, rateName(rate), k+1, o.rounds, s.Achieved,
					fmtUS(s.ServiceUS.P50), fmtUS(s.ServiceUS.P99), fmtUS(s.ServiceUS.P999), fmtUS(s.LatencyUS.P99), s.Errors+s.Lost, res.StealPct, res.GCs, ctl.Changes()-changes, loadavg())
			}
		}
		for _, name := range names {
			if r := merged[name]; r != nil {
				rep.Runs = append(rep.Runs, loadgen.Summarize(*r))
			}
		}
	}
	rep.Targets = targets(rep.Runs)

	if o.tenants > 0 {
		progress("loading %d tenant policies in a separate process…", o.tenants)
		m, err := runMemoryChild(ctx, o.tenants, o.heapFloorMB)
		if err != nil {
			return fmt.Errorf("memory: %w", err)
		}
		rep.Memory = m
		rep.Targets = append(rep.Targets, target{Name: "memory", Want: fmt.Sprintf("%d tenants with policies < 200 MB RSS", m.Tenants),
			Measured: fmt.Sprintf("%.1f MB RSS (peak %.1f MB)", m.RSSMB, m.PeakMB), Met: m.RSSMB < 200, Miss: missRatio(m.RSSMB, 200)})
	}
	rep.LoadAfter = loadavg()
	rep.ProcsChanges = ctl.Changes()
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if o.jsonOut != "" {
		if err := os.WriteFile(o.jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	if o.format == "json" {
		_, err := stdout.Write(data)
		return err
	}
	printTable(stdout, rep)
	return nil
}

// counters are the machine's and this process's figures read around a
// run: CPU time stolen by the hypervisor, and garbage collections (the
// router's: the tcp client is another process).
type counters struct {
	steal, total    uint64
	gcs             uint32
	mallocs, allocB uint64
	cpu             time.Duration // this process's CPU time
	cpuOK           bool
}

func takeCounters() counters {
	var c counters
	c.steal, c.total, _ = loadgen.CPUTicks()
	c.cpu, c.cpuOK = loadgen.ProcessCPU()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.gcs, c.mallocs, c.allocB = ms.NumGC, ms.Mallocs, ms.TotalAlloc
	return c
}

// since records in r what happened from b to c: the share of CPU time
// stolen, and the collections, allocations and CPU time of this process
// (per request: over the r.Total requests the run sent, the warmup's
// and those answered with an error included; CPU time not when the
// generator spins in this process: spinsHere).
func (c counters) since(b counters, r *loadgen.Result, spinsHere bool) {
	if c.total > b.total {
		r.StealPct = 100 * float64(c.steal-b.steal) / float64(c.total-b.total)
	}
	r.GCs = c.gcs - b.gcs
	if n := float64(r.Total); n > 0 {
		r.AllocsPerReq = float64(c.mallocs-b.mallocs) / n
		r.BytesPerReq = float64(c.allocB-b.allocB) / n
		if c.cpuOK && b.cpuOK && !spinsHere {
			r.CPUPerReqUS = float64(c.cpu-b.cpu) / 1e3 / n
		}
	}
}

// spinsHere reports whether the generator of a setup of family fam
// spins in this process: it paces (a rate; max mode keeps requests in
// flight instead) and runs here but for tcp and ext, whose client is
// another process.
func spinsHere(fam string, rate float64, p loadgen.Pace) bool {
	return rate > 0 && p == loadgen.PaceSpin && fam != "tcp" && fam != "ext"
}

func missRatio(measured, limit float64) float64 {
	if measured <= limit {
		return 0
	}
	return measured / limit
}

func inprocCall(e *rt.Engine, kind string) func(int) func(int) error {
	bs := bodies(kind)
	ctx := context.Background()
	return func(int) func(int) error {
		buf := make([]byte, 0, 4096)
		var o rt.Outcome
		return func(i int) error {
			var out []byte
			var code rt.Code
			if kind == "cp1" {
				out, code, _ = e.HandleCP1(ctx, bs[i%len(bs)], rt.CP1Meta{Arrival: time.Now()}, buf[:0], &o)
			} else {
				out, code, _ = e.HandleV2(ctx, bs[i%len(bs)], time.Now(), buf[:0], &o)
			}
			buf = out[:0]
			if code != "" {
				return errors.New(string(out))
			}
			return nil
		}
	}
}

func fmtDur(d time.Duration) string { return fmtUS(float64(d) / 1e3) }

func rateName(r float64) string {
	if r == 0 {
		return "max"
	}
	return strconv.FormatFloat(r, 'f', -1, 64) + "/s"
}

func fmtUS(us float64) string {
	switch {
	case us >= 10_000:
		return fmt.Sprintf("%.1f ms", us/1000)
	case us >= 1000:
		return fmt.Sprintf("%.2f ms", us/1000)
	case us >= 100:
		return fmt.Sprintf("%.0f µs", us)
	}
	return fmt.Sprintf("%.1f µs", us)
}

func find(runs []loadgen.Summary, setup string, rate float64) *loadgen.Summary {
	for i := range runs {
		if runs[i].Setup == setup && runs[i].Offered == rate {
			return &runs[i]
		}
	}
	return nil
}

// targets checks the targets against the runs made. The issue
// measures latency "from each request's actual send, under a steady
// offered rate": the Service quantiles. The latency from the scheduled
// send, which also charges the generator's own lateness, is shown beside
// it.
//
// A quantile is of the requests answered: one not answered (lost) or
// answered with an error is in none, so a run with such requests, of
// the router or of the echo it is compared with, meets no latency
// target. A limit written "< x" is not met at x.
func targets(runs []loadgen.Summary) []target {
	var ts []target
	of := map[int][]*loadgen.Summary{} // the runs of each latency target
	add := func(name, want string, s *loadgen.Summary, measured, fromSched, limit float64, strict bool, ref ...*loadgen.Summary) {
		t := target{Name: name, Want: want, Measured: fmt.Sprintf("%s (from the schedule: %s)", fmtUS(measured), fmtUS(fromSched)),
			Met: measured < limit || !strict && measured == limit, Miss: missRatio(measured, limit)}
		if strict && measured == limit {
			t.Miss = 1
		}
		of[len(ts)] = append([]*loadgen.Summary{s}, ref...)
		ts = append(ts, t)
	}
	for _, k := range []string{"cp1", "v2"} {
		if s := find(runs, "inproc/"+k, 10000); s != nil {
			add("inproc/"+k+" p99 @10000/s", "≤ 10 µs", s, s.ServiceUS.P99, s.LatencyUS.P99, 10, false)
			if c := find(runs, "inproc/control", 10000); c != nil {
				// What the machine alone does to a call that long: the
				// rest of the miss is what the exchange finds cold.
				ts[len(ts)-1].Measured += fmt.Sprintf("; control %s", fmtUS(c.ServiceUS.P99))
			}
		}
	}
	rates := map[float64]bool{}
	for _, s := range runs {
		rates[s.Offered] = true
	}
	for _, fam := range []string{"embedded", "tcp", "ext"} {
		for rate := range rates {
			echo := find(runs, fam+"/echo", rate)
			if echo == nil || rate == 0 {
				continue
			}
			for _, k := range []string{"cp1", "v2"} {
				if s := find(runs, fam+"/"+k, rate); s != nil {
					limit := 1.25 * echo.ServiceUS.P99
					add(fmt.Sprintf("%s/%s p99 @%s vs echo", fam, k, rateName(rate)),
						fmt.Sprintf("≤ 1.25 × echo p99 (%s) = %s", fmtUS(echo.ServiceUS.P99), fmtUS(limit)), s, s.ServiceUS.P99, s.LatencyUS.P99, limit, false, echo)
					if echo.ServiceUS.P99 > 0 { // the ratio itself, which the miss below is not
						ts[len(ts)-1].Measured += fmt.Sprintf(", %.2f× echo's", s.ServiceUS.P99/echo.ServiceUS.P99)
					}
				}
			}
		}
	}
	for _, k := range []string{"cp1", "v2"} {
		if s := find(runs, "embedded/"+k, 10000); s != nil {
			add("embedded/"+k+" p99 @10000/s", "< 300 µs", s, s.ServiceUS.P99, s.LatencyUS.P99, 300, true)
		}
		if s := find(runs, "tcp/"+k, 10000); s != nil {
			want := "< 300 µs"
			if ref := find(runs, "ext/echo", 10000); ref != nil {
				want += fmt.Sprintf(" (reference, ext/echo: %s)", fmtUS(ref.ServiceUS.P50))
			}
			add("tcp/"+k+" p50 @10000/s", want, s, s.ServiceUS.P50, s.LatencyUS.P50, 300, true)
		}
		if s := find(runs, "tcp/"+k, 30000); s != nil {
			met := s.Achieved >= 0.99*30000 && s.Errors+s.Lost == 0
			ts = append(ts, target{Name: "tcp/" + k + " sustained 30000/s", Want: "≥ 29,700/s achieved, no errors",
				Measured: fmt.Sprintf("%.0f/s, %d errors, p99 %s", s.Achieved, s.Errors+s.Lost, fmtUS(s.ServiceUS.P99)), Met: met, Miss: missRatio(30000, s.Achieved)})
		}
		if s := find(runs, "tcp/"+k, 0); s != nil {
			ts = append(ts, target{Name: "tcp/" + k + " max throughput", Want: "≥ 30,000/s", Measured: fmt.Sprintf("%.0f/s", s.Achieved),
				Met: s.Achieved >= 30000, Miss: missRatio(30000, s.Achieved)})
		}
	}
	for i, runs := range of {
		for _, x := range runs {
			if failed := x.Errors + x.Lost; failed > 0 {
				ts[i].Met = false
				ts[i].Measured += fmt.Sprintf("; %s: %d of %d requests lost or answered with an error, in no quantile", x.Setup, failed, x.Sent)
			}
		}
	}
	return ts
}

func printTable(w io.Writer, rep benchReport) {
	compression := ""
	if rep.LogCompr != "" {
		compression = ", compression " + rep.LogCompr
	}
	nprocs := fmt.Sprint(rep.GOMAXPROCS)
	if rep.Procs == "auto" {
		nprocs = fmt.Sprintf("auto (1, or %d from %d requests/s; set %d times)", rep.GOMAXPROCS, procs.DefaultUp, rep.ProcsChanges)
	}
	fmt.Fprintf(w, "rpl-router bench: GOMAXPROCS %s, %d CPUs, load average %s before, %s after; decision log sample %g%s\n",
		nprocs, rep.NumCPU, rep.LoadBefore, rep.LoadAfter, rep.DecisionLog, compression)
	if p := rep.Probe; p != nil {
		who := "a thread"
		if p.Threads > 1 {
			who = fmt.Sprintf("%d threads", p.Threads)
		}
		fmt.Fprintf(w, "machine: %s spinning for %v paused %d times (> %v), %.2f%% of the time, longest %s, %d of %v or more; 1 instant in 100 waits %s or more for the machine alone\n",
			who, p.Duration.Round(time.Millisecond), p.Count, loadgen.PauseMin, 100*p.Paused.Seconds()/(float64(p.Threads)*p.Duration.Seconds()), fmtDur(p.Longest), p.Stalls, loadgen.StallMin, fmtDur(p.Hit99))
	}
	if c := rep.Control; c != nil {
		fmt.Fprintf(w, "control: %d rounds of arithmetic on a register, as long as the median CP1 exchange back to back (%s), paced as inproc\n", c.Rounds, fmtUS(c.ExchangeUS))
	}
	fmt.Fprintf(w, "latency from each request's actual send (p50…max), and from its scheduled send (sched); late p99: the actual send after the schedule (the generator's own delay); steal: CPU time the hypervisor took during the run; GCs, allocs/req, B/req, CPU/req: the router process's collections, allocations and CPU time, user and system (with the in-process client for inproc and embedded; no CPU/req when that client spins); %d rounds per setup, taking turns\n", rep.Rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "setup\toffered\tpace\tachieved\tp50\tp99\tp999\tmax\tsched p50\tsched p99\tlate p99\terrors\tsteal\tGCs\tallocs/req\tB/req\tCPU/req\t")
	for _, s := range rep.Runs {
		cpu := "-"
		if s.CPUPerReqUS > 0 {
			cpu = fmtUS(s.CPUPerReqUS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f/s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%.1f%%\t%d\t%.1f\t%.0f\t%s\t\n", s.Setup, rateName(s.Offered), s.Pace, s.Achieved,
			fmtUS(s.ServiceUS.P50), fmtUS(s.ServiceUS.P99), fmtUS(s.ServiceUS.P999), fmtUS(s.ServiceUS.Max),
			fmtUS(s.LatencyUS.P50), fmtUS(s.LatencyUS.P99), fmtUS(s.LateUS.P99), s.Errors+s.Lost, s.StealPct, s.GCs, s.AllocsPerReq, s.BytesPerReq, cpu)
	}
	tw.Flush()
	for _, s := range rep.Runs {
		if s.FirstError != "" {
			fmt.Fprintf(w, "%s %s: first error: %.200s\n", s.Setup, rateName(s.Offered), s.FirstError)
		}
	}
	for _, why := range rep.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", why)
	}
	if m := rep.Memory; m != nil {
		fmt.Fprintf(w, "\nmemory: %d tenants, %d policies loaded in %.1fs: RSS %.1f MB (peak %.1f MB), Go heap in use %.1f MB\n",
			m.Tenants, m.Policies, m.LoadSeconds, m.RSSMB, m.PeakMB, m.HeapMB)
	}
	if len(rep.Targets) == 0 {
		return // no target applies to the setups and rates run: no heading
	}
	fmt.Fprintln(w, "\ntargets:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range rep.Targets {
		v := "met"
		if !t.Met {
			v = "MISSED"
			if t.Miss > 0 {
				v += fmt.Sprintf(" (%.2f× the limit)", t.Miss)
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.Name, t.Want, t.Measured, v)
	}
	tw.Flush()
}
