package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/runtime/router"
)

// serveEcho answers echoSubject on nc with as many queue subscriptions as
// the router has for each decide subject: the bench's bare responder.
func serveEcho(nc *nats.Conn) error {
	for range runtime.GOMAXPROCS(0) {
		sub, err := nc.QueueSubscribe(echoSubject, "rpl-bench-echo", func(m *nats.Msg) { m.Respond(m.Data) })
		if err != nil {
			return err
		}
		sub.SetPendingLimits(-1, -1)
	}
	return nc.Flush()
}

// extSetup is what the ext setups run against: a nats-server process on
// a loopback port, and a router of this process joined to it with its
// echo responder.
type extSetup struct {
	url  string
	stop func()
}

// startExt starts a nats-server process (o.natsServer, with JetStream,
// its data under dataDir) and a router joined to it over TCP, as
// rpl-router serve --nats-url runs one. The nats-server's output is kept
// for the error, should it not come up.
func startExt(ctx context.Context, o benchOpts, dataDir string) (*extSetup, error) {
	bin, err := exec.LookPath(o.natsServer)
	if err != nil {
		return nil, fmt.Errorf("no %s executable (go install github.com/nats-io/nats-server/v2@v2.15.2, or --nats-server PATH)", o.natsServer)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var out bytes.Buffer
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dataDir, "ext-nats"))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	x := &extSetup{url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	stopServer := func() { cmd.Process.Kill(); cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		nc, err := nats.Connect(x.url)
		if err == nil {
			nc.Close()
			break
		}
		if time.Now().After(deadline) {
			stopServer()
			return nil, fmt.Errorf("%s did not come up on port %d: %v\n%s", bin, port, err, out.String())
		}
	}
	r, err := router.Start(ctx, router.Options{Policies: o.policies, DataDir: filepath.Join(dataDir, "ext-router"), NATSURL: x.url, HTTP: "-",
		NoLog: o.logSample <= 0, LogSample: o.logSample, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		stopServer()
		return nil, fmt.Errorf("router on %s: %w", x.url, err)
	}
	if err := serveEcho(r.NATS()); err != nil {
		r.Shutdown(context.Background())
		stopServer()
		return nil, err
	}
	x.stop = func() {
		r.Shutdown(context.Background())
		stopServer()
	}
	return x, nil
}
