package httpx_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
	"github.com/rpl-lang/rpl/runtime/state"
)

// get sends GET /healthz on c, keeping the connection, and returns
// the status, or the read's error (deadline: wait at most).
func get(c net.Conn, r *bufio.Reader, wait time.Duration) (int, error) {
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(wait))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestConnectionLimit: with Limit(l, 2), two connections open (idle
// keep-alives, the server without the listener's ConnState hook) keep a
// third from being served, the listener waiting for a slot, until one of
// them closes. Without the limit the third was served at once.
func TestConnectionLimit(t *testing.T) {
	e, err := runtime.New(runtime.Config{State: state.NewMem(state.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(httpx.New(e, httpx.Config{MaxBody: 16}))
	l := httpx.Limit(srv.Listener, 2)
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	c1, r1 := dial()
	c2, r2 := dial()
	for _, c := range []struct {
		c net.Conn
		r *bufio.Reader
	}{{c1, r1}, {c2, r2}} {
		if status, err := get(c.c, c.r, 10*time.Second); err != nil || status != 200 {
			t.Fatalf("a connection within the limit: %d %v", status, err)
		}
	}
	// The server's accept loop, having accepted the third connection,
	// waits for a slot: it is not served.
	c3, r3 := dial()
	waitFor(t, "the listener to wait at its limit", func() bool { return l.Waits() == 1 })
	if n := l.Open(); n != 2 {
		t.Errorf("%d connections open, want 2", n)
	}
	if status, err := get(c3, r3, 200*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection beyond the limit was served: %d %v", status, err)
	}
	c1.Close()
	// Its request was sent: once c1's slot is free it is answered.
	c3.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(r3, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the connection beyond the limit, once one closed: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestLimitedConnCloseWrite: a connection the limiting listener accepts
// keeps the TCP half-close that net/http uses after an answer sent
// without reading the whole request (a body too large, or too slow), so
// that its client reads the answer before the connection goes: the peer
// reads EOF, and can still write to it.
func TestLimitedConnCloseWrite(t *testing.T) {
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := httpx.Limit(tl, 1)
	defer l.Close()
	peer, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		t.Fatal("the accepted connection cannot half-close (CloseWrite)")
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := peer.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("the peer read %d bytes, %v; want EOF", n, err)
	}
	if _, err := peer.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("half-closed, the connection read %d bytes, %v", n, err)
	}
	if l.Open() != 1 {
		t.Errorf("%d open, want 1", l.Open())
	}
	c.Close()
	c.Close() // the slot is given back once
	if l.Open() != 0 {
		t.Errorf("%d open after Close, want 0", l.Open())
	}
}

// waitFor waits for cond, for at most a minute (a condition that never
// comes fails the test, naming what).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}

// limitedServer serves h over loopback behind Limit(·, n), the listener's
// ConnState the server's hook, as the router's, with an idle timeout
// longer than any test waits; idles counts the times a connection went
// idle (the server told the hook: a client may read its answer before).
func limitedServer(t *testing.T, n int, h http.Handler) (l *httpx.Listener, idles *atomic.Int64) {
	t.Helper()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, idles = httpx.Limit(tl, n), new(atomic.Int64)
	srv := &http.Server{Handler: h, IdleTimeout: time.Hour, ConnState: func(c net.Conn, st http.ConnState) {
		l.ConnState(c, st)
		if st == http.StateIdle {
			idles.Add(1)
		}
	}}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l, idles
}

// dialTo opens a connection to l, closed at the end of the test.
func dialTo(t *testing.T, l net.Listener) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// healthy answers 200 to any request.
var healthy = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

// TestIdleClosedForWaiting: at the limit, a connection waiting for a
// slot is served at once when the others are idle keep-alives, the one
// idle longest closed to make room for it (counted, IdleClosed), the
// others kept. (It waited for one of them to close: the server's idle
// timeout, 2 minutes in the router, an hour here.)
func TestIdleClosedForWaiting(t *testing.T) {
	l, idles := limitedServer(t, 2, healthy)
	c1, r1 := dialTo(t, l)
	if status, err := get(c1, r1, time.Minute); err != nil || status != 200 {
		t.Fatalf("the first connection: %d %v", status, err)
	}
	waitFor(t, "the first connection to go idle", func() bool { return idles.Load() == 1 })
	c2, r2 := dialTo(t, l)
	if status, err := get(c2, r2, time.Minute); err != nil || status != 200 {
		t.Fatalf("the second connection: %d %v", status, err)
	}
	waitFor(t, "the second connection to go idle", func() bool { return idles.Load() == 2 })
	// Both idle, c1 the longer. A third connection is served.
	c3, r3 := dialTo(t, l)
	if status, err := get(c3, r3, time.Minute); err != nil || status != 200 {
		t.Fatalf("the connection beyond the limit, the others idle: %d %v", status, err)
	}
	if w, n := l.Waits(), l.IdleClosed(); w != 1 || n != 1 {
		t.Errorf("%d waits, %d idle connections closed; want 1 and 1", w, n)
	}
	// c1 was closed: its client reads the end.
	c1.SetReadDeadline(time.Now().Add(time.Minute))
	if n, err := r1.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("the connection idle longest: read %d bytes, %v; want EOF", n, err)
	}
	// c2 was kept, and c3 goes on.
	if status, err := get(c2, r2, time.Minute); err != nil || status != 200 {
		t.Errorf("the other idle connection: %d %v", status, err)
	}
	if status, err := get(c3, r3, time.Minute); err != nil || status != 200 {
		t.Errorf("the third connection's second request: %d %v", status, err)
	}
	if n := l.Open(); n != 2 {
		t.Errorf("%d connections open, want 2", n)
	}
}

// TestBusyKeptIdleClosedForWaiting: at the limit, a connection whose
// request is being handled is not closed for one waiting; when it has
// answered and goes idle, it is (its client reads the whole answer),
// and the waiting one is served.
func TestBusyKeptIdleClosedForWaiting(t *testing.T) {
	release, handling := make(chan struct{}), make(chan struct{})
	l, _ := limitedServer(t, 1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(handling)
			<-release
		}
		io.WriteString(w, "ok")
	}))
	c1, r1 := dialTo(t, l)
	fmt.Fprintf(c1, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	<-handling
	c2, r2 := dialTo(t, l)
	fmt.Fprintf(c2, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "the second connection to wait", func() bool { return l.Waits() == 1 })
	if n := l.IdleClosed(); n != 0 {
		t.Fatalf("%d connections closed, none idle", n)
	}
	close(release)
	c1.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(r1, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the busy connection's answer: %v %v", resp, err)
	}
	if body, err := io.ReadAll(resp.Body); string(body) != "ok" || err != nil {
		t.Errorf("the busy connection's answer: %q %v", body, err)
	}
	if n, err := r1.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("the connection gone idle: read %d bytes, %v; want EOF", n, err)
	}
	c2.SetReadDeadline(time.Now().Add(time.Minute))
	if resp, err := http.ReadResponse(r2, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the waiting connection: %v %v", resp, err)
	}
	if n := l.IdleClosed(); n != 1 {
		t.Errorf("%d idle connections closed, want 1", n)
	}
}

// TestIdleKeptWithoutWaiting: at the limit, with no connection waiting,
// idle keep-alives are kept, a pool as large as the limit not churned,
// and no wait is counted. (The listener waited for a slot, counted, as
// soon as the limit was reached, no connection waiting.)
func TestIdleKeptWithoutWaiting(t *testing.T) {
	l, _ := limitedServer(t, 2, healthy)
	c1, r1 := dialTo(t, l)
	c2, r2 := dialTo(t, l)
	for range 3 {
		for _, c := range []struct {
			c net.Conn
			r *bufio.Reader
		}{{c1, r1}, {c2, r2}} {
			if status, err := get(c.c, c.r, time.Minute); err != nil || status != 200 {
				t.Fatalf("a connection within the limit: %d %v", status, err)
			}
		}
	}
	if w, n := l.Waits(), l.IdleClosed(); w != 0 || n != 0 {
		t.Errorf("%d waits, %d idle connections closed; want none", w, n)
	}
}

// TestConnStateNoAlloc: the listener's ConnState hook costs a request
// (StateActive, then StateIdle) no allocation, nor does a read.
func TestConnStateNoAlloc(t *testing.T) {
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := httpx.Limit(tl, 2)
	defer l.Close()
	peer, _ := dialTo(t, l)
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := make([]byte, 1)
	if n := testing.AllocsPerRun(100, func() {
		peer.Write(b)
		c.Read(b)
		l.ConnState(c, http.StateActive)
		l.ConnState(c, http.StateIdle)
	}); n != 0 {
		t.Errorf("%v allocations a request", n)
	}
}

// BenchmarkKeepAlive: a request on a keep-alive connection over
// loopback, the server with the listener's ConnState hook or without.
func BenchmarkKeepAlive(b *testing.B) {
	for _, hook := range []bool{false, true} {
		b.Run(fmt.Sprintf("hook=%v", hook), func(b *testing.B) {
			tl, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			l := httpx.Limit(tl, 16)
			srv := &http.Server{Handler: healthy}
			if hook {
				srv.ConnState = l.ConnState
			}
			go srv.Serve(l)
			defer srv.Close()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			req := []byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			b.ReportAllocs()
			for b.Loop() {
				c.Write(req)
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// TestLimitMaxOpen: MaxOpen is the limit given, 0 for none (a limit of 0
// or less), as rpl_http_connections_limit exports it.
func TestLimitMaxOpen(t *testing.T) {
	for _, c := range []struct{ n, want int }{{3, 3}, {1, 1}, {0, 0}, {-1, 0}} {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l := httpx.Limit(tl, c.n)
		if got := l.MaxOpen(); got != c.want {
			t.Errorf("Limit(l, %d).MaxOpen() = %d, want %d", c.n, got, c.want)
		}
		l.Close()
	}
}

// TestCloseReadsArrivedRequest: a request that has arrived on a
// connection the server has not read yet when the listener closes (its
// goroutine not yet run) is still read: Close leaves such a connection
// freshGrace before it closes it. It closed it at once, and the request
// was lost unanswered.
func TestCloseReadsArrivedRequest(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := httpx.Limit(ln, 0)
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	req := "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(req))
	if _, err := io.ReadFull(sc, buf); err != nil || string(buf) != req {
		t.Fatalf("read %q, %v; want the request", buf, err)
	}
}

// TestSilentClosedForWaiting: at the limit, with the connections open
// silent (accepted, nothing sent: a slowloris, a pool's opened ahead), a
// connection waiting is served, the one silent longest closed to make
// room for it (counted, IdleClosed), the other kept and served after.
// It waited for the server's header timeout (none here: for ever).
func TestSilentClosedForWaiting(t *testing.T) {
	l, _ := limitedServer(t, 2, healthy)
	c1, r1 := dialTo(t, l)
	waitFor(t, "the first connection accepted", func() bool { return l.Open() == 1 })
	c2, r2 := dialTo(t, l)
	waitFor(t, "the second connection accepted", func() bool { return l.Open() == 2 })
	c3, r3 := dialTo(t, l)
	if status, err := get(c3, r3, time.Minute); err != nil || status != 200 {
		t.Fatalf("a connection beyond the limit, the others silent: %d %v", status, err)
	}
	c1.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := r1.ReadByte(); err != io.EOF {
		t.Errorf("the connection silent longest: read %v, want it closed (EOF)", err)
	}
	if status, err := get(c2, r2, time.Minute); err != nil || status != 200 {
		t.Errorf("the other silent connection: %d %v", status, err)
	}
	if n := l.IdleClosed(); n != 1 {
		t.Errorf("IdleClosed %d, want 1", n)
	}
}
