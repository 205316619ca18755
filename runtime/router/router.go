// Package router assembles the rpl-router process: engine, live state,
// metrics, NATS (embedded with JetStream, or an external deployment),
// HTTP, the decision log, hot reload of a policy directory, the last good
// version on disk and graceful shutdown. cmd/rpl-router only parses flags.
//
// Start order: the last good version under DataDir is activated first
// (no network needed), then the policy directory or bundle (a failure
// keeps the last good version), then NATS and HTTP. Every activation is
// written back under DataDir (DataDir/last-good/ for a directory,
// DataDir/last-good.rplb for a bundle).
//
// The latest activation wins, across restarts too. Activations are a
// push to the bundle bucket (each new revision of the key, even one
// holding the bundle already pushed before), a change of the policy
// directory's contents (or of the --bundle file) and a rollback (HTTP, or
// rplc rollback, which is a push). DataDir/last-good.json records what
// the router last took from its sources: the version of the directory or
// bundle file and the bucket revision it handled (activated or refused).
// At start the last good version, being the latest activation, stays
// unless a source has something newer: the directory is activated only
// when its version differs from the recorded one (or nothing is active),
// and the bucket only for a revision after the recorded one (or a bucket
// created anew). A directory change and a push both made while the
// router was down are activated in that order: the push wins. Hot reload
// follows the same rule: a directory saved unchanged is not activated
// again over a later push or rollback (Reload always activates it).
package router

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
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
	// from a file, the bundle bucket or the last good copy alike.
	PublicKey  ed25519.PublicKey
	DataDir    string // default ./data
	NATSURL    string // join this NATS instead of embedding one
	NATSListen string // expose the embedded server on host:port
	NATSToken  string // require this token from the embedded server's clients
	NoNATS     bool   // HTTP only
	// BundleBucket is the JetStream key-value bucket whose key
	// natsx.BundleKey the router watches for bundles (rplc push); ""
	// means natsx.BundleBucket, "-" no watch. Each new revision of the key
	// is activated once, and at start only a revision the router has not
	// handled yet: the latest activation (push, directory change,
	// rollback) wins (see the package documentation).
	BundleBucket string
	HTTP         string // default 127.0.0.1:8080; "-" for none

	Limits      rpl.Limits
	Deadline    time.Duration
	FailureMode runtime.FailureMode
	SafeDefault string
	KnownOnly   bool // refuse tenants missing from the registry

	MaxInFlight int
	MaxBody     int64
	LogSample   float64 // fraction of decisions logged, in [0, 1]; 0 is every one (NoLog turns the log off)
	NoLog       bool    // no decision log
	OTLP        string  // OTLP/HTTP endpoint for spans; "" for none

	Logger *slog.Logger
}

// Router is a running router.
type Router struct {
	opt     Options
	log     *slog.Logger
	Engine  *runtime.Engine
	State   *state.Mem
	Metrics *metrics.Metrics

	ns     *server.Server
	nc     *nats.Conn
	natsS  *natsx.Server
	dlog   *natsx.DecisionLog
	dlogNC *nats.Conn // the decision log's own connection
	httpS  *http.Server
	httpL  net.Listener
	tracer *tracing.Tracer
	watch  *fsnotify.Watcher
	kvw    *natsx.BundleWatcher
	stop   chan struct{}
	wg     sync.WaitGroup

	persistMu sync.Mutex
	sources   sources // under persistMu: what was taken from each source
}

// LastGoodDir and LastGoodBundle are where the last good version is kept
// under the data directory.
const (
	LastGoodDir    = "last-good"
	LastGoodBundle = "last-good.rplb"
	// LastGoodSources records what the router last took from its
	// sources (see the package documentation).
	LastGoodSources = "last-good.json"
)

// MaxHeaderBytes bounds an HTTP request's headers.
const MaxHeaderBytes = 64 << 10

// Start starts a router; Shutdown stops it.
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
	r := &Router{opt: opt, log: opt.Logger, State: state.NewMem(state.Options{}), Metrics: metrics.New(), stop: make(chan struct{})}
	if err := os.MkdirAll(opt.DataDir, 0o755); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			r.Shutdown(context.Background())
		}
	}()
	hooks := runtime.Hooks{Refused: r.Metrics.Refused}
	if opt.OTLP != "" {
		t, err := tracing.New(ctx, opt.OTLP)
		if err != nil {
			return nil, fmt.Errorf("OTLP exporter: %w", err)
		}
		r.tracer, hooks.Trace = t, t.Trace
		r.Metrics.SpansDropped(t.Dropped)
	}

	// NATS first (the decision log needs it), but without blocking on an
	// unreachable external deployment.
	if !opt.NoNATS {
		var err error
		if opt.NATSURL != "" {
			r.nc, err = r.connectExternal("rpl-router")
		} else {
			start := time.Now()
			r.ns, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: opt.DataDir, Listen: opt.NATSListen, Token: opt.NATSToken})
			if err == nil && opt.NATSListen != "" && opt.NATSToken == "" {
				r.log.Warn("the embedded NATS server listens without authentication: any client that reaches it can push bundles and read the decision log; give --nats-token (and --public-key)", "listen", opt.NATSListen)
			}
			if err == nil {
				listen := "in-process only"
				if opt.NATSListen != "" {
					listen = r.ns.ClientURL()
				}
				r.log.Info("embedded NATS server started", "jetstream", filepath.Join(opt.DataDir, "jetstream"), "listen", listen, "in", time.Since(start))
				r.nc, err = r.connectInProcess()
			}
		}
		if err != nil {
			return nil, fmt.Errorf("NATS: %w", err)
		}
	}
	var dlog runtime.DecisionLog
	if r.nc != nil && !opt.NoLog {
		if d, err := r.startDecisionLog(ctx); err != nil {
			r.log.Warn("decision log disabled", "err", err)
		} else {
			r.dlog, dlog = d, d
		}
	}

	e, err := runtime.New(runtime.Config{
		Limits: opt.Limits, Deadline: opt.Deadline, FailureMode: opt.FailureMode, SafeDefault: opt.SafeDefault,
		RequireKnownTenant: opt.KnownOnly, State: r.State, Observer: (*observer)(r), DecisionLog: dlog, LogSample: opt.LogSample,
	})
	if err != nil {
		return nil, err
	}
	r.Engine = e

	// The last good version, then the configured source.
	r.activateLastGood(ctx)
	switch {
	case opt.Bundle != "":
		if err := r.loadBundle(ctx, opt.Bundle, false); err != nil {
			r.log.Error("bundle not loaded", "bundle", opt.Bundle, "err", err)
		}
	case opt.Policies != "":
		if err := r.loadDir(ctx, false); err != nil {
			r.log.Error("policies not loaded", "dir", opt.Policies, "err", err)
		}
		if err := r.watchDir(); err != nil {
			return nil, fmt.Errorf("watching %s: %w", opt.Policies, err)
		}
	}
	if !e.Ready() && opt.Policies == "" && opt.Bundle == "" && r.nc == nil {
		return nil, errors.New("no policies: give --policies DIR or --bundle FILE")
	}

	if r.nc != nil {
		r.natsS, err = natsx.Serve(r.nc, e, natsx.Config{Hooks: hooks})
		if err != nil {
			return nil, fmt.Errorf("NATS subscriptions: %w", err)
		}
	}
	if r.nc != nil && opt.BundleBucket != "-" {
		r.watchBundles()
	}
	if opt.HTTP != "-" {
		h := httpx.New(e, httpx.Config{
			MaxBody: opt.MaxBody, MaxInFlight: opt.MaxInFlight, Metrics: r.Metrics.Handler(),
			Hooks: hooks,
		})
		r.httpL, err = net.Listen("tcp", opt.HTTP)
		if err != nil {
			return nil, fmt.Errorf("HTTP: %w", err)
		}
		// A slow client holds a connection for at most the read
		// timeouts and WriteTimeout; headers are bounded at 64 KiB (a
		// decide's are a few hundred bytes), not Go's 1 MiB.
		r.httpS = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: MaxHeaderBytes}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := r.httpS.Serve(r.httpL); err != nil && !errors.Is(err, http.ErrServerClosed) {
				r.log.Error("HTTP server", "err", err)
			}
		}()
		r.log.Info("HTTP listening", "addr", r.httpL.Addr().String())
	}
	ok = true
	return r, nil
}

// HTTPAddr is the HTTP listener's address.
func (r *Router) HTTPAddr() string {
	if r.httpL == nil {
		return ""
	}
	return r.httpL.Addr().String()
}

// NATS is the router's NATS connection (nil with NoNATS).
func (r *Router) NATS() *nats.Conn { return r.nc }

// connectInProcess connects to the embedded server, with its token.
func (r *Router) connectInProcess(opts ...nats.Option) (*nats.Conn, error) {
	if r.opt.NATSToken != "" {
		opts = append(opts, nats.Token(r.opt.NATSToken))
	}
	return natsx.ConnectInProcess(r.ns, opts...)
}

// connectExternal connects to the NATS deployment of --nats-url, retrying
// in the background while it is unreachable.
func (r *Router) connectExternal(name string) (*nats.Conn, error) {
	return nats.Connect(r.opt.NATSURL, nats.Name(name), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond))
}

// startDecisionLog starts the decision log on a connection of its own.
// Its messages (up to 64 KiB) on the requests' connection made the
// server's read buffer for that connection grow and shrink between them
// and the small replies: with every decision logged, at 30,000/s, a
// third of the bytes the router process allocated per request (4.9 KB
// against 3.3 KB embedded, 3.9 against 2.5 KB over TCP; 19 collections
// against 14, and 15 against 10, in 4 s).
func (r *Router) startDecisionLog(ctx context.Context) (*natsx.DecisionLog, error) {
	var nc *nats.Conn
	var err error
	if r.ns != nil {
		nc, err = r.connectInProcess(nats.Name("rpl-router-log"))
	} else {
		nc, err = r.connectExternal("rpl-router-log")
	}
	if err != nil {
		return nil, err
	}
	if !nc.IsConnected() {
		r.log.Warn("decision log: NATS is not reachable yet; decision events are queued (then dropped and counted) until it is", "url", r.opt.NATSURL)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := natsx.NewDecisionLog(lctx, nc, natsx.LogConfig{Dropped: r.Metrics.LogDropped, Failed: func(err error) {
		r.Metrics.LogFailed()
		r.log.Warn("decision log: the stream did not acknowledge an event; those since the last acknowledgement may be lost", "err", err)
	}, Ready: func() {
		r.log.Info("decision log: NATS is reachable, the stream is ready", "stream", natsx.LogStream)
	}})
	if err != nil {
		nc.Close()
		return nil, err
	}
	r.dlogNC = nc
	return d, nil
}

// NATSServer is the embedded server (nil when joining an external one).
func (r *Router) NATSServer() *server.Server { return r.ns }

// observer feeds the metrics and persists each activated version.
type observer Router

func (o *observer) Decided(out *runtime.Outcome) { o.Metrics.Decided(out) }

func (o *observer) Loaded(s *runtime.Snapshot, err error) {
	o.Metrics.Loaded(s, err)
	if err != nil {
		return
	}
	o.log.Info("policy version active", "version", s.ShortVersion(), "source", s.Source, "policies", len(s.PolicyIDs()))
	(*Router)(o).persist(s)
}

// persist writes s as the last good version.
func (r *Router) persist(s *runtime.Snapshot) {
	r.persistMu.Lock()
	defer r.persistMu.Unlock()
	dir, file := filepath.Join(r.opt.DataDir, LastGoodDir), filepath.Join(r.opt.DataDir, LastGoodBundle)
	var err error
	switch {
	case s.Bundle() != nil:
		tmp := file + ".tmp"
		if err = os.WriteFile(tmp, s.Bundle(), 0o644); err == nil {
			if err = os.Rename(tmp, file); err == nil {
				os.RemoveAll(dir)
			}
		}
	case s.Files() != nil:
		if err = runtime.WriteFiles(dir, s.Files()); err == nil {
			os.Remove(file)
		}
	}
	if err != nil {
		r.log.Warn("last good version not saved", "err", err)
	}
}

// sources is what the router last took from each of its sources, kept as
// DataDir/LastGoodSources with the last good version.
type sources struct {
	// Local is the version last activated (or found unchanged) from the
	// policy directory or bundle file.
	Local *localSource `json:"local,omitempty"`
	// Bucket is the last revision of the bundle key handled: activated
	// or refused.
	Bucket *natsx.BundleMark `json:"bucket,omitempty"`
}

type localSource struct {
	Path    string `json:"path"`
	Version string `json:"version"`
}

// took records what was taken from a source, after the activation it
// caused was persisted.
func (r *Router) took(update func(*sources)) {
	r.persistMu.Lock()
	defer r.persistMu.Unlock()
	update(&r.sources)
	file := filepath.Join(r.opt.DataDir, LastGoodSources)
	data, err := json.MarshalIndent(r.sources, "", "  ")
	if err == nil {
		tmp := file + ".tmp"
		if err = os.WriteFile(tmp, append(data, '\n'), 0o644); err == nil {
			err = os.Rename(tmp, file)
		}
	}
	if err != nil {
		r.log.Warn("last good sources not saved: the next start may activate a source again over a later activation", "err", err)
	}
}

// activateLastGood activates the last good version and takes up what
// was taken from the sources (LastGoodSources). Without a usable last
// good version that record is dropped: the sources' current versions are
// then activated as on a first start, rather than none.
func (r *Router) activateLastGood(ctx context.Context) {
	start := time.Now()
	var s *runtime.Snapshot
	var err error
	file := filepath.Join(r.opt.DataDir, LastGoodBundle)
	dir := filepath.Join(r.opt.DataDir, LastGoodDir)
	if data, rerr := os.ReadFile(file); rerr == nil {
		s, err = r.Engine.BuildBundle(ctx, file, data, r.readOptions())
	} else if _, serr := os.Stat(dir); serr == nil {
		s, err = r.Engine.BuildDir(ctx, dir)
	} else {
		return
	}
	if err != nil {
		r.log.Warn("last good version not usable", "err", err)
		return
	}
	r.Engine.Activate(s)
	r.log.Info("last good version activated", "version", s.ShortVersion(), "in", time.Since(start))
	srcFile := filepath.Join(r.opt.DataDir, LastGoodSources)
	data, err := os.ReadFile(srcFile)
	if errors.Is(err, os.ErrNotExist) {
		return // kept by an earlier release: the sources are activated
	}
	var src sources
	if err == nil {
		err = json.Unmarshal(data, &src)
	}
	if err != nil {
		r.log.Warn("last good sources unreadable: the policy sources are activated as on a first start", "err", err)
		return
	}
	r.persistMu.Lock()
	r.sources = src
	r.persistMu.Unlock()
}

// readOptions are the bundle checks of this router: the signature when a
// public key is configured.
func (r *Router) readOptions() bundle.ReadOptions {
	return bundle.ReadOptions{PublicKey: r.opt.PublicKey, RequireSignature: r.opt.PublicKey != nil}
}

// loadDir builds the policy directory and activates it: always with
// force, else only when its version differs from the one last taken from
// it or nothing is active (see the package documentation).
func (r *Router) loadDir(ctx context.Context, force bool) error {
	dir := r.opt.Policies
	return r.loadLocal(ctx, dir, force, func() (*runtime.Snapshot, error) { return r.Engine.BuildDir(ctx, dir) },
		func() (*runtime.Snapshot, error) { return r.Engine.LoadDir(ctx, dir) })
}

// loadBundle is loadDir for the bundle file path.
func (r *Router) loadBundle(ctx context.Context, path string, force bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return r.loadLocal(ctx, path, force, func() (*runtime.Snapshot, error) { return r.Engine.BuildBundle(ctx, path, data, r.readOptions()) },
		func() (*runtime.Snapshot, error) { return r.Engine.LoadBundle(ctx, path, data, r.readOptions()) })
}

// loadLocal activates the snapshot of the local source path (a directory
// or bundle file) unless, without force, it is the version last taken
// from path while another is active: an unchanged source is no new
// activation. load builds and activates, recording a refusal in the
// engine's status; build only builds.
func (r *Router) loadLocal(ctx context.Context, path string, force bool, build, load func() (*runtime.Snapshot, error)) error {
	r.persistMu.Lock()
	last := r.sources.Local
	r.persistMu.Unlock()
	if !force && r.Engine.Ready() && last != nil && last.Path == path {
		s, err := build()
		if err == nil && s.Version == last.Version {
			if cur := r.Engine.Current(); cur != nil && cur.Version != s.Version {
				r.log.Info("policy source unchanged: the later activation stays", "source", path, "version", s.ShortVersion(), "active", cur.ShortVersion())
			} else {
				r.Engine.Activate(s) // the active version: clears a failed load's error
			}
			return nil
		}
		if err == nil {
			r.Engine.Activate(s)
			r.took(func(src *sources) { src.Local = &localSource{Path: path, Version: s.Version} })
			return nil
		}
		// Load again to record the refusal (a failed build only is
		// built twice).
	}
	s, err := load()
	if err == nil {
		r.took(func(src *sources) { src.Local = &localSource{Path: path, Version: s.Version} })
	}
	return err
}

// watchBundles activates the bundles pushed to the bundle bucket.
func (r *Router) watchBundles() {
	bucket := r.opt.BundleBucket
	if bucket == "" {
		bucket = natsx.BundleBucket
	}
	r.persistMu.Lock()
	var seen natsx.BundleMark
	if r.sources.Bucket != nil {
		seen = *r.sources.Bucket
	}
	r.persistMu.Unlock()
	r.kvw = natsx.WatchBundles(r.nc, natsx.WatchConfig{
		Bucket: bucket,
		Seen:   seen,
		Handled: func(m natsx.BundleMark) {
			r.took(func(src *sources) { src.Bucket = &m })
		},
		Apply: func(ctx context.Context, data []byte, rev uint64) error {
			source := fmt.Sprintf("nats:%s/%s@%d", bucket, natsx.BundleKey, rev)
			_, err := r.Engine.LoadBundle(ctx, source, data, r.readOptions())
			return err
		},
		OnError: func(err error) { r.log.Error("pushed bundle", "err", err) },
	})
}

// BundleRevision is the revision of the last pushed bundle activated from
// the bundle bucket, 0 if none.
func (r *Router) BundleRevision() uint64 {
	if r.kvw == nil {
		return 0
	}
	return r.kvw.Revision()
}

// BundleSynced reports whether the bundle watch has handled the bucket's
// value at its start: activated or refused it, or passed over a revision
// handled before a restart.
func (r *Router) BundleSynced() bool { return r.kvw != nil && r.kvw.Synced() }

// Reload reloads the policy directory now.
func (r *Router) Reload(ctx context.Context) error { return r.loadDir(ctx, true) }

// watchDir reloads the policy directory when it changes (debounced). It
// watches the directory's parent too, for the directory itself: removed
// and made again (a deployment replacing it whole), it is watched again
// and reloaded.
func (r *Router) watchDir() error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	r.watch = w
	root := filepath.Clean(r.opt.Policies)
	parent := filepath.Dir(root)
	if err := w.Add(parent); err != nil {
		r.log.Warn("not watching the policy directory's parent: a directory removed and made again will not be reloaded", "dir", parent, "err", err)
	}
	add := func(root string) {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				if p != root && d.Name()[0] == '.' {
					return filepath.SkipDir
				}
				w.Add(p)
			}
			return nil
		})
	}
	add(r.opt.Policies)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		var timer *time.Timer
		fire := make(chan struct{}, 1)
		for {
			select {
			case <-r.stop:
				if timer != nil {
					timer.Stop()
				}
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Dir(ev.Name) == parent && ev.Name != root {
					continue // a sibling of the policy directory
				}
				if ev.Has(fsnotify.Create) {
					if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
						add(ev.Name)
					}
				}
				if timer == nil {
					timer = time.AfterFunc(100*time.Millisecond, func() {
						select {
						case fire <- struct{}{}:
						default:
						}
					})
				} else {
					timer.Reset(100 * time.Millisecond)
				}
			case <-fire:
				if err := r.loadDir(context.Background(), false); err != nil {
					r.log.Error("reload failed; the running version stays", "err", err)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				r.log.Warn("watching policies", "err", err)
			}
		}
	}()
	return nil
}

// Shutdown stops taking requests, drains those in flight (up to ctx),
// flushes the decision log and stops NATS.
func (r *Router) Shutdown(ctx context.Context) error {
	select {
	case <-r.stop:
		return nil
	default:
		close(r.stop)
	}
	var errs []error
	if r.watch != nil {
		r.watch.Close()
	}
	if r.kvw != nil {
		r.kvw.Stop()
	}
	// Both transports stop taking requests at once, and drain together.
	var drain sync.WaitGroup
	var httpErr, natsErr error
	if r.httpS != nil {
		drain.Go(func() { httpErr = r.httpS.Shutdown(ctx) })
	}
	if r.natsS != nil {
		drain.Go(func() { natsErr = r.natsS.Drain(ctx) })
	}
	drain.Wait()
	errs = append(errs, httpErr, natsErr)
	if r.dlog != nil {
		r.dlog.Close(ctx)
	}
	if r.dlogNC != nil {
		r.dlogNC.Close()
	}
	if r.nc != nil {
		r.nc.Close()
	}
	if r.ns != nil {
		r.ns.Shutdown()
		r.ns.WaitForShutdown()
	}
	if r.tracer != nil {
		errs = append(errs, r.tracer.Shutdown(ctx))
	}
	r.wg.Wait()
	return errors.Join(errs...)
}
