package router_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestShutdownServesRequestAfterDrain: a decide written, once the
// listener has stopped accepting, on a connection opened before
// Shutdown that had sent nothing yet is answered (Connection: close),
// with no grace and after one; Shutdown returns nil once it is. The
// connection was closed without an answer: Go's server drops a request
// it reads once its Shutdown has begun, which the router called first.
// A connection silent for 200 ms after the listener stopped is closed
// (httpx.Listener.Drain): a try whose request went out later than that
// after Shutdown began (a loaded machine) is owed no answer, and is made
// again, up to 5 times.
func TestShutdownServesRequestAfterDrain(t *testing.T) {
	for _, grace := range []time.Duration{0, 200 * time.Millisecond} {
		t.Run(fmt.Sprint("grace ", grace), func(t *testing.T) {
			for try := 1; ; try++ {
				late, err := serveAfterDrain(t, grace)
				if err == nil {
					return
				}
				if !late || try == 5 {
					t.Fatalf("a decide after the drain began (try %d, late %v): %v", try, late, err)
				}
			}
		})
	}
}

// serveAfterDrain is a try of TestShutdownServesRequestAfterDrain: the
// decide's failure, and whether its request went out 150 ms or more after
// Shutdown began.
func serveAfterDrain(t *testing.T, grace time.Duration) (late bool, _ error) {
	r, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		ShutdownGrace: grace, Logger: quiet()})
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
	began := time.Now()
	done := shutdown(r)
	waitUntil(t, "the listener refusing connections", func() bool {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			time.Sleep(20 * time.Millisecond) // a dial a time
		}
		return err != nil
	})
	body := `{"request": {"id": "after-drain", "task": {"type": "chat"}}}`
	c.SetDeadline(time.Now().Add(time.Minute))
	late = time.Since(began) >= 150*time.Millisecond
	fmt.Fprintf(c, "POST /v2/decide HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return late, err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close || !strings.Contains(string(out), `"ok":true`) {
		t.Errorf("a decide after the drain began: %d (Connection: close %v) %s", resp.StatusCode, resp.Close, out)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Shutdown still running a minute on")
	}
	return late, nil
}
