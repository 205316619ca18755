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
// keep-alives) keep a third from being served, the listener waiting for
// a slot, until one of them closes. Without the limit the third was
// served at once.
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
	// The server's accept loop waits for a slot: the third connection,
	// made by the kernel, is not accepted.
	for deadline := time.Now().Add(10 * time.Second); l.Waits() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the listener does not wait at its limit")
		}
	}
	if n := l.Open(); n != 2 {
		t.Errorf("%d connections open, want 2", n)
	}
	c3, r3 := dial()
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
