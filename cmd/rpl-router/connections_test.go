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
// connections open (4096 unless given, 0 for none, as /metrics says).
// With 1, a second connection has the first, an idle keep-alive, closed
// for it and is served at once (an idle pool kept new clients out until
// its idle timeout); a third, while the second is busy with a request,
// is not served until that request is answered, and the second, idle
// then, closed for it. (Every connection was accepted, without bound.)
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
	const request = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	type conn struct {
		net.Conn
		br *bufio.Reader
	}
	dial := func() conn {
		c, err := net.Dial("tcp", r.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return conn{c, bufio.NewReader(c)}
	}
	answer := func(c conn, wait time.Duration) (*http.Response, error) {
		c.SetReadDeadline(time.Now().Add(wait))
		return http.ReadResponse(c.br, nil)
	}
	served := func(what string, c conn) {
		t.Helper()
		resp, err := answer(c, 10*time.Second)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", what, resp, err)
		}
		io.Copy(io.Discard, resp.Body)
	}

	first := dial()
	fmt.Fprint(first, request+"\r\n")
	served("the first connection", first)
	second := dial()
	fmt.Fprint(second, request+"\r\n")
	served("the second connection, the first idle", second)
	if _, err := answer(first, 10*time.Second); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("the first connection, idle, not closed for the second: %v", err)
	}

	// A decide whose body the handler waits for: busy (the server's 100
	// Continue says the handler reads it).
	const decide = `{"version": "1", "request_id": "r-1", "tenant_id": "acme", "task": {"type": "chat"}}`
	fmt.Fprintf(second, "POST /v1/decide HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(decide))
	if resp, err := answer(second, 10*time.Second); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("the second connection's decide: %v %v, want 100 Continue", resp, err)
	}
	third := dial()
	fmt.Fprint(third, request+"\r\n")
	if resp, err := answer(third, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the third connection served beside the busy second: %v %v", resp, err)
	}
	fmt.Fprint(second, decide)
	served("the second connection's decide", second)
	served("the third connection, the second idle again", third)

	if _, err := fmt.Fprint(third, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	m, err := answer(third, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(m.Body)
	for _, line := range []string{"rpl_http_idle_closed_total 2", "rpl_http_connection_waits_total 2"} {
		if !strings.Contains(string(body), "\n"+line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}
