// Package router assembles the rpl-router process: engine, live state,
// metrics, NATS (embedded with JetStream, or an external deployment),
// HTTP, the decision log, hot reload of a policy directory, the last good
// version on disk and graceful shutdown. cmd/rpl-router only parses flags.
//
// Start order: NATS (the embedded server started, or the connection to
// NATSURL tried once, then retried in the background), the last good
// version under DataDir activated (no network needed), then the policy
// directory or bundle (a failure keeps the last good version), then the
// bundle watch, the NATS subjects and HTTP: with NATS reachable, the
// subjects once the watch has handled the bucket's value (2 s at most,
// bucketFirst), so that a push missed while the router was down is
// activated before its first NATS decision. A last good version
// refused (by a later release's checks) is the status's last error, and
// the sources are activated as on a first start; with none to activate,
// Start fails saying why it was refused. With none active either, a
// local source of the wrong kind (Policies a file, Bundle a directory)
// fails Start, naming the flag: the router would wait for it for ever. Every activation is
// written back under DataDir (DataDir/last-good/ for a directory,
// DataDir/last-good.rplb for a bundle), synced, and the other removed; a
// crash that leaves both is resolved at start by taking the one written
// last, and one that interrupted the directory's replacement by taking
// its former copy, DataDir/last-good.old/. DataDir is one router's: a
// router locks it (DataDirLock) and another given it refuses to start.
//
// The NATS subjects are subscribed once a policy version is active (the
// last good version, the directory or bundle, or the first bundle the
// bucket brings), not before: a router that has none to decide with
// (its source refused, or not yet read) stays out of the queue group,
// so that the routers that can decide take all its requests, and a lone
// router's requesters get NATS's "no responders" at once rather than a
// not_ready answer. A failure to subscribe is retried every second,
// /readyz answering 503 until the subjects are subscribed. HTTP serves
// from the start (/readyz says 503 until a version is active).
//
// The latest activation wins, across restarts too. Activations are a
// push to the bundle bucket (each new revision of the key, even one
// holding the bundle already pushed before), a change of the policy
// directory's contents, a rollback (HTTP, or rplc rollback, which is a
// push), the activation of a kept version (POST /v2/policies/activate)
// and a reload (below). The --bundle file is not watched: it is read at
// start and at a reload only. DataDir/last-good.json records what
// the router last took from its sources: the version of the directory or
// bundle file and the bucket revision it handled (activated or refused).
// At start the last good version, being the latest activation, stays
// unless a source has something newer: the directory (or bundle file)
// is activated only when its version differs from the recorded one (or
// nothing is active), and the bucket only for a revision after the
// recorded one (or a bucket created anew). A directory change and a push both made while the
// router was down are activated in that order: the push wins. Hot reload
// follows the same rule: a directory saved unchanged is not activated
// again over a later push or rollback, nor is a changed one whose build
// another activation overtook (a push landing while it is built: the
// push is the later). Reload (POST /v2/policies/reload,
// SIGHUP to rpl-router serve) always activates it: the operator's way
// back to the directory's version after a rollback, a restart included.
// A refused revision stays the status's last error, across restarts,
// until an activation, a local source's failure, the key deleted or
// purged after it (it is no longer the key's value), or the bucket
// deleted and created again (its revisions are then another bucket's).
package router

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/internal/repeats"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
	"github.com/rpl-lang/rpl/runtime/metrics"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/state"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

// Options configure a router.
type Options struct {
	Policies string // directory of .rpl policies (watched)
	Bundle   string // a .rplb bundle instead of a directory
	// PublicKey, when set, is the key every bundle must be signed with:
	// unsigned bundles and bundles signed with another key are refused,
	// from a file, the bundle bucket or the last good copy alike. A
	// policy directory is not signed: --policies takes one whatever the
	// key, and the last good directory a run from --policies kept is
	// activated only by a router whose source is --policies too.
	PublicKey  ed25519.PublicKey
	DataDir    string // default ./data
	NATSURL    string // join this NATS instead of embedding one
	NATSListen string // expose the embedded server on host:port
	NATSToken  string // require this token from the embedded server's clients
	NoNATS     bool   // HTTP only
	// NATSListenTLSCert and NATSListenTLSKey, PEM files, make the
	// embedded server's listener (NATSListen) TLS only; NATSListenTLSCA
	// makes it require client certificates that it signed
	// (natsx.EmbeddedOptions). Read at Start.
	NATSListenTLSCert, NATSListenTLSKey, NATSListenTLSCA string
	// NATSCredentials are the files presented to the deployment NATSURL
	// joins (a user's credentials, TLS); checked at Start.
	NATSCredentials natsx.Credentials
	// HTTPTLSCert and HTTPTLSKey, PEM files, make the HTTP listener
	// serve HTTPS, following their renewal (httpx.Certificate).
	HTTPTLSCert, HTTPTLSKey string
	// BundleBucket is the JetStream key-value bucket whose key
	// natsx.BundleKey the router watches for bundles (rplc push); ""
	// means natsx.BundleBucket, "-" no watch. Each new revision of the key
	// is activated once, and at start only a revision the router has not
	// handled yet: the latest activation (push, directory change,
	// rollback) wins (see the package documentation).
	BundleBucket string
	HTTP         string // default 127.0.0.1:8080; "-" for none
	// AdminToken, when set, is required of the HTTP admin endpoints
	// (httpx.Config.AdminToken).
	AdminToken string
	// ShutdownGrace is how long Shutdown keeps HTTP serving, /readyz
	// answering 503 (shutting down), before it stops taking connections:
	// the time for a load balancer to take the router out. 0 stops at
	// once. It runs within Shutdown's context: give that context the
	// grace plus the time to drain the requests in flight.
	ShutdownGrace time.Duration

	Limits      rpl.Limits
	Deadline    time.Duration
	FailureMode runtime.FailureMode
	SafeDefault string
	KnownOnly   bool // refuse tenants missing from the registry

	MaxInFlight int   // HTTP decisions at once before answering overloaded
	MaxBody     int64 // largest request body, over HTTP and NATS
	MaxAnswer   int   // a batch answer's limit (runtime.Config.MaxAnswer)
	// MaxConnections is the most HTTP connections open at once (idle
	// keep-alives and requests still being received included); beyond
	// it the listener stops accepting, and connections wait in the
	// kernel's backlog until one closes (httpx.Limit). 0 means no limit;
	// rpl-router serve's --max-connections is 4096 unless given.
	MaxConnections int
	// NATSMaxPending is how many requests one NATS decide subscription
	// queues before answering overloaded (natsx.Config.MaxPending; 0:
	// 1024, for GOMAXPROCS at Start subscriptions per subject).
	NATSMaxPending int
	LogSample      float64 // fraction of decisions logged, in [0, 1]; 0 is every one (NoLog turns the log off)
	NoLog          bool    // no decision log
	// LogMaxAge and LogMaxBytes limit the decision log's stream: a
	// stream created gets them (0: 24h, 1 GiB); one that exists keeps
	// its own (an operator's) but for those given (not 0).
	LogMaxAge   time.Duration
	LogMaxBytes int64
	// Replicas are the copies, on a JetStream cluster (NATSURL), of the
	// decision log's stream (one that exists is changed to them) and of
	// the bundle bucket (created with them; one that exists with fewer
	// has them raised, never lowered: natsx.RaiseReplicas); 0 means 1
	// for those created.
	Replicas int
	// Name names the router in its decision events
	// (natsx.LogConfig.Router): "" names none.
	Name string
	// LogUncompressed publishes the decision log's messages as JSON
	// Lines as they are (natsx.LogConfig.Uncompressed).
	LogUncompressed bool
	// LogBuffer is the number of decision events the log queues for its
	// publisher before it drops them (natsx.LogConfig.Buffer): 0 means
	// natsx.DefaultLogBuffer, at most natsx.MaxLogBuffer.
	LogBuffer int
	OTLP      string // OTLP/HTTP endpoint for spans; "" for none

	Logger *slog.Logger
}

// Router is a running router.
type Router struct {
	opt     Options
	log     *slog.Logger
	Engine  *runtime.Engine
	State   *state.Mem
	Metrics *metrics.Metrics

	ns    *server.Server
	nc    *nats.Conn
	hooks runtime.Hooks
	// natsS serves the NATS subjects once a version is active
	// (serveNATS, which active tells of the first activation); natsMu
	// orders its creation and Shutdown.
	natsS  atomic.Pointer[natsx.Server]
	natsMu sync.Mutex
	// natsWorkers is GOMAXPROCS at Start: the subscriptions per subject
	// when they are made, later (at the first activation) as well, after
	// rpl-router serve's --procs auto may have set one processor.
	natsWorkers int
	natsAuth    []nats.Option // opt.NATSCredentials' (connectExternal)
	// natsErr is the last failure to subscribe (serveNATSWhenActive).
	natsErr atomic.Pointer[error]
	// unsubscribedLine: the NATS subjects are subscribed, and it is not
	// logged yet (subscribedLine).
	unsubscribedLine atomic.Bool
	active           chan struct{}
	dlog             *natsx.DecisionLog
	dlogNC           *nats.Conn // the decision log's own connection
	httpS            *http.Server
	httpH            *httpx.Server
	httpL            *httpx.Listener
	// reqCtx is what requests are decided in; cancelReqs stops the runs
	// in flight when a shutdown's drain runs out.
	reqCtx     context.Context
	cancelReqs context.CancelFunc
	// shutting is set when Shutdown starts: /readyz answers 503.
	shutting atomic.Bool
	tracer   *tracing.Tracer
	watch    *fsnotify.Watcher
	kvw      *natsx.BundleWatcher
	stop     chan struct{}
	stopOnce sync.Once // Shutdown's, which may be called twice at once
	wg       sync.WaitGroup

	// unlock releases the data directory (lockDataDir), at the end of
	// Shutdown.
	unlock func()

	persistMu sync.Mutex
	sources   sources // under persistMu: what was taken from each source
	unsaved   bool    // under persistMu: the last activation's version was not saved
	// released, under persistMu: Shutdown released the data directory,
	// and nothing is written to it any more (an HTTP reload, which runs
	// on past a drain that ran out, activating after it).
	released bool
	// A push's refusal and the activations that end it, ordered under
	// persistMu: foreign counts the activations that are not the bundle
	// watch's own (watchActivating is the snapshot it is activating, nil
	// when none), which end a refusal that came before them, recorded
	// yet or not; watchRefused is the source of the last refusal the
	// watch put in the engine's status (LoadFailed, StillRefused), which
	// such an activation clears again should it have been put there
	// after the activation cleared the status and before it came here.
	foreign         uint64
	watchActivating *runtime.Snapshot
	watchRefused    string
	// loads makes the loads of the policy directory or bundle file one
	// at a time (loadLocal): a slot, held while one runs, which a load
	// waits for until its context ends (the watch's, the SIGHUP
	// reload's, at a shutdown).
	loads chan struct{}
	// logCreateMax is the size of the decision log's stream, when the
	// router creates it, in place of the default (logFits).
	logCreateMax int64
	// logStorageHinted, bucketStorageHinted: the hint of a NATS
	// deployment short of JetStream storage for the decision log, for the
	// bundle bucket, was logged (storageHint).
	logStorageHinted, bucketStorageHinted atomic.Bool
}

// LastGoodDir and LastGoodBundle are where the last good version is kept
// under the data directory.
const (
	LastGoodDir    = "last-good"
	LastGoodBundle = "last-good.rplb"
	// LastGoodSources records what the router last took from its
	// sources (see the package documentation).
	LastGoodSources = "last-good.json"
	// DataDirLock is the file a running router locks in its data
	// directory: a second router given the same one refuses to start.
	DataDirLock = "rpl-router.lock"
)

// wrongKind says that the local source is there but of the wrong kind:
// --policies a file, --bundle a directory; nil when it is of its kind or
// not there (a directory made later is watched for, a bundle file
// written later is read at a reload). Start refuses such a source when
// nothing else is active: the router would wait for it for ever (the
// policy directory's watch sees a file's changes as none of its
// policies', and --bundle is read at a reload only). With a version
// active (the last good one) the router serves it, the source's failed
// load its last error, as for any source that does not load.
func wrongKind(opt Options) error {
	switch {
	case opt.Bundle != "":
		if fi, err := os.Stat(opt.Bundle); err == nil && fi.IsDir() {
			return fmt.Errorf("--bundle %s: is a directory, and --bundle wants a bundle file (rplc build); give a policy directory as --policies", opt.Bundle)
		}
	case opt.Policies != "":
		if fi, err := os.Stat(opt.Policies); err == nil && !fi.IsDir() {
			hint := "give the directory that holds it"
			if strings.HasSuffix(opt.Policies, ".rplb") {
				hint = "give a bundle file as --bundle"
			}
			return fmt.Errorf("--policies %s: is not a directory, and --policies wants a directory of .rpl policies; %s", opt.Policies, hint)
		}
	}
	return nil
}

// MaxHeaderBytes bounds an HTTP request's headers.
const MaxHeaderBytes = 64 << 10

// Start starts a router; Shutdown stops it. ctx bounds the loads of the
// policies at start: when it ends before they are over, Start fails with
// an error wrapping ctx's.
func Start(ctx context.Context, opt Options) (*Router, error) {
	if opt.DataDir == "" {
		opt.DataDir = "data"
	}
	if opt.HTTP == "" {
		opt.HTTP = "127.0.0.1:8080"
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if strings.TrimSpace(opt.AdminToken) != opt.AdminToken {
		// HTTP trims header values: no request could give it.
		return nil, errors.New("the admin token has space around it, which no Authorization header can carry: give it without")
	}
	if err := natsURLProblem(opt.NATSURL); err != nil {
		return nil, fmt.Errorf("NATS: %w", err)
	}
	if opt.NATSCredentials.Given() && opt.NATSURL == "" {
		return nil, errors.New("NATS credentials (a credentials file, TLS files) are presented to a deployment that NATSURL joins, and there is none")
	}
	natsAuth, err := opt.NATSCredentials.Options()
	if err != nil {
		return nil, fmt.Errorf("NATS: %w", err)
	}
	r := &Router{natsAuth: natsAuth, opt: opt, log: opt.Logger, State: state.NewMem(state.Options{}), Metrics: metrics.New(), stop: make(chan struct{}), active: make(chan struct{}, 1), loads: make(chan struct{}, 1), natsWorkers: goruntime.GOMAXPROCS(0)}
	r.reqCtx, r.cancelReqs = context.WithCancel(context.Background())
	if err := os.MkdirAll(opt.DataDir, 0o755); err != nil {
		// Named as the lock's failure is: "mkdir data: not a
		// directory" did not say which setting was wrong.
		return nil, fmt.Errorf("data directory %s: %w", opt.DataDir, err)
	}
	unlock, err := lockDataDir(opt.DataDir)
	if err != nil {
		return nil, err
	}
	r.unlock = unlock
	ok := false
	defer func() {
		if !ok {
			r.Shutdown(context.Background())
		}
	}()
	// The HTTP address is tried first: one in use is the error, before a
	// version is activated (and logged so) for nothing. It is let go
	// again until the router serves: held, it would accept connections
	// that nothing reads while the policies load (a load balancer's TCP
	// probe would see the router up, its clients hang). One taken by
	// another process meanwhile fails the start after the load.
	var cert *httpx.Certificate // HTTPS's, loaded before the policies as the address is tried
	if opt.HTTP != "-" {
		tl, err := net.Listen("tcp", opt.HTTP)
		if err != nil {
			return nil, fmt.Errorf("HTTP: %w", err)
		}
		tl.Close()
		if (opt.HTTPTLSCert == "") != (opt.HTTPTLSKey == "") {
			return nil, errors.New("HTTPS: give both --http-tls-cert and --http-tls-key, or neither")
		}
		if opt.HTTPTLSCert != "" {
			if cert, err = httpx.LoadCertificate(opt.HTTPTLSCert, opt.HTTPTLSKey, r.log); err != nil {
				return nil, err
			}
		}
	}
	hooks := runtime.Hooks{Refused: r.Metrics.Refused, Answered: r.Metrics.Answered}
	if opt.OTLP != "" {
		t, err := tracing.New(ctx, opt.OTLP, r.log)
		if err != nil {
			return nil, fmt.Errorf("OTLP exporter: %w", err)
		}
		r.tracer, hooks.Trace = t, t.Trace
		r.Metrics.SpansDropped(t.Dropped, tracing.DropReasons...)
		r.log.Info("tracing: a span per request exported over OTLP/HTTP", "endpoint", natsx.RedactURL(opt.OTLP))
	}

	// NATS first (the decision log needs it), but without blocking on an
	// unreachable external deployment.
	if !opt.NoNATS {
		var err error
		if opt.NATSURL != "" {
			r.nc, err = r.connectExternal(connDecide)
		} else {
			start := time.Now()
			r.ns, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: opt.DataDir, Listen: opt.NATSListen, Token: opt.NATSToken, MaxStore: embeddedMaxStore,
				TLSCert: opt.NATSListenTLSCert, TLSKey: opt.NATSListenTLSKey, TLSCA: opt.NATSListenTLSCA, Log: r.log})
			if err == nil && opt.NATSListen != "" && opt.NATSToken == "" && opt.NATSListenTLSCA == "" {
				r.log.Warn("the embedded NATS server listens without authentication: any client that reaches it can push bundles and read the decision log; give --nats-token (and --public-key)", "listen", opt.NATSListen)
			}
			if err == nil && opt.NATSListen != "" && opt.NATSToken != "" && opt.NATSListenTLSCert == "" && !listensLoopback(r.ns.Addr()) {
				r.log.Warn("the embedded NATS server listens beyond loopback without TLS: its clients send the token in clear; give --nats-listen-tls-cert and --nats-listen-tls-key", "listen", opt.NATSListen)
			}
			if err == nil {
				listen := "in-process only"
				if opt.NATSListen != "" {
					listen = r.ns.ClientURL()
				}
				r.log.Info("embedded NATS server started", "jetstream", filepath.Join(opt.DataDir, "jetstream"), "listen", listen, "tls", opt.NATSListenTLSCert != "", "client_certificates", opt.NATSListenTLSCA != "", "in", time.Since(start))
				r.nc, err = r.connectInProcess()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("NATS: %w", err)
		}
	}
	var dlog runtime.DecisionLog
	if r.nc != nil && !opt.NoLog {
		if err := r.logFits(ctx); err != nil {
			return nil, err
		}
		if d, err := r.startDecisionLog(ctx); err != nil {
			r.log.Warn("decision log disabled", "err", err)
		} else {
			r.dlog, dlog = d, d
			r.Metrics.NATSConnected(connLog, r.dlogNC.IsConnected)
			r.Metrics.DecisionLogReady(d.Storing)
		}
	}

	e, err := runtime.New(runtime.Config{
		Limits: opt.Limits, Deadline: opt.Deadline, FailureMode: opt.FailureMode, SafeDefault: opt.SafeDefault,
		RequireKnownTenant: opt.KnownOnly, State: r.State, Observer: activation{(*observer)(r)}, DecisionLog: dlog, LogSample: opt.LogSample,
		MaxAnswer: opt.MaxAnswer,
	})
	if err != nil {
		return nil, err
	}
	r.Engine = e

	// The last good version, then the configured source. A start that
	// ctx's end cuts short (SIGTERM during it) stops there: carried on,
	// it would take the last good version for refused, and the bundle
	// watch, without its record of what was taken, could put the
	// bucket's value back over a later activation and save it.
	refused := r.activateLastGood(ctx)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start cut short: %w", err)
	}
	switch {
	case opt.Bundle != "":
		if _, err := r.loadBundle(ctx, opt.Bundle, false); err != nil {
			r.log.Error("bundle not loaded", "bundle", opt.Bundle, "err", err)
		}
		if err := wrongKind(opt); err != nil && !e.Ready() {
			return nil, err
		}
	case opt.Policies != "":
		if _, err := r.loadDir(ctx, false); err != nil {
			r.log.Error("policies not loaded", "dir", opt.Policies, "err", err)
		}
		if err := wrongKind(opt); err != nil && !e.Ready() {
			return nil, err
		}
		if err := r.watchDir(); err != nil {
			return nil, fmt.Errorf("watching %s: %w", opt.Policies, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start cut short: %w", err)
	}
	// Without a version, a local source or a bundle bucket that others
	// can push to (an external NATS, or the embedded one listening) or
	// that holds a bundle already (the embedded server's, kept under the
	// data directory), the router could never become ready.
	watched := r.nc != nil && opt.BundleBucket != "-"
	pushable := watched && (opt.NATSURL != "" || opt.NATSListen != "")
	if !e.Ready() && opt.Policies == "" && opt.Bundle == "" && !pushable && !(watched && r.bundleStored(ctx)) {
		why := "give --policies DIR or --bundle FILE"
		if watched {
			why += ", or let bundles be pushed to it (rplc push): --nats-listen ADDR exposes the embedded NATS server, --nats-url URL joins a NATS deployment"
		}
		if refused != nil {
			why = fmt.Sprintf("the last good version kept is refused: %v; %s", refused, why)
		}
		return nil, errors.New("no policies: " + why)
	}

	// The bundle watch before the NATS subjects: a router that missed a
	// push while it was down decides with the bucket's bundle from its
	// first NATS request, not with its last good version (bucketFirst).
	if r.nc != nil && opt.BundleBucket != "-" {
		r.watchBundles()
		r.Metrics.BundleWatchUp(r.kvw.Up)
		r.Metrics.BundleWatchRestarts(r.kvw.Restarts, natsx.RestartReasons()...)
		r.Metrics.BundleBucketReplicas(r.kvw.Replicas)
		r.bucketFirst(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("start cut short: %w", err)
		}
	}
	if r.nc != nil {
		r.hooks = hooks
		r.Metrics.NATSDropped(r.natsDropped, natsx.Subjects...)
		r.Metrics.NATSConnected(connDecide, r.nc.IsConnected)
		r.Metrics.Transport(natsx.Transport, runtime.RefusedOverloaded, runtime.RefusedTooLarge, runtime.RefusedUnreadable, runtime.RefusedNoReply)
		if e.Ready() {
			if err := r.serveNATS(); err != nil {
				return nil, err
			}
		} else {
			r.log.Warn("no policy version active: the NATS subjects are not subscribed until one is (requests go to the other routers, or get no responders)")
			r.wg.Go(r.serveNATSWhenActive)
		}
	}
	if opt.HTTP != "-" {
		h := httpx.New(e, httpx.Config{
			MaxBody: opt.MaxBody, MaxInFlight: opt.MaxInFlight, Metrics: r.Metrics.Handler(),
			Hooks: hooks, Draining: r.shutting.Load, NotReady: r.notReady, Sources: func() any { return r.takenSources() },
			Reload: r.Reload, AdminToken: opt.AdminToken, Logger: r.log,
		})
		r.httpH = h
		tl, err := net.Listen("tcp", opt.HTTP)
		if err != nil {
			return nil, fmt.Errorf("HTTP: %w", err)
		}
		ll := httpx.Limit(tl, opt.MaxConnections)
		r.Metrics.HTTPConnections(ll.Open, ll.MaxOpen(), ll.Waits, ll.IdleClosed)
		r.Metrics.Transport(httpx.Transport, httpx.Refusals...)
		r.httpL = ll
		if !listensLoopback(r.httpL.Addr()) && opt.AdminToken == "" {
			r.log.Warn("HTTP listens beyond loopback with its admin endpoints open: any client that reaches it can roll back, activate or reload a version, and read provider health and tenant spend; give --admin-token", "listen", r.httpL.Addr().String())
		}
		// A slow client holds a connection for at most the read
		// timeouts and WriteTimeout; headers are bounded at 64 KiB (a
		// decide's are a few hundred bytes), not Go's 1 MiB. At the
		// connection limit, the listener closes an idle keep-alive for
		// a connection waiting (ConnState).
		r.httpS = &http.Server{Handler: h, BaseContext: func(net.Listener) context.Context { return r.reqCtx }, ConnState: ll.ConnState,
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: MaxHeaderBytes,
			ErrorLog: httpx.ErrorLog(r.log)}
		serve := func() error { return r.httpS.Serve(r.httpL) }
		if cert != nil {
			r.httpS.TLSConfig = cert.TLSConfig()
			r.httpS.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // no HTTP/2: see TLSConfig
			serve = func() error { return r.httpS.ServeTLS(r.httpL, "", "") }
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			// Shutdown's drain stops the listener accepting: Serve
			// returns net.ErrClosed.
			if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) && !(errors.Is(err, net.ErrClosed) && r.shutting.Load()) {
				r.log.Error("HTTP server", "err", err)
			}
		}()
		r.log.Info("HTTP listening", "addr", r.httpL.Addr().String(), "tls", cert != nil)
	}
	ok = true
	return r, nil
}

// bucketWait bounds how long Start waits for the bundle watch to handle
// the bucket's value before it subscribes the NATS subjects (bucketFirst).
const bucketWait = 2 * time.Second

// bucketFirst waits, when NATS is reachable, until the bundle watch has
// handled the bucket's value (activated it, refused it, or found it
// handled before the restart), bucketWait at most: a router restarted
// after missing a push, or a fleet's rollback, served its last good
// version over NATS for the few milliseconds the watch took, decisions
// on a version the rest of the fleet had left. A NATS that is slow, or
// whose bucket has no leader, delays the start by bucketWait only: the
// last good version is then served, and the bucket's value activated
// when the watch gets it, as before; so it is at once when the watch
// fails (a NATS without JetStream, which its error says). HTTP does not
// listen meanwhile either (Start starts it last): served over HTTP, the
// old version would make the decisions that the wait keeps NATS from
// making.
func (r *Router) bucketFirst(ctx context.Context) {
	if !r.nc.IsConnected() {
		return // tried in the background: no answer to wait for
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, bucketWait)
	defer cancel()
	if !r.kvw.WaitSynced(wctx) && ctx.Err() == nil {
		args := []any{"bucket", r.bundleBucket(), "waited", time.Since(start).Round(time.Millisecond)}
		if s := r.Engine.Current(); s != nil {
			args = append(args, "version", s.ShortVersion())
		}
		r.log.Warn("bundle bucket not read at the start: the router serves the version active, and activates the bucket's bundle when the watch gets it", args...)
	}
}

// HTTPAddr is the HTTP listener's address.
func (r *Router) HTTPAddr() string {
	if r.httpL == nil {
		return ""
	}
	return r.httpL.Addr().String()
}

// activation is the engine's observer: the sources' (observer), and at
// an activation the signal to subscribe the NATS subjects (the engine
// calls Loaded under its lock: the subscriptions, a round trip to the
// server, are made by the goroutine Start leaves waiting for it).
type activation struct{ *observer }

func (a activation) Loaded(s *runtime.Snapshot, err error) {
	a.observer.Loaded(s, err)
	if err == nil {
		select {
		case a.active <- struct{}{}:
		default: // told already
		}
	}
}

// natsRetry is how often the router tries again to subscribe the NATS
// subjects after a failure.
const natsRetry = time.Second

// serveNATSWhenActive subscribes the NATS subjects at the first
// activation; a failure (a subscription or its flush: the connection
// closed or down, the server slow) is retried every natsRetry until it
// succeeds or Shutdown starts, /readyz answering 503 meanwhile (notReady).
func (r *Router) serveNATSWhenActive() {
	var retry <-chan time.Time
	var logged string
	for {
		select {
		case <-r.active:
		case <-retry:
		case <-r.stop:
			return
		}
		err := r.serveNATS()
		if err == nil {
			return
		}
		r.natsErr.Store(&err)
		if msg := err.Error(); msg != logged {
			r.log.Error("NATS subjects not subscribed; retrying every second, /readyz answering 503 meanwhile", "err", err)
			logged = msg
		}
		if retry == nil {
			t := time.NewTicker(natsRetry)
			defer t.Stop()
			retry = t.C
		}
	}
}

// notReady is why the router is not ready although a policy version is
// active (httpx.Config.NotReady): its NATS subjects are not subscribed.
func (r *Router) notReady() error {
	if r.nc == nil || r.natsS.Load() != nil {
		return nil
	}
	if err := r.natsErr.Load(); err != nil {
		return *err
	}
	return errors.New("NATS subjects not subscribed yet")
}

// natsServe is natsx.Serve; the tests make it fail.
var natsServe = natsx.Serve

// serveNATS subscribes the NATS subjects, unless they are or the
// router is shutting down.
func (r *Router) serveNATS() error {
	r.natsMu.Lock()
	defer r.natsMu.Unlock()
	select {
	case <-r.stop:
		return nil
	default:
	}
	if r.natsS.Load() != nil {
		return nil
	}
	srv, err := natsServe(r.nc, r.Engine, natsx.Config{Workers: r.natsWorkers, Hooks: r.hooks, Logger: r.log, MaxBody: int(r.opt.MaxBody), MaxPending: r.opt.NATSMaxPending, Context: r.reqCtx})
	if err != nil {
		return fmt.Errorf("NATS subscriptions: %w", err)
	}
	r.natsS.Store(srv)
	if s := r.Engine.Current(); s != nil {
		// Not connected (the server down, or refusing the credentials),
		// the subscriptions are sent when the connection comes up, which
		// logs them subscribed then (connectExternal).
		r.unsubscribedLine.Store(true)
		if r.nc.IsConnected() {
			r.subscribedLine()
		} else {
			r.log.Info("NATS subjects to be subscribed once the connection is up", "queue group", natsx.QueueGroup, "version", s.ShortVersion())
		}
	}
	return nil
}

// subscribedLine logs that the NATS subjects are subscribed, once they
// are and the connection is up: at serveNATS, or when the connection
// first comes up after it (NATS unreachable at the start), which said
// nothing of them, though the router then served NATS.
func (r *Router) subscribedLine() {
	if !r.unsubscribedLine.CompareAndSwap(true, false) {
		return
	}
	args := []any{"queue group", natsx.QueueGroup}
	if s := r.Engine.Current(); s != nil {
		args = append(args, "version", s.ShortVersion())
	}
	r.log.Info("NATS subjects subscribed", args...)
}

// natsDropped is the number of messages dropped on subject by the NATS
// subscriptions (natsx.Server.Dropped), 0 before they exist.
func (r *Router) natsDropped(subject string) int64 {
	if srv := r.natsS.Load(); srv != nil {
		return srv.Dropped(subject)
	}
	return 0
}

// bundleStored reports whether the bundle bucket holds a bundle for the
// watch to activate.
func (r *Router) bundleStored(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return natsx.BundleStored(ctx, r.nc, r.bundleBucket(), natsx.BundleKey)
}

// bundleBucket is the bundle bucket the router watches (Options.BundleBucket).
func (r *Router) bundleBucket() string { return cmp.Or(r.opt.BundleBucket, natsx.BundleBucket) }

// NATS is the router's NATS connection (nil with NoNATS).
func (r *Router) NATS() *nats.Conn { return r.nc }

// connectInProcess connects to the embedded server, with its token.
func (r *Router) connectInProcess(opts ...nats.Option) (*nats.Conn, error) {
	if r.opt.NATSToken != "" {
		opts = append(opts, nats.Token(r.opt.NATSToken))
	}
	return natsx.ConnectInProcess(r.ns, append(opts, nats.ErrorHandler(r.natsError))...)
}

// listensLoopback reports whether a listener bound to addr takes
// loopback only, not every address.
func listensLoopback(addr net.Addr) bool {
	a, ok := addr.(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// natsURLProblem is what is wrong with the URLs of --nats-url
// (comma-separated), nil when nothing: a scheme nats.go does not connect
// with (nats, tls, ws, wss; none is nats). It took any other for nats://
// and tried for ever, saying only "no servers available for connection",
// to the HTTP server of an http:// URL (a NATS server's monitoring
// port, given for its clients').
func natsURLProblem(urls string) error {
	for _, u := range strings.Split(urls, ",") {
		scheme, _, ok := strings.Cut(strings.TrimSpace(u), "://")
		if !ok {
			continue
		}
		switch scheme = strings.ToLower(scheme); scheme {
		case "nats", "tls", "ws", "wss":
			continue
		}
		return fmt.Errorf("--nats-url %s: the scheme is %s, want nats://, tls://, ws:// or wss:// (a NATS server's clients' port; http:// is its monitoring)", natsx.RedactURL(strings.TrimSpace(u)), scheme)
	}
	return nil
}

// natsPingInterval and natsMaxPingsOut are how a connection to an
// external NATS (--nats-url) finds that its server is gone without a
// word: a half-open TCP connection (the server's host lost or cut off, a
// NAT or firewall that forgot the flow) reads nothing and fails no write
// until the kernel gives up, many minutes later. The client pings every
// natsPingInterval, and takes the connection for dead (then reconnects,
// logging it lost) when a ping is due with natsMaxPingsOut unanswered:
// within 30 s of the last answer, 20 s at least. nats.go's defaults, 2
// minutes and 2, took up to 6 minutes, the router's decision log
// publishing into the dead connection meanwhile. A ping and its answer
// every 10 s cost nothing; fewer allowed out would take a server busy a
// few seconds (a JetStream leader election) for dead.
const (
	natsPingInterval = 10 * time.Second
	natsMaxPingsOut  = 2
)

// connectExternal connects to the NATS deployment of --nats-url, retrying
// in the background while it is unreachable. Losing the connection and
// getting it back are logged, with the server and how long it lasted: in
// between, NATS requests go to the fleet's other routers (or get no
// responders) while HTTP is served as before. A connection gone dead
// without a word is found within 30 s (natsPingInterval).
//
// A deployment that refuses the router's credentials (a token rotated on
// the server first, an auth service down) is tried again as an
// unreachable one is, the refusal logged (natsRetryFailed): nats.go gave
// up after the same refusal twice and closed the connection for good,
// saying nothing, and the router never served NATS again. The first
// connection is logged; the URL logged is redacted (its token or
// password is a secret).
func (r *Router) connectExternal(name string, opts ...nats.Option) (*nats.Conn, error) {
	var lost atomic.Int64 // unix nanoseconds, 0 while connected
	var failures connFailures
	base := []nats.Option{nats.Name(name), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond),
		nats.PingInterval(natsPingInterval), nats.MaxPingsOutstanding(natsMaxPingsOut), nats.IgnoreAuthErrorAbort(),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			if sub == nil && isAuthError(err) {
				r.natsRetryFailed(&failures, name, err) // a refusal while reconnecting: told once a minute
				return
			}
			r.natsError(nc, sub, err)
		}),
		nats.ReconnectErrHandler(func(nc *nats.Conn, err error) {
			r.natsRetryFailed(&failures, name, err)
		}),
		nats.ConnectHandler(func(nc *nats.Conn) {
			failures.Reset()
			r.log.Info("NATS connected", "connection", name, "server", natsx.RedactURL(nc.ConnectedUrl()))
			if name == connDecide {
				r.subscribedLine() // subscribed before the connection was up
			}
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() || !lost.CompareAndSwap(0, time.Now().UnixNano()) {
				return // closed by the router, or lost already
			}
			r.log.Warn("NATS connection lost: reconnecting", "connection", name, "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			failures.Reset()
			args := []any{"connection", name, "server", natsx.RedactURL(nc.ConnectedUrl())}
			if at := lost.Swap(0); at != 0 {
				args = append(args, "after", time.Since(time.Unix(0, at)).Round(time.Millisecond))
			}
			r.log.Info("NATS connection restored", args...)
		}),
	}
	base = append(base, r.natsAuth...)
	nc, err := nats.Connect(r.opt.NATSURL, append(base, opts...)...)
	if err == nil && !nc.IsConnected() && name == connDecide {
		r.log.Warn("NATS not reachable yet: connecting in the background, every 500 ms; HTTP serves meanwhile", "url", natsx.RedactURL(r.opt.NATSURL))
	}
	return nc, natsx.RedactError(err)
}

// The names of the router's NATS connections (nats.Name): the one that
// serves the subjects and watches the bundle bucket, and the decision
// log's.
const (
	connDecide = "rpl-router"
	connLog    = "rpl-router-log"
)

// isAuthError reports whether err is the server's refusal of the
// client's credentials.
func isAuthError(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired)
}

// natsRetryFailed logs a failure of the attempts of the connection name
// to connect (every 500 ms) that told tells (one of a kind not told in
// the last minute).
func (r *Router) natsRetryFailed(told *connFailures, name string, err error) {
	if !told.Tell(err) {
		return
	}
	what := "NATS connection failed: trying again every 500 ms"
	if isAuthError(err) {
		what = "NATS refused the router's credentials (the user, password or token of --nats-url): trying again every 500 ms"
	}
	r.log.Warn(what, "connection", name, "err", err, "again_within", repeats.Every)
}

// connFailures tells which failures of a connection's attempts to
// connect to log: each kind (failureKind) once, and again once
// repeats.Every has passed since it was told (repeats.Kinds). A
// repeats.Filter, which tells a failure unlike the one before, told
// every attempt with --nats-url naming several servers down: nats.go
// tries them in turn, and each failure names its server ("dial tcp
// 10.0.0.1:4222: connect: connection refused", then 10.0.0.2's), or is
// of another kind (one server's name not found, another's connection
// refused): with three servers down, 51 lines in 5 s for a router's two
// connections, against 2 in 15 s with one server. The zero connFailures
// is ready; it is safe for concurrent use (the connection's callbacks).
type connFailures struct{ told repeats.Kinds }

// Tell reports whether the failure err is to be logged.
func (f *connFailures) Tell(err error) bool { return f.told.Tell(failureKind(err)) }

// Reset forgets the failures told: the connection is up, and its next
// failure, even of a kind told, is logged.
func (f *connFailures) Reset() { f.told.Reset() }

// failureKind is err's message without the server it names (the address
// dialled, the name looked up and the resolver asked): the same failure
// of two servers is of one kind.
func failureKind(err error) string {
	msg := err.Error()
	var names []string
	if op := (*net.OpError)(nil); errors.As(err, &op) && op.Addr != nil {
		names = append(names, op.Addr.String())
	}
	if dns := (*net.DNSError)(nil); errors.As(err, &dns) {
		names = append(names, dns.Name, dns.Server)
	}
	for _, n := range names {
		if n != "" {
			msg = strings.ReplaceAll(msg, n, "SERVER")
		}
	}
	return msg
}

// natsError logs the NATS client's asynchronous errors but the slow
// consumers of natsx's subscriptions (its subjects): natsx counts the
// messages they drop (rpl_nats_dropped_total) and logs them a line a
// second at most, where the library's default handler printed a line on
// stderr at each slow-consumer episode, many in a burst. Another
// subscription's (the bundle watch's, the decision log's) is logged: no
// one counts it.
func (r *Router) natsError(_ *nats.Conn, sub *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrSlowConsumer) && sub != nil && slices.Contains(natsx.Subjects, sub.Subject) {
		return
	}
	args := []any{"err", err}
	if sub != nil {
		args = append(args, "subject", sub.Subject)
	}
	r.log.Warn("NATS client", args...)
}

// startDecisionLog starts the decision log on a connection of its own.
// Its messages (up to 64 KiB) on the requests' connection made the
// server's read buffer for that connection grow and shrink between them
// and the small replies: with every decision logged, at 30,000/s, a
// third of the bytes the router process allocated per request (4.9 KB
// against 3.3 KB embedded, 3.9 against 2.5 KB over TCP; 19 collections
// against 14, and 15 against 10, in 4 s). The connection has no
// reconnect buffer: the log holds what it publishes while the
// connection is down until the server it comes back to has the stream
// (natsx.DecisionLog), where the buffer, sent first on the
// reconnection, was lost on a server without it.
func (r *Router) startDecisionLog(ctx context.Context) (*natsx.DecisionLog, error) {
	var nc *nats.Conn
	var err error
	if r.ns != nil {
		nc, err = r.connectInProcess(nats.Name(connLog), nats.ReconnectBufSize(-1))
	} else {
		nc, err = r.connectExternal(connLog, nats.ReconnectBufSize(-1))
	}
	if err != nil {
		return nil, err
	}
	if !nc.IsConnected() {
		r.log.Warn("decision log: NATS is not reachable yet; decision events are queued (then dropped and counted) until it is", "url", natsx.RedactURL(r.opt.NATSURL))
	}
	// A stream that refuses messages fails each one (LogConfig.Refusing):
	// each is counted, the same failure logged once a minute.
	var failures repeats.Filter
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := natsx.NewDecisionLog(lctx, nc, natsx.LogConfig{Router: r.opt.Name, MaxAge: r.opt.LogMaxAge, MaxBytes: r.opt.LogMaxBytes, Replicas: r.opt.Replicas, CreateMaxBytes: r.logCreateMax, Uncompressed: r.opt.LogUncompressed, Buffer: r.opt.LogBuffer, Dropped: r.Metrics.LogDropped, Overflowed: func(n int64) {
		r.log.Warn("decision log: the queue is full; decision events are dropped (and counted in rpl_decision_log_dropped_total) until the log catches up: give it a larger --log-buffer, or fewer events (--log-sample)", "dropped", n, "buffer", cmp.Or(r.opt.LogBuffer, natsx.DefaultLogBuffer), "again_within", repeats.Every)
	}, Failed: func(err error) {
		r.Metrics.LogFailed()
		if failures.Tell(err) {
			r.log.Warn("decision log: the stream did not acknowledge an event; those since the last acknowledgement are published again (the stream may store some twice)", "err", err, "again_within", repeats.Every)
		}
		r.storageHint(err)
	}, Refusing: func(err error) {
		if err == nil {
			r.log.Info("decision log: the stream stores events again", "stream", natsx.LogStream)
			return
		}
		r.log.Warn("decision log: the stream refuses events (its limits reached, with discard new?); each message now waits for its acknowledgement, and the events of those refused are dropped and counted in rpl_decision_log_dropped_total, until it stores one", "stream", natsx.LogStream, "err", err)
	}, Stalled: func(err error) {
		if err == nil {
			r.log.Info("decision log: the stream stores events again", "stream", natsx.LogStream)
			return
		}
		r.log.Warn("decision log: the stream does not answer (a NATS cluster without quorum, or electing the stream's leader?); the events not acknowledged are published again every second until it stores one, and decision events are queued (then dropped and counted in rpl_decision_log_dropped_total) meanwhile", "stream", natsx.LogStream, "err", err)
	}, Ready: func() {
		r.log.Info("decision log: NATS is reachable, the stream is ready", "stream", natsx.LogStream)
	}, Unavailable: func(err error) {
		r.log.Warn("decision log: the stream is not available; decision events are queued (then dropped and counted) until it is, tried again every second", "stream", natsx.LogStream, "err", err)
		r.storageHint(err)
	}, Recreated: func() {
		r.log.Warn("decision log: the stream had disappeared and was created again; the events since the last acknowledgement are published again", "stream", natsx.LogStream)
	}, ReplicasRefused: func(kept, asked int, err error) {
		r.log.Warn("decision log: the NATS server is not in a JetStream cluster and refuses the stream's copies (--replicas); the log goes on with those it has: run the router with --replicas 1, or the server in a cluster", "stream", natsx.LogStream, "copies", kept, "replicas", asked, "err", err)
	}, InForce: func(maxAge time.Duration, maxBytes, maxMsgs int64) {
		r.log.Info("decision log: stream limits in force", "stream", natsx.LogStream, "max_age", maxAge, "max_bytes", maxBytes, "max_msgs", maxMsgs)
	}})
	if err != nil {
		nc.Close()
		return nil, err
	}
	r.dlogNC = nc
	return d, nil
}

// storageHint logs, once, what to change when the NATS deployment the
// router joined (NATSURL) refuses the decision log's stream for want of
// JetStream storage (natsx.StorageShort): the refusal, tried again every
// second and logged once a minute, said only "insufficient storage
// resources available". The embedded server's store is checked at the
// start (logFits), which says what fits.
func (r *Router) storageHint(err error) {
	if r.opt.NATSURL != "" && natsx.PeersShort(err) && r.logStorageHinted.CompareAndSwap(false, true) {
		r.log.Warn("decision log: the NATS cluster has fewer JetStream servers up with room than the stream's copies (--replicas); until it has, decision events are dropped and counted", "stream", natsx.LogStream, "replicas", max(r.opt.Replicas, 1))
		return
	}
	if r.opt.NATSURL == "" || !natsx.StorageShort(err) || !r.logStorageHinted.CompareAndSwap(false, true) {
		return
	}
	r.log.Warn("decision log: the NATS deployment has no room for the stream in its JetStream storage: give the stream less (--log-max-bytes, 1 GiB unless given, stored once per copy, --replicas), or the deployment more (max_file_store in the jetstream block of its servers' configuration, or the account's max_file limit), or free some of it; until then decision events are dropped and counted",
		"stream", natsx.LogStream, "max_bytes", cmp.Or(r.opt.LogMaxBytes, natsx.DefaultLogMaxBytes))
}

// bucketStorageHint is storageHint for the bundle bucket, which the
// bundle watch creates when it is missing.
func (r *Router) bucketStorageHint(err error) {
	if r.opt.NATSURL != "" && natsx.PeersShort(err) && r.bucketStorageHinted.CompareAndSwap(false, true) {
		r.log.Warn("bundle bucket: the NATS cluster has fewer JetStream servers up with room than the bucket's copies (--replicas, when the router creates it); until it has, no pushed bundle is activated", "bucket", r.bundleBucket(), "replicas", max(r.opt.Replicas, 1))
		return
	}
	if r.opt.NATSURL == "" || !natsx.StorageShort(err) || !r.bucketStorageHinted.CompareAndSwap(false, true) {
		return
	}
	r.log.Warn("bundle bucket: the NATS deployment has no room for the bucket in its JetStream storage: give the deployment more (max_file_store in the jetstream block of its servers' configuration, or the account's max_file limit), or free some of it (a stream reserves its max_bytes: the decision log's, --log-max-bytes); until then no pushed bundle is activated",
		"bucket", r.bundleBucket())
}

// embeddedMaxStore is the embedded server's JetStream storage limit (0:
// its default, 75% of the disk free); the tests make it small.
var embeddedMaxStore int64

// logFits checks, with the embedded server, that the decision log's
// stream, when it is to be created, fits in what its JetStream can
// still reserve: 75% of the disk free under the data directory at the
// start, less what its other streams reserve. A stream that does not
// is never created, every decision event dropped: the default 1 GiB on
// a disk of less than 1.4 GB free (a small volume) is made to fit,
// taking half of what is left (the bundle bucket has the rest), and
// said so, as a disk too full for a stream of 1 MiB beside the bucket's
// half is (the log then drops every event); a --log-max-bytes given is refused, naming what
// fits.
func (r *Router) logFits(ctx context.Context) error {
	if r.ns == nil || !r.ns.JetStreamEnabled() {
		return nil
	}
	_, reserved, err := r.ns.JetStreamReservedResources()
	if err != nil {
		return nil
	}
	room := r.ns.JetStreamConfig().MaxStore - reserved
	want := cmp.Or(r.opt.LogMaxBytes, natsx.DefaultLogMaxBytes)
	if want <= room {
		return nil
	}
	if js, err := jetstream.New(r.nc); err == nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := js.Stream(sctx, natsx.LogStream)
		cancel()
		switch {
		case err == nil && r.opt.LogMaxBytes > 0:
			// It exists, and is to grow by what it does not reserve
			// already.
			room += max(st.CachedInfo().Config.MaxBytes, 0)
			if want <= room {
				return nil
			}
		case !errors.Is(err, jetstream.ErrStreamNotFound):
			return nil // it exists (it keeps its own limit), or the look-up failed: the log says why
		}
	}
	where := filepath.Join(r.opt.DataDir, "jetstream")
	if r.opt.LogMaxBytes > 0 {
		return fmt.Errorf("--log-max-bytes %d: more than the embedded NATS server can store for the decision log, %d bytes (75%% of the disk free under %s at the start, less what its other streams reserve): the stream would never be created", r.opt.LogMaxBytes, max(room, 0), where)
	}
	// Half, not all: the bundle bucket has the rest.
	if half := room / 2; half >= natsx.MinLogMaxBytes {
		r.logCreateMax = half
		r.log.Warn("decision log: the embedded NATS server cannot store the stream's default 1 GiB (it stores 75% of the disk free under the data directory at the start): the stream is created smaller, half of what it can still store (--log-max-bytes sets it)", "max_bytes", half, "store", where)
	} else {
		r.log.Warn("decision log: the embedded NATS server can store too little for the stream (it stores 75% of the disk free under the data directory at the start, less what its other streams reserve): it is not created, and decision events are dropped; free space on that disk", "can_store", max(room, 0), "store", where)
	}
	return nil
}

// NATSServer is the embedded server (nil when joining an external one).
func (r *Router) NATSServer() *server.Server { return r.ns }

// inFlight is the number of requests the transports are handling.
func (r *Router) inFlight(natsS *natsx.Server) int {
	n := 0
	if r.httpH != nil {
		n += r.httpH.InFlight()
	}
	if natsS != nil {
		n += natsS.InFlight()
	}
	return n
}

// Shutdown stops taking requests (HTTP after ShutdownGrace, /readyz
// answering 503 meanwhile), drains those in flight (up to ctx),
// flushes the decision log and the spans, and stops NATS. Its error says
// that the drain did not complete (ctx ended first): the policy runs
// still in flight are then cancelled, and their requests, those queued
// on NATS too, answered overloaded, to be retried (up to a second more),
// before the connections close; NATS messages still queued then are
// lost, counted and logged (natsx.Server.Stop). The decision log has until ctx's
// deadline and a second at least to have its stream store the events
// it holds, and once its connection is closed up to a second more to
// count (and log) those it could not; the spans up to 5 s of their own after (a collector that
// does not answer), a failure to export them logged, not returned.
func (r *Router) Shutdown(ctx context.Context) error {
	first := false
	r.stopOnce.Do(func() { close(r.stop); first = true })
	if !first {
		return nil
	}
	// From now on answers say Connection: close (httpx.Config.Draining)
	// and /readyz 503.
	r.shutting.Store(true)
	var errs []error
	r.natsMu.Lock() // a serveNATS under way ends first; none starts after
	natsS := r.natsS.Load()
	r.natsMu.Unlock()
	if r.watch != nil {
		r.watch.Close()
	}
	if r.kvw != nil {
		r.kvw.Stop()
	}
	// Both transports stop taking requests at once (HTTP after its
	// grace: NATS needs none, the queue group's other routers take the
	// requests at once), and drain together.
	var drain sync.WaitGroup
	var httpErr, natsErr error
	if r.httpS != nil {
		drain.Go(func() {
			if g := r.opt.ShutdownGrace; g > 0 {
				r.log.Info("shutting down: HTTP serves, /readyz answering 503, for the grace", "grace", g)
				t := time.NewTimer(g)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
			// The listener stops accepting (once it has accepted the
			// connections made) and the server serves those it has
			// until they close: Go's server, once shutting down, drops
			// a request it reads without an answer, which a connection
			// opened before the drain, or accepted as it began, may
			// still carry. Then Shutdown has none to wait for.
			if httpErr = r.httpL.Drain(ctx); httpErr == nil {
				httpErr = r.httpS.Shutdown(ctx)
			}
		})
	}
	if natsS != nil {
		drain.Go(func() { natsErr = natsS.Drain(ctx) })
	}
	drain.Wait()
	if ctx.Err() != nil && (httpErr != nil || natsErr != nil) {
		// The drain ran out. The runs in flight stop, and their requests,
		// those queued too, are answered overloaded (to be retried)
		// rather than left without an answer when the connections close.
		n := r.inFlight(natsS)
		r.cancelReqs()
		if n > 0 {
			r.log.Warn("shutdown: the drain ran out with requests in flight; their policy runs are cancelled, and they are answered overloaded, to be retried", "in_flight", n)
		}
		for wait := time.Now().Add(time.Second); r.inFlight(natsS) > 0 && time.Now().Before(wait); {
			time.Sleep(5 * time.Millisecond)
		}
		if natsS != nil {
			// What is still queued is lost with the subscriptions:
			// counted (rpl_nats_dropped_total) and logged, feedback
			// published without a reply subject among it, which no
			// requester's timeout tells of.
			natsS.Stop()
		}
		var conns int64
		if r.httpS != nil {
			conns = r.httpL.Open()
			// The connections left are closed: a request still being
			// received kept its connection, and its handler, past the
			// router, up to the read timeout. Those just answered close
			// once their answer is written (its handler releases its
			// slot before the server writes the answer out), then the
			// others.
			flushed, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			r.httpS.Shutdown(flushed)
			cancel()
			r.httpS.Close()
		}
		switch n {
		case 0: // a request still being received, or a connection closing
			r.log.Warn("shutdown: the drain ran out with HTTP connections still open, closed (a request on one still being received is cut off)", "connections", conns)
			errs = append(errs, fmt.Errorf("shutdown: the drain ran out with connections still open (%d)", conns))
		default:
			errs = append(errs, fmt.Errorf("shutdown: the drain ran out with %s in flight, cancelled", runtime.Count(n, "request")))
		}
	} else {
		errs = append(errs, httpErr, natsErr)
	}
	r.cancelReqs()
	var logDropped int64 // the decision log's drops before it closes
	if r.dlog != nil {
		// The log is the decisions' record: closed with a context that
		// ran out (a drain that ran out), it stopped waiting at once and
		// the events it held were lost. It waits until ctx's deadline,
		// and a second at least.
		_, logDropped = r.dlog.Stats()
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		if d, ok := ctx.Deadline(); ok && time.Until(d) > time.Second {
			cancel()
			lctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), d)
		}
		r.dlog.Close(lctx)
		cancel()
	}
	if r.dlogNC != nil {
		r.dlogNC.Close()
	}
	if r.dlog != nil {
		// The events the log could not have the stream store (its
		// connection down, the stream missing, its wait run out) are
		// counted, in a metric that no one reads once the process has
		// exited: they are logged. With its connection closed, the
		// log's publisher ends at once, counting what it held.
		wait, cancel := context.WithTimeout(context.Background(), time.Second)
		r.dlog.Close(wait)
		cancel()
		if _, n := r.dlog.Stats(); n > logDropped {
			r.log.Warn("decision log: decision events not stored in the stream at shutdown, lost (rpl_decision_log_dropped_total)", "events", n-logDropped, "stream", natsx.LogStream)
		}
	}
	if r.nc != nil {
		r.nc.Close()
	}
	if r.ns != nil {
		r.ns.Shutdown()
		r.ns.WaitForShutdown()
	}
	if r.tracer != nil {
		// Spans are not requests: a collector that is down or slow
		// (Shutdown waits for it 5 s at most) does not make the drain
		// fail. The spans lost are counted (rpl_spans_dropped_total).
		// Those 5 s are the tracer's own, after a drain that ran out
		// too: the spans of the decisions it cancelled are exported.
		if err := r.tracer.Shutdown(context.WithoutCancel(ctx)); err != nil {
			r.log.Warn("tracing: the spans queued at shutdown were not all exported (counted in rpl_spans_dropped_total)", "err", err)
		}
	}
	r.wg.Wait()
	r.persistMu.Lock()
	r.released = true
	r.persistMu.Unlock()
	if r.unlock != nil {
		r.unlock()
	}
	return errors.Join(errs...)
}
