package httpx_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/httpx"
)

// TestDrainLoaded: clients looping, each request on a connection of its
// own (every answer says Connection: close, as the router's do while it
// shuts down), lose none of them to a drain: Drain accepts the
// connections already made before it stops the listener, and serves
// every request that has arrived on them before http.Server.Shutdown
// runs. The clients dial until the listener's last pass of accepts
// begins (BeforeStop): a connection made after that, as the listener
// closes, is reset by the kernel, which no server can answer. Without
// Drain (Shutdown alone), requests read once Shutdown had begun, and
// connections in the backlog, were dropped without an answer.
func TestDrainLoaded(t *testing.T) {
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := httpx.Limit(tl, 8)
	var gate sync.RWMutex
	stopped := false
	httpx.BeforeStop(l, func() {
		gate.Lock()
		stopped = true
		gate.Unlock()
	})
	srv := &http.Server{ConnState: l.ConnState, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "ok")
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	addr := l.Addr().String()

	const clients = 16
	var answered atomic.Int64
	var mu sync.Mutex
	var failures []error
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				gate.RLock()
				if stopped {
					gate.RUnlock()
					return
				}
				c, err := net.Dial("tcp", addr)
				gate.RUnlock()
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Errorf("dial before the listener's last pass: %w", err))
					mu.Unlock()
					return
				}
				c.SetDeadline(time.Now().Add(time.Minute))
				fmt.Fprintf(c, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				c.Close()
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					continue
				}
				answered.Add(1)
			}
		})
	}
	waitFor(t, "200 answers", func() bool { return answered.Load() >= 200 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown after Drain: %v", err)
	}
	wg.Wait()
	if err := <-served; !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v", err)
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d requests got no answer, the first: %v", len(failures), int64(len(failures))+answered.Load(), failures[0])
	}
	if n := l.Open(); n != 0 {
		t.Errorf("%d connections open after Drain", n)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("a connection accepted after Drain")
	}
}

// TestDrainServesFreshConnection: a request written, once the listener
// has stopped accepting, on a connection accepted before the drain that
// had sent nothing is read and answered (Drain leaves such a connection
// freshGrace); Drain returns once it has closed.
func TestDrainServesFreshConnection(t *testing.T) {
	l, _ := limitedServer(t, 0, healthy)
	c, r := dialTo(t, l)
	waitFor(t, "the connection accepted", func() bool { return l.Open() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- l.Drain(ctx) }()
	waitFor(t, "the listener refusing connections", func() bool {
		nc, err := net.Dial("tcp", l.Addr().String())
		if err == nil {
			nc.Close()
			time.Sleep(20 * time.Millisecond) // past acceptTail: it stops
		}
		return err != nil
	})
	if status, err := get(c, r, time.Minute); err != nil || status != 200 {
		t.Fatalf("a request after the drain began: %d %v", status, err)
	}
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
}
