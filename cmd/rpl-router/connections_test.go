package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMaxConnections: serve keeps at most --max-connections HTTP
// connections open (4096 unless given, 0 for none, as /metrics says):
// with 1, a second connection is not served while the first, an idle
// keep-alive, stays open, and is once it closes. (Every connection was
// accepted, without bound.)
func TestMaxConnections(t *testing.T) {
	for flag, want := range map[string]string{"": "4096", "0": "0"} {
		args := []string{"--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir()}
		if flag != "" {
			args = append(args, "--max-connections", flag)
		}
		var logs syncBuffer
		r, stop := startServe(t, &logs, args...)
		resp, err := http.Get("http://" + r.HTTPAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if line := "\nrpl_http_connections_limit " + want + "\n"; !strings.Contains(string(body), line) {
			t.Errorf("--max-connections %q: /metrics lacks %q", flag, strings.TrimSpace(line))
		}
		http.DefaultClient.CloseIdleConnections()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}

	var logs syncBuffer
	r, _ := startServe(t, &logs, "--no-nats", "--http", "127.0.0.1:0", "--policies", "../../examples/policies", "--data-dir", t.TempDir(), "--max-connections", "1")
	get := func(c net.Conn, br *bufio.Reader, wait time.Duration) (*http.Response, error) {
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(wait))
		return http.ReadResponse(br, nil)
	}
	first, err := net.Dial("tcp", r.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if resp, err := get(first, bufio.NewReader(first), 10*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the first connection: %v %v", resp, err)
	}
	second, err := net.Dial("tcp", r.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	br := bufio.NewReader(second)
	if resp, err := get(second, br, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the second connection served beside the first: %v %v", resp, err)
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the second connection, once the first closed: %v %v", resp, err)
	}
}
