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
func TestShutdownServesRequestAfterDrain(t *testing.T) {
	for _, grace := range []time.Duration{0, 200 * time.Millisecond} {
		t.Run(fmt.Sprint("grace ", grace), func(t *testing.T) {
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
			fmt.Fprintf(c, "POST /v2/decide HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("a decide after the drain began: %v", err)
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
		})
	}
}
