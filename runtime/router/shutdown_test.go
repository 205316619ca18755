package router_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// shutdown runs r.Shutdown in the background; its error arrives on the
// channel when it returns.
func shutdown(r *router.Router) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(context.Background()) }()
	return done
}

// TestShutdownDrainsHTTP: a decide whose body is half sent when Shutdown
// starts is answered 200 once its body completes; from the start of
// Shutdown new connections are refused, and NATS takes no new request
// either (the transports drain together); Shutdown returns only after
// the in-flight request was answered.
func TestShutdownDrainsHTTP(t *testing.T) {
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) }) // after a failure; a no-op once shut down
	addr := r.HTTPAddr()
	body := `{"request": {"id": "in-flight", "task": {"type": "chat"}}}`
	half := len(body) / 2

	// Expect: 100-continue makes the server say when the handler starts
	// reading the body: from then the request is in flight.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "POST /v2/decide HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, len(body))
	br := bufio.NewReader(c)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("before the body: %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line ending the 100
		t.Fatal(err)
	}
	io.WriteString(c, body[:half])
	client, err := natsx.ConnectInProcess(r.NATSServer(), nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	done := shutdown(r)
	// New connections are refused once Shutdown has begun (a bounded
	// poll: Shutdown closes the listener first thing it does for HTTP).
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		nc.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still accepted 10s after Shutdown began")
		}
		time.Sleep(2 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		_, err := client.Request(natsx.SubjectDecide, []byte(body), time.Second)
		if errors.Is(err, nats.ErrNoResponders) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("NATS still takes requests (%v) 10s after Shutdown began, an HTTP request in flight", err)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}

	io.WriteString(c, body[half:])
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request was not answered: %v", err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(data, &out) != nil || out["ok"] != true {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, data)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown did not return after the in-flight request was answered")
	}
}

// TestShutdownDrainsNATS: the requests the router has received on NATS
// when Shutdown starts are answered (Shutdown drains the subscriptions:
// Server.Drain waits for those delivered to be answered) before it
// returns, and none is left without an answer.
func TestShutdownDrainsNATS(t *testing.T) {
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NoLog: true, BundleBucket: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	client, err := natsx.ConnectInProcess(r.NATSServer(), nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	replies := make(chan *nats.Msg, 64)
	inbox := nats.NewInbox()
	if _, err := client.ChanSubscribe(inbox+".*", replies); err != nil {
		t.Fatal(err)
	}

	// Batches go to one subscription per two cores, answered one after
	// the other: a few big ones queue behind each other in the router.
	const batches, size = 16, 1000
	var reqs []string
	for i := range size {
		reqs = append(reqs, fmt.Sprintf(`{"request": {"id": "b-%d", "tenant": {"id": "t-%d"}, "task": {"type": "chat"}}}`, i, i%7))
	}
	batch := []byte(`{"requests": [` + strings.Join(reqs, ",") + `]}`)
	before := r.NATS().Stats().InMsgs
	for i := range batches {
		if err := client.PublishRequest(natsx.SubjectBatch, fmt.Sprintf("%s.%d", inbox, i), batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	// Wait until the router's connection has received every batch (its
	// client-side count; bounded poll), then shut down while some are
	// still unanswered.
	deadline := time.Now().Add(10 * time.Second)
	for r.NATS().Stats().InMsgs-before < batches {
		if time.Now().After(deadline) {
			t.Fatalf("the router received %d of %d batches", r.NATS().Stats().InMsgs-before, batches)
		}
		time.Sleep(time.Millisecond)
	}
	answeredBefore := len(replies)
	if answeredBefore == batches {
		t.Fatalf("all %d batches answered before Shutdown began: nothing was in flight", batches)
	}
	t.Logf("%d of %d batches answered when Shutdown began", answeredBefore, batches)
	if err := <-shutdown(r); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Every reply was sent before Shutdown returned; the client (its
	// server gone) has them or never will.
	got := map[string]bool{}
	for len(got) < batches {
		select {
		case m := <-replies:
			var out struct {
				OK      bool              `json:"ok"`
				Results []json.RawMessage `json:"results"`
			}
			if err := json.Unmarshal(m.Data, &out); err != nil || !out.OK || len(out.Results) != size {
				t.Fatalf("%s: %.200s", m.Subject, m.Data)
			}
			got[m.Subject] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d batches answered (%d before Shutdown began): the drain lost those in flight", len(got), batches, answeredBefore)
		}
	}
}

// TestShutdownGrace: during ShutdownGrace, /readyz answers 503 (shutting
// down) while HTTP still serves /healthz and decisions, so that a load
// balancer sees the router leave (the listener closed at once: /readyz
// was never 503, only refused; found by a review); then connections are
// refused. The grace, 5 s, is long enough for the requests made during
// it on a loaded machine (it was 1 s, with a hand-written wait).
func TestShutdownGrace(t *testing.T) {
	const grace = 5 * time.Second
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		ShutdownGrace: grace, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	addr := r.HTTPAddr()
	// A connection per request: one kept alive would be served after
	// the listener closed.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s during the grace: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	get := func(path string) (int, string) { t.Helper(); return do("GET", path, "") }
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz %d before Shutdown", code)
	}
	done := shutdown(r)
	waitUntil(t, "/readyz answering 503 shutting down", func() bool {
		code, body := get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, `"shutting_down":true`)
	})
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d during the grace, want 200", code)
	}
	if _, out := do("POST", "/v2/decide", `{"request": {"id": "in-grace"}}`); !strings.Contains(out, `"ok":true`) {
		t.Errorf("a decision during the grace: %s", out)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(grace + 20*time.Second):
		t.Fatalf("Shutdown still running 20 s after the %v grace", grace)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("connections still accepted after Shutdown")
	}
}

// slowPolicy is a directory whose default policy runs fib of the
// request's input tokens: with 60, far longer than any test waits.
func slowPolicy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := "package default\n\nfn fib(n: int) -> int = if n < 2 { n } else { fib(n - 1) + fib(n - 2) }\n\nfn route(r: Request) -> Decision = to(\"a:m\").tag(\"f\", string(fib(r.estimate.input_tokens)))\n"
	if err := os.WriteFile(filepath.Join(dir, "default.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestShutdownDrainRunsOut: a decision still running when the drain
// runs out is cancelled and answered overloaded, to be retried, not left without an
// answer when the connection closes (the client saw the connection
// drop); Shutdown says that the drain ended with it in flight.
func TestShutdownDrainRunsOut(t *testing.T) {
	dir := slowPolicy(t)
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true, Logger: quiet(),
		Deadline: time.Minute, Limits: rpl.Limits{Fuel: 1 << 50}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	type answer struct {
		status int
		body   string
		err    error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Post("http://"+r.HTTPAddr()+"/v2/decide", "application/json", strings.NewReader(`{"request": {"id": "long", "estimate": {"input_tokens": 60}}}`))
		if err != nil {
			got <- answer{err: err}
			return
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- answer{status: resp.StatusCode, body: string(data)}
	}()
	// In flight once its run has started: the decision counter does not
	// say, but a run of fib(60) lasts far longer than this wait.
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = r.Shutdown(ctx)
	if err == nil || !strings.Contains(err.Error(), "the drain ran out with 1 request in flight, cancelled") {
		t.Errorf("Shutdown: %v, want the drain's end said", err)
	}
	select {
	case a := <-got:
		if a.err != nil || a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, `"code":"overloaded"`) || !strings.Contains(a.body, "cancelled") {
			t.Errorf("the request in flight: %d %s %v, want 503 overloaded, to be retried", a.status, a.body, a.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request in flight was not answered")
	}
}

// TestShutdownDrainRunsOutNATS: over NATS, the decisions running and
// those queued in the subscriptions when the drain runs out are all
// answered (overloaded, to be retried) before the connection closes, and
// Shutdown counts them. The drain's wait for the handlers panicked now
// and then (a WaitGroup added to from zero while waited on, the queued
// messages still delivered), and the queued requests went unanswered.
func TestShutdownDrainRunsOutNATS(t *testing.T) {
	dir := slowPolicy(t)
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "-", NoLog: true, BundleBucket: "-", Logger: quiet(),
		Deadline: time.Minute, Limits: rpl.Limits{Fuel: 1 << 50}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	client, err := natsx.ConnectInProcess(r.NATSServer(), nats.Name("test-client"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const n = 40
	answers := make(chan string, n)
	for i := range n {
		go func() {
			m, err := client.Request(natsx.SubjectDecide, fmt.Appendf(nil, `{"request": {"id": "long-%d", "estimate": {"input_tokens": 60}}}`, i), 20*time.Second)
			if err != nil {
				answers <- "error: " + err.Error()
				return
			}
			answers <- string(m.Data)
		}()
	}
	time.Sleep(300 * time.Millisecond) // all sent, two running
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = r.Shutdown(ctx)
	if want := fmt.Sprintf("the drain ran out with %d requests in flight", n); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Shutdown: %v, want %q", err, want)
	}
	for range n {
		select {
		case a := <-answers:
			if !strings.Contains(a, `"code":"overloaded"`) {
				t.Errorf("a request in flight: %.200s, want overloaded", a)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a request in flight was not answered")
		}
	}
}

// TestShutdownDrainRunsOutClosesConnections: when the drain runs out with
// a request still being received (its body half sent), Shutdown closes
// its connection before it returns. The connection stayed open, its
// handler reading on, until the server's 30 s read timeout, past the
// router's shutdown.
func TestShutdownDrainRunsOutClosesConnections(t *testing.T) {
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	c, err := net.Dial("tcp", r.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /v2/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"request\": ")
	time.Sleep(100 * time.Millisecond) // the handler reads the body
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := r.Shutdown(ctx); err == nil {
		t.Error("Shutdown: no error, the drain ran out with a connection open")
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("the connection still open after Shutdown: %v", err)
	}
}

// TestShutdownGraceEndsKeepAlives: from the start of a shutdown, answers
// say Connection: close. Connections kept alive (a gateway's pool, or
// through a load balancer at the TCP level) stayed on the router for the
// whole grace, which no load balancer could move elsewhere, and at its
// end Shutdown closed each as it went idle, a POST just sent on it failing
// with EOF or a reset, its client not knowing whether it was decided
// (about one per connection: 15 for 16 clients, rpl-router serve
// --shutdown-grace 1s under load). Now a client opens a new connection,
// which a load balancer sends elsewhere. A keep-alive idle when the
// shutdown starts is not closed then (under a client that may be sending
// on it, as http.Server.SetKeepAlivesEnabled(false) closed it): its next
// request is answered, with Connection: close.
func TestShutdownGraceEndsKeepAlives(t *testing.T) {
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		ShutdownGrace: 5 * time.Second, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(context.Background()) })
	addr := r.HTTPAddr()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	decide := func(id string) *http.Response {
		t.Helper()
		body := `{"request": {"id": "` + id + `"}}`
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "POST /v2/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", id, resp.Status)
		}
		return resp
	}
	if resp := decide("before"); resp.Close {
		t.Fatal("the connection is not kept alive before the shutdown")
	}
	done := shutdown(r)
	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	waitUntil(t, "/readyz answering 503", func() bool {
		resp, err := probe.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	// The same connection, idle since: answered, and closed after.
	if resp := decide("in-grace"); !resp.Close {
		t.Error("an answer during the shutdown's grace keeps its connection alive: want Connection: close")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after an answer with Connection: close, read %v, want EOF", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestShutdownCutsWatchedBuild: a build of the policy directory that its
// watch began (a change saved) ends with the shutdown, which returns at
// its context's end: Shutdown waited for the build, and a build whose
// policies' tests run long (many of them) held it for as long as they
// ran. The build cut short refused nothing: no failed load is reported,
// and the version stays.
func TestShutdownCutsWatchedBuild(t *testing.T) {
	dir := slowPolicy(t)
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	v := r.Engine.Current().Version
	building := make(chan struct{})
	var once sync.Once
	router.BeforeLocalBuild(t, func() { once.Do(func() { close(building) }) })
	// 3,000 tests of fib(21), each within the tests' fuel (about
	// 350,000), all of them far longer than any test waits.
	tests := []byte("package default\n")
	for i := range 3000 {
		tests = fmt.Appendf(tests, "\ntest \"slow %d\" {\n  expect fib(21) > 0\n}\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "default_test.rpl"), tests, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case <-building:
	case <-time.After(10 * time.Second): // a hang, not a time measured
		t.Fatal("the watch did not build the changed directory")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second): // a hang, not a time measured
		t.Fatal("Shutdown did not return: it waits for the watch's build")
	}
	if st := r.Engine.Status(); st.Version != v || st.LastError != "" || st.ReloadFailures != 0 {
		t.Errorf("after the build cut short: %+v", st)
	}
}

// TestShutdownWhileLoadWaits: a load of the policy directory that its
// watch began, waiting for another load to end (an HTTP reload, which
// runs to its end, past a shutdown), gives up when the shutdown starts,
// which returns at its context's end: Shutdown waited for the watch,
// and so for the other load, however long it ran.
func TestShutdownWhileLoadWaits(t *testing.T) {
	dir := copyExamples(t)
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	release := r.HoldLoads() // a reload under way
	defer release()
	waiting := make(chan struct{})
	var once sync.Once
	router.WaitingLoad(t, func() { once.Do(func() { close(waiting) }) })
	if err := os.WriteFile(filepath.Join(dir, "extra.rpl"), []byte("package extra\n\nfn route(r: Request) -> Decision = to(\"a:m\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case <-waiting:
	case <-time.After(10 * time.Second): // a hang, not a time measured
		t.Fatal("the watch's load did not wait for the other")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second): // a hang, not a time measured
		t.Fatal("Shutdown did not return: the watch's load waits for the other")
	}
	if st := r.Engine.Status(); st.LastError != "" || st.ReloadFailures != 0 {
		t.Errorf("after the load cut short: %+v", st)
	}
}
