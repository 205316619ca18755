package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestLogSampleFlags: serve and bench take a decision log sample from 0
// to 1, 0 meaning no decision log, and refuse any other value before
// starting anything.
func TestLogSampleFlags(t *testing.T) {
	for _, c := range []struct {
		s     float64
		noLog bool
	}{{0, true}, {0.25, false}, {0.7, false}, {1, false}} {
		if noLog, err := logSample("--log-sample", c.s); err != nil || noLog != c.noLog {
			t.Errorf("--log-sample %v: no log %v, %v; want %v", c.s, noLog, err, c.noLog)
		}
	}
	// Canceled, a router that started anyway would stop at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, v := range []string{"1.5", "-0.5", "NaN", "+Inf"} {
		for _, args := range [][]string{
			{"serve", "--log-sample", v, "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()},
			{"bench", "--decision-log-sample", v, "--setups", "inproc", "--rates", "100", "--max=false", "--duration", "10ms", "--warmup", "0s", "--tenants", "0", "--probe", "0s", "--policies", "../../examples/policies"},
		} {
			c := root()
			var out bytes.Buffer
			c.SetOut(&out)
			c.SetErr(&out)
			c.SetArgs(args)
			err := c.ExecuteContext(ctx)
			if want := args[1] + " " + v + ": want a fraction of decisions from 0 to 1"; err == nil || err.Error() != want {
				t.Errorf("%s %s: %v, want %q", args[0], args[1], err, want)
			}
		}
	}
}

// TestNegativeFlags: a negative limit or time is refused before starting
// anything, naming the flag (it used to fall back to the default).
func TestNegativeFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range [][2]string{{"fuel", "-1"}, {"memory", "-5"}, {"deadline", "-1s"}, {"drain", "-1s"}, {"shutdown-grace", "-2s"},
		{"log-max-age", "-1h0m0s"}, {"log-max-bytes", "-1"}, {"max-body", "-1"}, {"max-in-flight", "-3"}, {"max-connections", "-1"}, {"nats-max-pending", "-2"}} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"serve", "--" + c[0], c[1], "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
		err := cmd.ExecuteContext(ctx)
		if want := "--" + c[0] + " " + c[1] + ": want a value ≥ 0"; err == nil || err.Error() != want {
			t.Errorf("--%s %s: %v, want %q", c[0], c[1], err, want)
		}
	}
}

// startRouter starts a router on the example policies, HTTP only, with
// the shutdown grace given, shut down at the test's end.
func startRouter(t *testing.T, grace time.Duration) *router.Router {
	r, err := router.Start(context.Background(), router.Options{Policies: "../../examples/policies", DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		ShutdownGrace: grace, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	return r
}

// inFlight sends a v2 decide to addr and its body's first bytes: the
// request is in flight, its handler reading the body (Expect:
// 100-continue says when it does). rest is the body's rest, to send.
func inFlight(t *testing.T, addr string) (c net.Conn, br *bufio.Reader, rest string) {
	body := `{"request": {"id": "in-flight", "task": {"type": "chat"}}}`
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "POST /v2/decide HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, len(body))
	br = bufio.NewReader(c)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("before the body: %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, body[:10])
	return c, br, body[10:]
}

// wantDecided reads the answer of an inFlight request from br: a
// decision (what names the request in a failure).
func wantDecided(t *testing.T, br *bufio.Reader, what string) {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s was not answered: %v", what, err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(data), `"ok":true`) {
		t.Fatalf("%s: %d %s", what, resp.StatusCode, data)
	}
}

// TestShutdownGraceThenDrain: a request in flight when --shutdown-grace
// ends is still answered within --drain, and the router exits cleanly,
// with a grace as long as the drain (serve gave Shutdown a context of
// --drain alone, which the grace used up: the request was cut and serve
// failed, context deadline exceeded; found by a review).
func TestShutdownGraceThenDrain(t *testing.T) {
	const grace, drain = time.Second, time.Second
	r := startRouter(t, grace)
	addr := r.HTTPAddr()
	c, br, rest := inFlight(t, addr)

	done := make(chan error, 1)
	go func() { done <- shutdown(r, grace, drain) }()
	// The grace ends when the listener closes.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("connections still accepted 10 s into a 1 s grace")
		}
	}
	io.WriteString(c, rest)
	wantDecided(t, br, "the request in flight when the grace ended")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown still running 20 s after the request was answered")
	}
}

// TestDrainClosesUnusedConnections: a connection that has sent nothing
// when the drain starts (a client's pool, or a balancer's, opens them
// ahead) is closed then, as one idle between requests is, and the
// shutdown ends clean as soon as the requests in flight are answered.
// Go's server waited for it until it was 5 s old: the default 10 s
// drain waited those, and a shorter one ran out, the process exiting 1
// ("the drain ran out with connections still open"). A request in flight
// on another connection is answered all the same.
func TestDrainClosesUnusedConnections(t *testing.T) {
	const drain = 3 * time.Second // under Go's 5 s
	r := startRouter(t, 0)
	addr := r.HTTPAddr()
	unused, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer unused.Close()
	c, br, rest := inFlight(t, addr)

	done := make(chan error, 1)
	go func() { done <- shutdown(r, 0, drain) }()
	unused.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := unused.Read(make([]byte, 1)); err == nil {
		t.Fatalf("the unused connection read %d bytes, want it closed", n)
	}
	select {
	case err := <-done:
		t.Fatalf("shutdown returned (%v) with a request in flight", err)
	default:
	}
	io.WriteString(c, rest)
	wantDecided(t, br, "the request in flight")
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v (want none: the unused connection closed, the request in flight answered)", err)
	}
}

// TestOTLPEndpoint: the flag, else OpenTelemetry's traces variable, else
// its general one.
func TestOTLPEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://general:4318")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if got := otlpEndpoint(""); got != "http://general:4318" {
		t.Errorf("general: %s", got)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/v1/traces")
	if got := otlpEndpoint(""); got != "http://traces:4318/v1/traces" {
		t.Errorf("traces: %s", got)
	}
	if got := otlpEndpoint("flag:4318"); got != "flag:4318" {
		t.Errorf("flag: %s", got)
	}
}

// TestOTLPProtocol: the endpoint of OpenTelemetry's variables is refused
// at start when their protocol is grpc (its endpoint is a gRPC port,
// where every export failed), naming the variable; the flag's is taken
// whatever they say, and so is the endpoint when the protocol is
// OTLP/HTTP's (http/protobuf, or http/json, whose endpoint takes the
// router's protobuf too) or unset.
func TestOTLPProtocol(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "")
	want := "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: the router exports spans over OTLP/HTTP only (http/protobuf), and its endpoint, http://collector:4317, is for grpc; give --otlp-endpoint the collector's OTLP/HTTP address (port 4318 by default), or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"
	if err := otlpProtocol(""); err == nil || err.Error() != want {
		t.Errorf("grpc: %v, want %q", err, want)
	}
	// Refused before anything starts.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cmd := root()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"serve", "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
	if err := cmd.ExecuteContext(ctx); err == nil || err.Error() != want {
		t.Errorf("serve: %v, want %q", err, want)
	}
	if err := otlpProtocol("collector:4318"); err != nil {
		t.Errorf("the flag: %v", err)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf") // the traces' variable first
	if err := otlpProtocol(""); err != nil {
		t.Errorf("traces http/protobuf: %v", err)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json") // OTLP/HTTP's port and path
	if err := otlpProtocol(""); err != nil {
		t.Errorf("traces http/json: %v", err)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "gRPC")
	if err := otlpProtocol(""); err == nil || !strings.HasPrefix(err.Error(), "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=gRPC: ") {
		t.Errorf("traces gRPC: %v", err)
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "") // no tracing: nothing to refuse
	if err := otlpProtocol(""); err != nil {
		t.Errorf("no endpoint: %v", err)
	}
}

// TestLogLimitFlags: decision log limits that would leave the router
// without a log are refused at start, naming the flag (they started a
// router whose log was disabled, or discarded every event; found by a
// review).
func TestLogLimitFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range [][3]string{
		{"log-max-age", "1ms", "--log-max-age 1ms: want at least 100ms (or 0 for the default)"},
		{"log-max-bytes", "1", "--log-max-bytes 1: want at least 1048576, 1 MiB (or 0 for the default)"},
		{"log-compression", "gzip", `--log-compression "gzip": want s2 or none`},
		{"log-buffer", "-1", "--log-buffer -1: want 1 to 1048576 events (or 0 for 8192)"},
		{"log-buffer", "1048577", "--log-buffer 1048577: want 1 to 1048576 events (or 0 for 8192)"},
		{"replicas", "6", "--replicas 6: want 1 to 5 copies (JetStream keeps at most 5), or 0 for the default"},
		{"replicas", "-1", "--replicas -1: want 1 to 5 copies"},
	} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"serve", "--" + c[0], c[1], "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
		if err := cmd.ExecuteContext(ctx); err == nil || !strings.HasPrefix(err.Error(), c[2]) {
			t.Errorf("--%s %s: %v, want %q", c[0], c[1], err, c[2])
		}
	}
}

// TestFailureModeFlags: the safe default's flags are refused by their
// names (the errors named the runtime's Config fields; found by a review);
// so is a --procs that is not auto or a number of processors.
func TestFailureModeFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--failure-mode", "default"}, `--failure-mode default needs --safe-default TARGET, the target ("provider:model", or a provider alone) answered when a policy fails`},
		{[]string{"--failure-mode", "default", "--safe-default", "gpt 4"}, `--safe-default "gpt 4": not a target: it holds spaces or control characters`},
		{[]string{"--safe-default", "a b:c"}, `--safe-default "a b:c": not a target: it holds spaces or control characters`},
		// Taken and never used: failures were answered with an error.
		{[]string{"--safe-default", "openai:gpt-4o"}, `--safe-default openai:gpt-4o without --failure-mode default: a policy that fails is answered with an error (--failure-mode error), never the safe default; give --failure-mode default`},
		{[]string{"--failure-mode", "error", "--safe-default", "openai"}, `--safe-default openai without --failure-mode default: a policy that fails is answered with an error (--failure-mode error), never the safe default; give --failure-mode default`},
		{[]string{"--procs", "0"}, `--procs "0": want auto or a number of processors (1 or more)`},
		{[]string{"--procs", "two"}, `--procs "two": want auto or a number of processors (1 or more)`},
	} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"serve", "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()}, c.args...))
		if err := cmd.ExecuteContext(ctx); err == nil || err.Error() != c.want {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestAdminTokenFromEnvironment: $RPL_ADMIN_TOKEN is --admin-token's
// default, which serve applies, and which --help does not print (it
// printed the token, as --nats-token printed $RPL_NATS_TOKEN); a token
// with surrounding space, which no header can carry, is refused at start.
func TestAdminTokenFromEnvironment(t *testing.T) {
	t.Setenv("RPL_ADMIN_TOKEN", "env-s3cret")
	t.Setenv("RPL_NATS_TOKEN", "nats-s3cret")
	c := root()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"serve", "--help"})
	if err := c.Execute(); err != nil || strings.Contains(out.String(), "s3cret") || !strings.Contains(out.String(), "$RPL_ADMIN_TOKEN") {
		t.Fatalf("--help: %v\n%s", err, out.String())
	}

	var logs syncBuffer
	r, stop := startServe(t, &logs, "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir())
	for token, want := range map[string]int{"": 401, "env-s3cret": 200} {
		req, _ := http.NewRequest("GET", "http://"+r.HTTPAddr()+"/v2/policies", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %q: %d, want %d", token, resp.StatusCode, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	t.Setenv("RPL_ADMIN_TOKEN", "padded ")
	c = root()
	c.SetOut(&out)
	c.SetErr(&out)
	c.SetArgs([]string{"serve", "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
	if err := c.Execute(); err == nil || !strings.Contains(err.Error(), "admin token") {
		t.Errorf("a padded token: %v", err)
	}
}

// TestConflictingFlags: flags that cannot work together are refused at
// start, naming both and saying why (serve took them all and ignored one:
// --policies beside --bundle was never read nor watched, --nats-listen
// and --nats-token beside --nats-url were never used, nor any NATS flag
// with --no-nats, the decision log's flags beside no decision log, nor
// HTTP's beside --http -; --no-nats with --http - served nothing).
func TestConflictingFlags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-nats", "--bundle", "x.rplb"}, "--policies and --bundle: give one policy source"},
		{[]string{"--nats-url", "nats://127.0.0.1:1", "--nats-listen", "127.0.0.1:0"}, "--nats-url and --nats-listen:"},
		{[]string{"--nats-url", "nats://127.0.0.1:1", "--nats-token", "t"}, "--nats-url and --nats-token:"},
		{[]string{"--no-nats", "--nats-url", "nats://127.0.0.1:1"}, "--no-nats and --nats-url:"},
		{[]string{"--no-nats", "--nats-listen", "127.0.0.1:0"}, "--no-nats and --nats-listen:"},
		{[]string{"--no-nats", "--nats-token", "t"}, "--no-nats and --nats-token:"},
		{[]string{"--no-nats", "--bundle-bucket", "mine"}, "--no-nats and --bundle-bucket:"},
		{[]string{"--no-nats", "--nats-max-pending", "10"}, "--no-nats and --nats-max-pending:"},
		{[]string{"--no-nats", "--replicas", "3"}, "--no-nats and --replicas:"},
		// The embedded server keeps one copy.
		{[]string{"--replicas", "3"}, "--replicas without --nats-url: the embedded NATS server is one server"},
		{[]string{"--nats-creds", "u.creds"}, "--nats-creds without --nats-url: credentials and TLS files are presented to a NATS deployment"},
		{[]string{"--nats-tls-ca", "ca.pem"}, "--nats-tls-ca without --nats-url:"},
		{[]string{"--no-nats", "--nats-tls-cert", "c.pem"}, "--no-nats and --nats-tls-cert:"},
		// The listener's TLS: the embedded server's, with its listener.
		{[]string{"--nats-url", "nats://127.0.0.1:1", "--nats-listen-tls-cert", "c.pem"}, "--nats-url and --nats-listen-tls-cert:"},
		{[]string{"--nats-listen-tls-ca", "ca.pem"}, "--nats-listen-tls-ca without --nats-listen:"},
		{[]string{"--no-nats", "--nats-listen-tls-key", "k.pem"}, "--no-nats and --nats-listen-tls-key:"},
		{[]string{"--nats-listen", "127.0.0.1:0", "--nats-listen-tls-cert", "c.pem"}, "--nats-listen-tls-cert and --nats-listen-tls-key: give both"},
		{[]string{"--nats-listen", "127.0.0.1:0", "--nats-listen-tls-ca", "ca.pem"}, "--nats-listen-tls-ca without --nats-listen-tls-cert and --nats-listen-tls-key"},
		{[]string{"--nats-listen", "127.0.0.1:0", "--nats-listen-tls-cert", "missing.pem", "--nats-listen-tls-key", "k.pem"}, "NATS: --nats-listen-tls-cert missing.pem: no such file or directory"},
		// Read and checked at the start.
		{[]string{"--nats-url", "nats://127.0.0.1:1", "--nats-creds", "missing.creds"}, "NATS: --nats-creds missing.creds: no such file or directory"},
		{[]string{"--nats-url", "nats://127.0.0.1:1", "--nats-tls-cert", "c.pem"}, "NATS: --nats-tls-cert and --nats-tls-key: give both"},
		// It served nothing: no NATS subject, no HTTP listener.
		{[]string{"--no-nats", "--http", "-"}, "--no-nats and --http -: the router would serve no request"},
		// The log's flags beside no log, HTTP's beside no HTTP.
		{[]string{"--no-decision-log", "--log-sample", "0.5"}, "--no-decision-log and --log-sample:"},
		{[]string{"--no-decision-log", "--log-max-age", "1h"}, "--no-decision-log and --log-max-age:"},
		{[]string{"--no-decision-log", "--log-max-bytes", "2000000"}, "--no-decision-log and --log-max-bytes:"},
		{[]string{"--no-decision-log", "--log-compression", "none"}, "--no-decision-log and --log-compression:"},
		{[]string{"--log-sample", "0", "--log-max-age", "1h"}, "--log-sample 0 and --log-max-age:"},
		{[]string{"--log-sample", "0", "--log-compression", "none"}, "--log-sample 0 and --log-compression:"},
		{[]string{"--admin-token", "t"}, "--http - and --admin-token:"},
		{[]string{"--max-in-flight", "10"}, "--http - and --max-in-flight:"},
		{[]string{"--max-connections", "10"}, "--http - and --max-connections:"},
		{[]string{"--shutdown-grace", "5s"}, "--http - and --shutdown-grace:"},
		{[]string{"--http-tls-cert", "c.pem", "--http-tls-key", "k.pem"}, "--http - and --http-tls-cert:"},
		{[]string{"--http", "127.0.0.1:0", "--http-tls-cert", "c.pem"}, "--http-tls-cert and --http-tls-key: give both"},
		// The embedded server took the port, and HTTP failed on it late.
		{[]string{"--http", "127.0.0.1:18080", "--nats-listen", "127.0.0.1:18080"}, "--http 127.0.0.1:18080 and --nats-listen 127.0.0.1:18080: one address for both"},
		{[]string{"--http", "127.0.0.1:18080", "--nats-listen", ":18080"}, "--http 127.0.0.1:18080 and --nats-listen :18080: one address"},
		{[]string{"--http", "[::]:18080", "--nats-listen", "127.0.0.1:18080"}, "--http [::]:18080 and --nats-listen 127.0.0.1:18080: one address"},
	} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"serve", "--http", "-", "--policies", "../../examples/policies", "--data-dir", t.TempDir()}, c.args...))
		if err := cmd.ExecuteContext(ctx); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q…", c.args, err, c.want)
		}
	}
	// Not conflicts: --no-nats given false, the token from the
	// environment beside --nats-url (it may serve another router).
	t.Setenv("RPL_NATS_TOKEN", "t")
	for _, args := range [][]string{
		{"--no-nats=false", "--nats-url", "nats://127.0.0.1:1", "--no-decision-log"},
		{"--nats-url", "nats://127.0.0.1:1", "--replicas", "3", "--no-decision-log"},
		{"--no-nats", "--bundle-bucket", "-", "--http", "127.0.0.1:0"},
		{"--no-decision-log", "--log-sample", "0"},
		{"--http", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0"},
		{"--log-sample", "0.5", "--log-max-age", "1h", "--log-compression", "none"},
		{"--http", "127.0.0.1:0", "--admin-token", "t", "--max-in-flight", "10", "--max-connections", "10", "--shutdown-grace", "1s"},
	} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"serve", "--http", "-", "--policies", "../../examples/policies", "--data-dir", t.TempDir()}, args...))
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// TestSameListen: the addresses --http and --nats-listen cannot share:
// one port on one host, or on every address for either; port 0 is any
// free one, two of which differ.
func TestSameListen(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{":8080", "127.0.0.1:8080", true},
		{"0.0.0.0:8080", "10.0.0.1:8080", true},
		{"[::1]:4222", "[::]:4222", true},
		{"127.0.0.1:8080", "127.0.0.2:8080", false},
		{"127.0.0.1:8080", "127.0.0.1:4222", false},
		{"127.0.0.1:0", "127.0.0.1:0", false},
		{"nonsense", "127.0.0.1:8080", false}, // refused by its listen, naming it
	} {
		if got := sameListen(c.a, c.b); got != c.same {
			t.Errorf("sameListen(%s, %s) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

// TestBundleBucketName: a --bundle-bucket that is no JetStream bucket
// name is refused at start, naming the flag; serve started, and its
// bundle watch failed on it for good (nats: invalid bucket name), logged
// once a minute.
func TestBundleBucketName(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, b := range []string{"bad name!", "rpl.bundles", "a*", "é"} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"serve", "--bundle-bucket", b, "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
		want := fmt.Sprintf("--bundle-bucket %q: not a JetStream key-value bucket name", b)
		if err := cmd.ExecuteContext(ctx); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("--bundle-bucket %q: %v, want %q…", b, err, want)
		}
	}
	for _, b := range []string{"-", "rpl_bundles", "Team-2_bundles"} {
		if err := bucketName(b); err != nil {
			t.Errorf("--bundle-bucket %q: %v", b, err)
		}
	}
}

// TestServeHelp: serve --help says what serve does, its endpoints and
// subjects, its exit status and examples, as every rplc command's does
// (it printed the one line "Decide requests over NATS and HTTP" and the
// flags); the root's help names its commands' purpose.
func TestServeHelp(t *testing.T) {
	for args, want := range map[string][]string{
		"serve --help": {"POST /v1/decide", "/v2/decide/batch", "rpl.v2.decide", "Exit status:", "Examples:", "rpl-router serve --policies examples/policies", "docs/router.md"},
		"--help":       {"for each request to an AI model", "Examples:", "serve", "bench"},
	} {
		c := root()
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(strings.Fields(args))
		if err := c.Execute(); err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s lacks %q:\n%s", args, w, out.String())
			}
		}
	}
}

// TestVersion: --version prints the build as rplc --version does (the
// router had none).
func TestVersion(t *testing.T) {
	c := root()
	var out bytes.Buffer
	c.SetOut(&out)
	c.SetArgs([]string{"--version"})
	if err := c.Execute(); err != nil || out.String() != bundle.CompilerVersion()+"\n" {
		t.Errorf("--version: %v %q, want %q", err, out.String(), bundle.CompilerVersion()+"\n")
	}
}

// TestFlagErrorPointsAtHelp: a wrong flag names the command's --help, as
// an unknown command does; it said "unknown flag: --bogus" alone.
func TestFlagErrorPointsAtHelp(t *testing.T) {
	for args, want := range map[string]string{
		"serve --bogus":        "Run 'rpl-router serve --help' for usage.",
		"serve --deadline ten": "Run 'rpl-router serve --help' for usage.",
		"bench --bogus":        "Run 'rpl-router bench --help' for usage.",
	} {
		c := root()
		var out bytes.Buffer
		c.SetOut(&out)
		c.SetErr(&out)
		c.SetArgs(strings.Fields(args))
		if err := c.Execute(); err == nil || !strings.Contains(out.String(), want) {
			t.Errorf("%s: %v\n%s", args, err, out.String())
		}
	}
}

// TestSetProcs: --procs N sets N processors, but where GOMAXPROCS in the
// environment sets them; one the Go runtime ignores (0, not a number)
// does not win (--procs 3 was ignored under GOMAXPROCS=0, the process
// left on every processor; found by a review).
func TestSetProcs(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(0))
	for _, c := range []struct {
		env  string
		want int
	}{{"", 3}, {"0", 3}, {"x", 3}, {"2", 1}} {
		goruntime.GOMAXPROCS(1)
		t.Setenv("GOMAXPROCS", c.env)
		if auto, err := setProcs("3"); auto || err != nil {
			t.Fatalf("setProcs 3: %v, %v", auto, err)
		}
		if p := goruntime.GOMAXPROCS(0); p != c.want {
			t.Errorf("GOMAXPROCS=%q, --procs 3: %d processors, want %d", c.env, p, c.want)
		}
	}
}

// TestLogFlags: --log-level and --log-format choose the lines written
// and their form (the debug lines documented were never shown); with
// tracing, the start says where spans go, the URL's secret redacted;
// values other than those taken are refused, naming them.
func TestLogFlags(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	var logs syncBuffer
	_, stop := startServe(t, &logs, "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir(),
		"--log-level", "debug", "--log-format", "json", "--otlp-endpoint", "http://user:s3cret@127.0.0.1:1")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	tracing := false
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("--log-format json: %q is no JSON object: %v", line, err)
		}
		tracing = tracing || m["level"] == "INFO" && strings.HasPrefix(m["msg"].(string), "tracing:") && m["endpoint"] == "http://user:xxxxx@127.0.0.1:1"
	}
	if !tracing || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("no line naming tracing's endpoint, redacted:\n%s", logs.String())
	}
	// The debug lines are written at debug alone.
	for level, want := range map[string]bool{"debug": true, "info": false} {
		var out bytes.Buffer
		l, err := newLogger(&out, level, "text")
		if err != nil {
			t.Fatal(err)
		}
		l.Debug("policy source unchanged")
		if got := strings.Contains(out.String(), "level=DEBUG"); got != want {
			t.Errorf("--log-level %s: a debug line written %v:\n%s", level, got, out.String())
		}
	}

	var warn syncBuffer
	_, stop = startServe(t, &warn, "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir(), "--log-level", "warn")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(warn.String(), "level=INFO") {
		t.Errorf("--log-level warn wrote INFO lines:\n%s", warn.String())
	}

	for _, c := range [][]string{{"--log-level", "verbose", `--log-level "verbose": want debug, info, warn or error`}, {"--log-format", "xml", `--log-format "xml": want text or json`}} {
		cmd := root()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"serve", c[0], c[1], "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()})
		if err := cmd.Execute(); err == nil || err.Error() != c[2] {
			t.Errorf("%s %s: %v, want %s", c[0], c[1], err, c[2])
		}
	}
}

// TestShutdownErrorOneLine: serve's shutdown error is one line, its
// errors joined by "; " (errors.Join's, one a line, broke the log's).
func TestShutdownErrorOneLine(t *testing.T) {
	a, b := errors.New("shutdown: a"), errors.New("shutdown: b")
	err := error(oneLine{errors.Join(a, b)})
	if err.Error() != "shutdown: a; shutdown: b" || !errors.Is(err, b) {
		t.Errorf("%q", err)
	}
}
