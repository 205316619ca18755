// Command rpl-router is the RPL router: it decides AI requests with RPL
// policies over NATS and HTTP.
//
//	rpl-router serve --policies DIR      embedded NATS (JetStream under --data-dir) + HTTP
//	rpl-router serve --nats-url URL ...  join an existing NATS deployment
//	rpl-router bench ...                 measure decisions/s and latency
//
// serve stops on SIGINT and SIGTERM; SIGHUP builds the policy directory
// (or bundle file) again and activates it, as POST /v2/policies/reload
// does: the way back to it after a rollback, unchanged.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/cliflag"
	"github.com/rpl-lang/rpl/internal/heapfloor"
	"github.com/rpl-lang/rpl/internal/procs"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

func main() {
	if err := root().Execute(); err != nil {
		os.Exit(1)
	}
}

func root() *cobra.Command {
	c := &cobra.Command{
		Use:   "rpl-router",
		Short: "The RPL router: decides AI requests with RPL policies over HTTP and NATS",
		Long: `rpl-router decides, for each request to an AI model, which provider and
model serve it, with policies written in RPL and built by rplc: 'serve'
runs the router, 'bench' measures it.`,
		Example:      "  rpl-router serve --policies examples/policies\n  rpl-router serve --help",
		SilenceUsage: true,
	}
	// A wrong flag points at the command's help, as an unknown command
	// does (SilenceUsage keeps the whole usage out of every error).
	c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())
	})
	// --version: the build, as rplc --version and a bundle's manifest
	// name the toolchain: the router runs what that toolchain builds.
	c.Version = bundle.CompilerVersion()
	c.SetVersionTemplate("{{.Version}}\n")
	c.Flags().Bool("version", false, "print the router's version (the toolchain's, as bundle manifests record it)")
	c.AddCommand(serveCmd(), benchCmd())
	return c
}

// heapFloorFlag declares --heap-floor, shared by serve and bench (which
// measures the router as serve runs it).
func heapFloorFlag(f *pflag.FlagSet, mb *int) {
	f.IntVar(mb, "heap-floor", 64, "let the heap grow to this many MiB before the collector runs while the live heap is small (0: Go's default, GOGC=100; a GOGC in the environment wins)")
}

// procsFlag declares --procs, shared by serve and bench.
func procsFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "procs", "auto", fmt.Sprintf("processors to run on: auto (one while the decide rate is under %d/s, all of them from %d/s: on a VM, waking an idle processor for each request costs more than it gains; docs/performance.md), or a number (GOMAXPROCS; a GOMAXPROCS in the environment wins)", procs.DefaultDown, procs.DefaultUp))
}

// setProcs applies --procs: a number sets GOMAXPROCS (unless the
// environment sets it); auto is applied later, by startProcs, once the
// router has subscribed (it subscribes once per processor).
func setProcs(v string) (auto bool, err error) {
	if v == "auto" {
		return true, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return false, fmt.Errorf("--procs %q: want auto or a number of processors (1 or more)", v)
	}
	if !procs.EnvSet() {
		goruntime.GOMAXPROCS(n)
	}
	return false, nil
}

// startProcs starts the auto mode's controller (procs.Controller), which
// reads count (the decide requests served) each tick; nil unless auto.
func startProcs(auto bool, count func() int64) *procs.Controller {
	if !auto {
		return nil
	}
	return procs.Start(procs.Config{Count: count})
}

// hostname is the host's name, --router-name's default ("" when the
// system does not say).
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// logCompressionFlag declares --log-compression, shared by serve and
// bench.
func logCompressionFlag(f *pflag.FlagSet, c *string) {
	f.StringVar(c, "log-compression", "s2", "how decision log messages are compressed: s2 (header Content-Encoding: s2), or none (JSON Lines as they are, for consumers without an S2 decoder)")
}

// logUncompressed checks --log-compression's value: whether it asks for
// no compression (router.Options.LogUncompressed).
func logUncompressed(c string) (bool, error) {
	switch c {
	case "s2":
		return false, nil
	case "none":
		return true, nil
	}
	return false, fmt.Errorf("--log-compression %q: want s2 or none", c)
}

// logSample checks the value of a flag giving the fraction of decisions
// published to the decision log: in [0, 1], 0 meaning no decision log
// (router.Options.NoLog; the engine's own 0 means every decision).
func logSample(flag string, s float64) (noLog bool, err error) {
	if !(s >= 0 && s <= 1) { // NaN too
		return false, fmt.Errorf("%s %v: want a fraction of decisions from 0 to 1", flag, s)
	}
	return s == 0, nil
}

func serveCmd() *cobra.Command {
	var o router.Options
	var failMode, publicKey, logCompression string
	var drain time.Duration
	var heapFloorMB int
	var procsMode, logLevel, logFormat string
	c := &cobra.Command{
		Use:   "serve",
		Short: "Decide requests over NATS and HTTP",
		Long: `Serve decides requests over HTTP and NATS with the policies of a source:
--policies DIR (checked, tested and reloaded as it changes), --bundle FILE
(rplc build), and the bundles that rplc push publishes to the JetStream
key-value bucket every router watches (--bundle-bucket). A version is
activated only when its checks and its policies' tests pass; the last good
one is kept in --data-dir and activated at the next start, NATS or not.

HTTP (--http, 127.0.0.1:8080 by default): POST /v1/decide (CP1),
/v2/decide, /v2/decide/batch and /v2/feedback; GET /metrics, /healthz and
/readyz; GET /v2/policies and POST /v2/policies/rollback, /activate and
/reload, GET /v2/targets and /v2/spend (--admin-token guards them). NATS: the subjects
beamline.router.v1.decide, rpl.v2.decide, rpl.v2.decide.batch and
rpl.v2.feedback, on an embedded server (in-process only unless
--nats-listen) or on the deployment --nats-url joins; --no-nats serves
HTTP only. SIGHUP reloads the policy source; SIGTERM or SIGINT shuts down
(--shutdown-grace, then --drain). docs/router.md documents every edge.

Exit status: 0 after a clean shutdown; 1 when the router cannot start (a
wrong flag, flags that do not go together, a --data-dir another router
holds, nothing it could ever activate) or when the drain ended with
decisions still running or a request still being received (a connection
idle, or that has sent nothing yet, is closed when the drain starts, the
latter 200 ms later).`,
		Example: `  rpl-router serve --policies examples/policies
  rpl-router serve --bundle policies.rplb --http 127.0.0.1:9090 --data-dir /var/lib/rpl
  rpl-router serve --nats-listen 0.0.0.0:4222 --nats-token "$NATS_TOKEN" --public-key release.key.pub --http 0.0.0.0:8080 --admin-token "$ADMIN_TOKEN"
  rpl-router serve --nats-url nats://TOKEN@nats.internal:4222 --policies /etc/rpl/current`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The tokens' defaults are read here, not given to the
			// flags: --help prints a flag's default.
			o.NATSToken = cmp.Or(o.NATSToken, os.Getenv("RPL_NATS_TOKEN"))
			o.AdminToken = cmp.Or(o.AdminToken, os.Getenv("RPL_ADMIN_TOKEN"))
			noLog, err := logSample("--log-sample", o.LogSample)
			if err != nil {
				return err
			}
			if err := nonNegative(cmd); err != nil {
				return err
			}
			if err := logLimits(o.LogMaxAge, o.LogMaxBytes); err != nil {
				return err
			}
			if err := natsx.CheckLogBuffer(o.LogBuffer); err != nil {
				return fmt.Errorf("--log-buffer %d: want 1 to %d events (or 0 for %d)", o.LogBuffer, natsx.MaxLogBuffer, natsx.DefaultLogBuffer)
			}
			if err := natsx.ReplicasProblem("--replicas", o.Replicas); err != nil {
				return err
			}
			if o.LogUncompressed, err = logUncompressed(logCompression); err != nil {
				return err
			}
			if err := conflicts(cmd.Flags(), o); err != nil {
				return err
			}
			o.NoLog = o.NoLog || noLog // after conflicts, which tells the two flags apart
			if err := bucketName(o.BundleBucket); err != nil {
				return err
			}
			switch failMode {
			case "error":
				o.FailureMode = runtime.FailClosed
			case "default":
				o.FailureMode = runtime.FailSafeDefault
				if o.SafeDefault == "" {
					return errors.New(`--failure-mode default needs --safe-default TARGET, the target ("provider:model", or a provider alone) answered when a policy fails`)
				}
			default:
				return fmt.Errorf("--failure-mode %q: want error or default", failMode)
			}
			if why := lang.TargetProblem(o.SafeDefault); o.SafeDefault != "" && why != "" {
				return fmt.Errorf("--safe-default %q: not a target: %s", o.SafeDefault, why)
			}
			if o.SafeDefault != "" && o.FailureMode != runtime.FailSafeDefault {
				// Taken and never answered: a policy that fails is
				// answered with an error, which the operator who named a
				// safe default did not expect.
				return fmt.Errorf("--safe-default %s without --failure-mode default: a policy that fails is answered with an error (--failure-mode %s), never the safe default; give --failure-mode default", o.SafeDefault, failMode)
			}
			if publicKey != "" {
				data, err := os.ReadFile(publicKey)
				if err != nil {
					return fmt.Errorf("--public-key: %w", err)
				}
				if o.PublicKey, err = bundle.ParsePublicKey(data); err != nil {
					return fmt.Errorf("--public-key %s: %w", publicKey, err)
				}
			}
			if err := otlpProtocol(o.OTLP); err != nil {
				return err
			}
			o.OTLP = otlpEndpoint(o.OTLP)
			autoProcs, err := setProcs(procsMode)
			if err != nil {
				return err
			}
			if o.Logger, err = newLogger(cmd.ErrOrStderr(), logLevel, logFormat); err != nil {
				return err
			}
			defer heapfloor.Start(uint64(heapFloorMB) << 20).Stop()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			r, err := router.Start(ctx, o)
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				// SIGTERM or SIGINT during the start: a shutdown asked
				// for, not a router that cannot start.
				o.Logger.Info("shut down during the start", "err", err)
				return nil
			}
			if err != nil {
				return err
			}
			ctl := startProcs(autoProcs, r.Engine.Decisions)
			defer ctl.Stop()
			if ctl != nil {
				o.Logger.Info("processors by load (--procs auto)", "one_below_per_s", procs.DefaultDown, "all_from_per_s", procs.DefaultUp, "all", ctl.Max())
			} else {
				o.Logger.Info("processors", "gomaxprocs", goruntime.GOMAXPROCS(0))
			}
			if serving != nil {
				serving(r)
			}
			for ctx.Err() == nil {
				select {
				case <-hup:
					o.Logger.Info("SIGHUP: reloading the policy source")
					// Reload logs what it activated, or why the source
					// was refused; not that there is none to reload (a
					// router fed by the bundle bucket only), which the
					// operator must hear of too.
					if _, err := r.Reload(ctx); errors.Is(err, router.ErrNoLocalSource) {
						o.Logger.Warn("SIGHUP: nothing reloaded", "err", err)
					}
				case <-ctx.Done():
				}
			}
			// A second SIGINT or SIGTERM ends the process at once, as
			// an operator who cannot wait out the grace and the drain
			// means it to: the signals get their default handling back.
			stop()
			o.Logger.Info("shutting down (a second signal exits at once)", "grace", o.ShutdownGrace, "then drain up to", drain)
			if err := shutdown(r, o.ShutdownGrace, drain); err != nil {
				return oneLine{err}
			}
			o.Logger.Info("shut down")
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.Policies, "policies", "", "directory of .rpl policies (hot reloaded)")
	f.StringVar(&o.Bundle, "bundle", "", "a .rplb bundle (rplc build) instead of a directory")
	f.StringVar(&publicKey, "public-key", "", "require bundles signed with this ed25519 public key (PEM, as written by rplc keygen)")
	f.StringVar(&o.DataDir, "data-dir", "data", "JetStream storage and the last good policy version")
	f.StringVar(&o.NATSURL, "nats-url", "", "join this NATS deployment instead of embedding a server")
	f.StringVar(&o.NATSListen, "nats-listen", "", "expose the embedded NATS server on host:port (give it --nats-token)")
	f.StringVar(&o.NATSToken, "nats-token", "", "require this token from the embedded NATS server's clients (nats://TOKEN@host:port; default $RPL_NATS_TOKEN)")
	f.StringVar(&o.NATSListenTLSCert, "nats-listen-tls-cert", "", "make --nats-listen TLS only, with this certificate (PEM, the chain after it; with --nats-listen-tls-key): clients connect with tls:// and the CA that signed it (rplc push --nats-tls-ca); a renewed one is taken from the file within a second of the next connection")
	f.StringVar(&o.NATSListenTLSKey, "nats-listen-tls-key", "", "the key (PEM) of --nats-listen-tls-cert")
	f.StringVar(&o.NATSListenTLSCA, "nats-listen-tls-ca", "", "require of --nats-listen's clients a certificate signed by one of these CAs (PEM; with --nats-listen-tls-cert); a CA added to the file is trusted within a second of the next connection")
	o.NATSCredentials.AddFlags(f)
	f.BoolVar(&o.NoNATS, "no-nats", false, "serve HTTP only")
	f.StringVar(&o.BundleBucket, "bundle-bucket", "rpl_bundles", `JetStream key-value bucket watched for bundles pushed with rplc push ("-" for none)`)
	f.StringVar(&o.HTTP, "http", "127.0.0.1:8080", `HTTP listen address ("-" for none)`)
	f.StringVar(&o.HTTPTLSCert, "http-tls-cert", "", "serve HTTPS with this certificate (PEM, the chain after it; with --http-tls-key), taking a renewed one from the file within a second of the next connection")
	f.StringVar(&o.HTTPTLSKey, "http-tls-key", "", "the key (PEM) of --http-tls-cert")
	f.StringVar(&o.AdminToken, "admin-token", "", "require this token of the HTTP admin endpoints, /v2/policies and under it, /v2/targets and /v2/spend (Authorization: Bearer TOKEN; default $RPL_ADMIN_TOKEN)")
	f.Int64Var(&o.Limits.Fuel, "fuel", 0, "fuel per decision (0: the VM default)")
	f.Int64Var(&o.Limits.Memory, "memory", 0, "memory per decision in bytes (0: the VM default)")
	f.DurationVar(&o.Deadline, "deadline", 50*time.Millisecond, "wall-time limit per decision")
	f.StringVar(&failMode, "failure-mode", "error", "when a policy fails: error, or default (answer --safe-default)")
	f.StringVar(&o.SafeDefault, "safe-default", "", `the safe default target ("provider:model", or a provider alone) for --failure-mode default`)
	f.BoolVar(&o.KnownOnly, "require-known-tenant", false, "refuse tenants missing from tenants.json (unauthorized)")
	f.IntVar(&o.MaxInFlight, "max-in-flight", 4096, "concurrent HTTP requests (decide, batch and feedback alike) before answering overloaded (0: the default)")
	f.IntVar(&o.MaxConnections, "max-connections", 4096, "HTTP connections open at once (idle keep-alives included); a connection beyond it has an idle keep-alive closed for it, or waits for one to go idle or close, those after it in the kernel's backlog (0: no limit)")
	f.Int64Var(&o.MaxBody, "max-body", 1<<20, "largest request body in bytes, over HTTP and NATS (0: the default, 1 MiB)")
	f.IntVar(&o.MaxAnswer, "max-answer", runtime.DefaultMaxAnswer, "longest answer of a decide batch in bytes: the request whose answer would pass it is answered invalid_request (decided, not answered), and those after it are not decided, answered invalid_request (0: the default, 8 MiB, what the embedded NATS server takes in a message; over NATS, a server's max_payload when lower, as nats-server's default 1 MiB with --nats-url, cuts it there)")
	f.IntVar(&o.NATSMaxPending, "nats-max-pending", natsx.DefaultMaxPending, "requests one NATS subscription queues before answering overloaded (each decide subject has as many subscriptions as the processors at start, the batch and feedback subjects half as many, one at least)")
	f.Float64Var(&o.LogSample, "log-sample", 1, "fraction of decisions published to the decision log stream, 0 to 1, evenly spread (0.7: 7 of any 10 in a row); 0: none, as --no-decision-log")
	f.BoolVar(&o.NoLog, "no-decision-log", false, "publish no decision log")
	f.DurationVar(&o.LogMaxAge, "log-max-age", 0, "age beyond which the decision log stream discards events (0: 24h for a stream created; an existing stream keeps its own)")
	f.Int64Var(&o.LogMaxBytes, "log-max-bytes", 0, "size in bytes beyond which the decision log stream discards its oldest events (0: 1 GiB for a stream created; an existing stream keeps its own)")
	f.IntVar(&o.Replicas, "replicas", 0, "copies of the decision log stream and the bundle bucket on a JetStream cluster joined with --nats-url, 1 to 5: the stream is changed to them, a bucket is created with them or, with fewer, raised to them (never lowered; a raise the cluster refuses is tried again until it succeeds) (0: 1 for those created)")
	f.IntVar(&o.LogBuffer, "log-buffer", natsx.DefaultLogBuffer, "decision events queued for the log's publisher before they are dropped (and counted, with a warning once a minute): a burst of batches, 32 of 1,000 at once, is 32,000 events; 1 to 1048576, or 0 for the default")
	logCompressionFlag(f, &logCompression)
	f.StringVar(&o.Name, "router-name", hostname(), "the router's name in its decision events (router), for a fleet sharing one stream (\"\" for none)")
	f.StringVar(&o.OTLP, "otlp-endpoint", "", "OTLP/HTTP endpoint for a span per decision (default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT)")
	f.DurationVar(&drain, "drain", 10*time.Second, "how long shutdown waits for in-flight requests (after --shutdown-grace)")
	f.DurationVar(&o.ShutdownGrace, "shutdown-grace", 0, "on SIGTERM, how long HTTP keeps serving with /readyz answering 503 before it stops taking connections, for a load balancer to take the router out; then --drain for in-flight requests")
	f.StringVar(&logLevel, "log-level", "info", "the least severe of the router's log lines written: debug, info, warn or error")
	f.StringVar(&logFormat, "log-format", "text", "the router's log lines as text (key=value) or json (a JSON object a line), to standard error")
	heapFloorFlag(f, &heapFloorMB)
	procsFlag(f, &procsMode)
	return c
}

// newLogger is the router's logger, writing to w at level (--log-level:
// debug, info, warn, error) in format (--log-format: text, json).
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	switch level {
	case "debug", "info", "warn", "error":
		l.UnmarshalText([]byte(level)) // cannot fail: one of slog's names
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// oneLine is an error whose message is on one line, as a log line's, its
// errors joined (errors.Join puts each on a line of its own) by "; ".
type oneLine struct{ err error }

func (e oneLine) Error() string { return strings.ReplaceAll(e.err.Error(), "\n", "; ") }
func (e oneLine) Unwrap() error { return e.err }

// serving, when set (by tests), is called with the router serve started,
// once SIGHUP is handled.
var serving func(*router.Router)

// shutdown stops r: the grace (HTTP serving, /readyz answering 503),
// then up to drain for the requests in flight. The grace runs within
// Shutdown's context, so that context is grace+drain: given drain
// alone, a grace as long cut the requests in flight at its end.
func shutdown(r *router.Router, grace, drain time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace+drain)
	defer cancel()
	return r.Shutdown(ctx)
}

// nonNegative refuses a negative value for the flags of limits and times,
// naming the flag (0 means each one's default, as its help says).
func nonNegative(cmd *cobra.Command) error {
	return cliflag.NonNegative(cmd.Flags(), "fuel", "memory", "deadline", "drain", "shutdown-grace", "log-max-age", "log-max-bytes", "max-body", "max-answer", "max-in-flight", "max-connections", "nats-max-pending")
}

// conflicts refuses flags given together that cannot work together,
// naming both: serve took them and ignored one of them.
func conflicts(f *pflag.FlagSet, o router.Options) error {
	given := func(name string) bool { return f.Changed(name) }
	if o.Policies != "" && o.Bundle != "" {
		return errors.New("--policies and --bundle: give one policy source, a directory or a bundle file (the directory would be neither read nor watched)")
	}
	if o.NATSURL != "" {
		if given("nats-listen") {
			return errors.New("--nats-url and --nats-listen: --nats-listen exposes the embedded NATS server, and with --nats-url none is embedded")
		}
		if given("nats-token") {
			return errors.New("--nats-url and --nats-token: --nats-token is required of the embedded server's clients, and with --nats-url none is embedded; give a deployment's token in the URL (nats://TOKEN@host:port)")
		}
		for _, name := range listenTLSFlags {
			if given(name) {
				return fmt.Errorf("--nats-url and --%s: --%s is the embedded NATS server's listener's, and with --nats-url none is embedded; a deployment's TLS files are --nats-tls-ca, --nats-tls-cert and --nats-tls-key", name, name)
			}
		}
	}
	if o.NATSURL == "" && !o.NoNATS && o.NATSListen == "" {
		for _, name := range listenTLSFlags {
			if given(name) {
				return fmt.Errorf("--%s without --nats-listen: the embedded NATS server listens for no client over the network, in-process only", name)
			}
		}
	}
	if o.NATSURL == "" && !o.NoNATS {
		for _, name := range natsx.CredentialFlags {
			if given(name[2:]) {
				return fmt.Errorf("%s without --nats-url: credentials and TLS files are presented to a NATS deployment that --nats-url joins; the embedded server's clients give --nats-token", name)
			}
		}
	}
	if (o.HTTPTLSCert == "") != (o.HTTPTLSKey == "") {
		return errors.New("--http-tls-cert and --http-tls-key: give both, the certificate and its key, or neither")
	}
	if given("replicas") && o.NATSURL == "" && !o.NoNATS {
		return errors.New("--replicas without --nats-url: the embedded NATS server is one server, which keeps one copy of each stream; --replicas is for a JetStream cluster that --nats-url joins")
	}
	if o.NoNATS {
		for _, name := range []string{"nats-url", "nats-creds", "nats-tls-ca", "nats-tls-cert", "nats-tls-key", "replicas", "nats-listen", "nats-listen-tls-cert", "nats-listen-tls-key", "nats-listen-tls-ca", "nats-token", "nats-max-pending", "log-sample", "log-max-age", "log-max-bytes", "log-buffer", "log-compression"} {
			if given(name) {
				return fmt.Errorf("--no-nats and --%s: without NATS there is no NATS server to join or expose, no NATS subject served and no decision log stream", name)
			}
		}
		if given("bundle-bucket") && o.BundleBucket != "-" {
			return errors.New("--no-nats and --bundle-bucket: without NATS there is no bundle bucket to watch")
		}
		if o.HTTP == "-" {
			return errors.New(`--no-nats and --http -: the router would serve no request, over neither NATS nor HTTP`)
		}
	}
	if o.NoLog { // --no-decision-log (--log-sample 0 is applied after)
		for _, name := range []string{"log-sample", "log-max-age", "log-max-bytes", "log-buffer", "log-compression"} {
			if given(name) && !(name == "log-sample" && o.LogSample == 0) { // --log-sample 0 says the same
				return fmt.Errorf("--no-decision-log and --%s: with no decision log there is nothing to sample, no stream to limit and no message to compress", name)
			}
		}
	} else if given("log-sample") && o.LogSample == 0 {
		for _, name := range []string{"log-max-age", "log-max-bytes", "log-buffer", "log-compression"} {
			if given(name) {
				return fmt.Errorf("--log-sample 0 and --%s: --log-sample 0 publishes no decision log (as --no-decision-log), so there is no stream to limit and no message to compress", name)
			}
		}
	}
	if err := natsx.ListenTLSProblem(o.NATSListenTLSCert, o.NATSListenTLSKey, o.NATSListenTLSCA); err != nil {
		return err
	}
	if o.NATSListen != "" && o.HTTP != "-" && sameListen(o.NATSListen, o.HTTP) {
		// The embedded server took the port, and HTTP failed on it once
		// the policies were loaded, saying the address was in use.
		return fmt.Errorf("--http %s and --nats-listen %s: one address for both; give each its own port", o.HTTP, o.NATSListen)
	}
	if o.HTTP == "-" {
		for _, name := range []string{"admin-token", "max-in-flight", "max-connections", "shutdown-grace", "http-tls-cert", "http-tls-key"} {
			if given(name) {
				return fmt.Errorf("--http - and --%s: --%s is HTTP's, and with --http - the router serves no HTTP", name, name)
			}
		}
	}
	return nil
}

// listenTLSFlags are the TLS flags of the embedded server's listener.
var listenTLSFlags = []string{"nats-listen-tls-cert", "nats-listen-tls-key", "nats-listen-tls-ca"}

// sameListen reports whether listening on a and on b (host:port) would
// take one port: the same port, not 0 (any free one), on the same host,
// or on every address (no host, 0.0.0.0, ::) for either.
func sameListen(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	every := func(h string) bool { ip := net.ParseIP(h); return h == "" || ip != nil && ip.IsUnspecified() }
	return ha == hb || every(ha) || every(hb)
}

// bucketName refuses a --bundle-bucket that JetStream takes for no
// key-value bucket (letters, digits, _ and - only): the router started,
// and its bundle watch failed on it for good, logging it once a minute.
func bucketName(b string) error {
	if b == "-" || b == "" {
		return nil
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("--bundle-bucket %q: not a JetStream key-value bucket name (letters, digits, _ and - only; \"-\" watches none)", b)
		}
	}
	return nil
}

// minLogMaxAge is the least max age of the decision log stream, which a
// NATS server refuses under 100ms (its least size: natsx.MinLogMaxBytes).
const minLogMaxAge = 100 * time.Millisecond

// logLimits refuses decision log limits that would leave the router
// without a log (0: the default).
func logLimits(maxAge time.Duration, maxBytes int64) error {
	if maxAge > 0 && maxAge < minLogMaxAge {
		return fmt.Errorf("--log-max-age %s: want at least %s (or 0 for the default)", maxAge, minLogMaxAge)
	}
	if maxBytes > 0 && maxBytes < natsx.MinLogMaxBytes {
		return fmt.Errorf("--log-max-bytes %d: want at least %d, 1 MiB (or 0 for the default): a stream smaller than a message of the log, up to 64 KiB, discards every event", maxBytes, natsx.MinLogMaxBytes)
	}
	return nil
}

// otlpProtocol refuses the OTLP endpoint of the environment (flag
// empty) when OpenTelemetry's protocol variable for traces (else its
// general one) names grpc, not OTLP/HTTP (http/protobuf, which the
// router exports with, or http/json, whose endpoint takes it too): a
// deployment that sets grpc points the
// endpoint at its collector's gRPC port (4317), where every export
// failed, the spans dropped, the router saying only that the exports
// failed. The flag names an OTLP/HTTP endpoint whatever the variables.
func otlpProtocol(flag string) error {
	if flag != "" || otlpEndpoint("") == "" {
		return nil
	}
	name := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	p := os.Getenv(name)
	if p == "" {
		name = "OTEL_EXPORTER_OTLP_PROTOCOL"
		p = os.Getenv(name)
	}
	if !strings.EqualFold(strings.TrimSpace(p), "grpc") {
		return nil
	}
	return fmt.Errorf("%s=%s: the router exports spans over OTLP/HTTP only (http/protobuf), and its endpoint, %s, is for %s; give --otlp-endpoint the collector's OTLP/HTTP address (port 4318 by default), or set %s=http/protobuf", name, p, otlpEndpoint(""), p, name)
}

// otlpEndpoint is the OTLP endpoint of the flag, else of the environment:
// OpenTelemetry's variable for traces first (the traces URL itself, used
// as it is when it has a path: tracing.New), then its general one (the
// base of /v1/traces).
func otlpEndpoint(flag string) string {
	return cmp.Or(flag, os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
}
