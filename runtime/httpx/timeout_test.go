package httpx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/httpx"
	"github.com/rpl-lang/rpl/runtime/metrics"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestBodyReadTimeout: a body not received within the server's read
// timeout is answered 408 Request Timeout (it was 400), in the endpoint's
// error shape (invalid_request; CP1's with its context), naming the
// timeout, the connection closed; counted as unreadable.
func TestBodyReadTimeout(t *testing.T) {
	testBodyReadTimeout(t, 0)
}

// TestBodyReadTimeoutWriteTimeout: the 408 reaches the client when the
// server's write timeout is its read timeout, as the router's are (30 s
// each): net/http's write deadline runs from the end of the headers, a
// moment after the read deadline's start, and the answer written at the
// read deadline missed it (the client read EOF, no answer).
func TestBodyReadTimeoutWriteTimeout(t *testing.T) {
	testBodyReadTimeout(t, 200*time.Millisecond)
}

func testBodyReadTimeout(t *testing.T, writeTimeout time.Duration) {
	m := metrics.New()
	e, err := runtime.New(runtime.Config{State: state.NewMem(state.Options{}), Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), examples); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(httpx.New(e, httpx.Config{Metrics: m.Handler(), Hooks: runtime.Hooks{Refused: m.Refused}}))
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	defer srv.Close()
	for _, c := range []struct{ path, shape string }{
		{"/v1/decide", `"context"`},
		{"/v2/decide", `"ok":false`},
		{"/v2/feedback", `"ok":false`},
		{"/v2/policies/activate", `"ok":false`},
		{"/v2/policies/rollback", `"ok":false`},
	} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		// The headers, and part of the body: the rest never comes.
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"request\": ", c.path)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		var out struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(body, &out)
		if resp.StatusCode != http.StatusRequestTimeout || out.Error.Code != "invalid_request" ||
			!strings.Contains(out.Error.Message, "read timeout (200ms)") || !strings.Contains(string(body), c.shape) {
			t.Errorf("%s: %d %s, want 408 invalid_request naming the read timeout (200ms)", c.path, resp.StatusCode, body)
		}
		if !resp.Close {
			t.Errorf("%s: the connection is kept after a 408", c.path)
		}
	}
	_, _, metricsBody := do(t, "GET", srv.URL+"/metrics", "")
	if want := `rpl_refused_total{reason="unreadable",transport="http"} 3`; !strings.Contains(metricsBody, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}
