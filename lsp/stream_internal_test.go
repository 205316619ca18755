package lsp

import (
	"bytes"
	"log"
	"strings"
	"testing"

	"github.com/sourcegraph/jsonrpc2"
)

// TestStreamClosed: once closed (the session has ended), the stream
// neither reads, answers nor logs what the client still sends, and writes
// nothing, over a connection whose Close does not end it (rplc's standard
// input and output, pipeConn here). The Conn reads on after its Close: a
// bad message sent after the session's end was answered with a parse
// error and logged, to a log the caller had closed, and a late response
// written.
func TestStreamClosed(t *testing.T) {
	in := strings.NewReader("Content-Length: 10\r\n\r\n{not json}" +
		"Content-Length: 44\r\n\r\n" + `{"jsonrpc":"2.0","id":1,"method":"shutdown"}`)
	var out, logged bytes.Buffer
	st := newStream(pipeConn{in, &out}, log.New(&logged, "", 0))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var req jsonrpc2.Request
	if err := st.ReadObject(&req); err != errStreamClosed {
		t.Errorf("ReadObject after Close: %v (%+v), want errStreamClosed", err, req)
	}
	if err := st.WriteObject(map[string]any{"jsonrpc": "2.0", "id": 1, "result": nil}); err != errStreamClosed {
		t.Errorf("WriteObject after Close: %v, want errStreamClosed", err)
	}
	if out.Len() != 0 || logged.Len() != 0 {
		t.Errorf("after Close, written %q, logged %q", out.String(), logged.String())
	}
	if in.Len() == 0 {
		t.Error("the input was read after Close")
	}
}
