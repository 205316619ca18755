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
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// The echo's limits are those of the router's decide subscriptions
// (natsx.Config's defaults, which the bench's routers run with): a
// subscription with more than echoMaxPending requests queued answers
// echoOverloaded, as the router answers overloaded, and the client drops
// what would take its backlog past echoMaxBacklog messages or
// echoMaxBytes. The echo had none: under overload its backlog, and its
// latency, grew without bound where the router's was refused, and the
// two did not fail alike.
const (
	echoMaxPending = natsx.DefaultMaxPending
	echoMaxBacklog = natsx.DefaultMaxBacklog
	echoMaxBytes   = natsx.MaxBacklogBytes
)

// echoOverloaded is the echo's answer past echoMaxPending; the bench
// counts it failed (okReply), as it counts the router's refusals.
// echoServed counts the echo responders' requests, for --procs auto.
var echoServed atomic.Int64

var echoOverloaded = []byte(`{"ok":false,"error":{"code":"overloaded","message":"echo overloaded; retry later"}}`)

// echo answers m with its own data, or echoOverloaded when m's
// subscription has more than echoMaxPending requests queued.
func echo(m *nats.Msg) {
	echoServed.Add(1)
	if n, _, _ := m.Sub.Pending(); n > echoMaxPending {
		m.Respond(echoOverloaded)
		return
	}
	m.Respond(m.Data)
}

// serveEcho answers echoSubject on nc with as many queue subscriptions as
// the router has for each decide subject: the bench's bare responder.
func serveEcho(nc *nats.Conn) ([]*nats.Subscription, error) {
	var subs []*nats.Subscription
	for range runtime.GOMAXPROCS(0) {
		sub, err := nc.QueueSubscribe(echoSubject, "rpl-bench-echo", echo)
		if err != nil {
			return nil, err
		}
		sub.SetPendingLimits(echoMaxBacklog, echoMaxBytes)
		subs = append(subs, sub)
	}
	return subs, nc.Flush()
}

// extSetup is what the ext setups run against: a nats-server process on
// a loopback port, and a router of this process joined to it with its
// echo responder.
type extSetup struct {
	url    string
	engine *rt.Engine
	stop   func()
}

// startExt starts a nats-server process (o.natsServer, with JetStream,
// its data under dataDir) on a loopback port of its choosing, and a
// router joined to it over TCP, as rpl-router serve --nats-url runs one.
// The nats-server's output is kept for the error, should it not come up.
func startExt(ctx context.Context, o benchOpts, dataDir string) (*extSetup, error) {
	bin, err := exec.LookPath(o.natsServer)
	if err != nil {
		return nil, fmt.Errorf("no %s executable (go install github.com/nats-io/nats-server/v2@v2.15.2, or --nats-server PATH)", o.natsServer)
	}
	dir := filepath.Join(dataDir, "ext-nats")
	var out bytes.Buffer
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir, "-js", "-sd", dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopServer := func() {
		cmd.Process.Kill()
		<-exited
	}
	url, err := serverURL(ctx, dir, exited)
	if err != nil {
		if !errors.Is(err, errExited) {
			stopServer()
		}
		return nil, fmt.Errorf("%s did not come up: %v\n%s", bin, err, out.String())
	}
	r, err := router.Start(ctx, router.Options{Policies: o.policies, DataDir: filepath.Join(dataDir, "ext-router"), NATSURL: url, HTTP: "-",
		NoLog: o.logSample <= 0, LogSample: o.logSample, LogUncompressed: o.logPlain, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		stopServer()
		return nil, fmt.Errorf("router on %s: %w", url, err)
	}
	if _, err := serveEcho(r.NATS()); err != nil {
		r.Shutdown(context.Background())
		stopServer()
		return nil, err
	}
	return &extSetup{url: url, engine: r.Engine, stop: func() {
		r.Shutdown(context.Background())
		stopServer()
	}}, nil
}

var errExited = errors.New("it exited")

// serverURL waits (up to 10s, or ctx) for the ports file a nats-server
// writes in dir, its own, once it listens, and returns its client URL
// once a connection to it succeeds; errExited if the process exits first.
func serverURL(ctx context.Context, dir string, exited <-chan error) (string, error) {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		var ports struct{ NATS []string }
		files, _ := filepath.Glob(filepath.Join(dir, "*.ports"))
		if len(files) == 1 && readJSON(files[0], &ports) && len(ports.NATS) > 0 {
			if nc, err := nats.Connect(ports.NATS[0]); err == nil {
				nc.Close()
				return ports.NATS[0], nil
			}
		}
		select {
		case err := <-exited:
			return "", fmt.Errorf("%w (%v)", errExited, err)
		case <-deadline.C:
			return "", fmt.Errorf("no client port in a ports file in %s after 10s", dir)
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readJSON reports whether path holds JSON that decodes into v.
func readJSON(path string, v any) bool {
	data, err := os.ReadFile(path)
	return err == nil && json.Unmarshal(data, v) == nil
}
