package lsp

import (
	"bytes"
	"io"
	"log"
	"testing"

	"github.com/sourcegraph/jsonrpc2"
)

// pipeConn is a fixed input and a discarded output.
type pipeConn struct {
	io.Reader
	io.Writer
}

func (pipeConn) Close() error { return nil }

// FuzzStream: whatever bytes arrive, the stream reads them without
// panicking, answers what it cannot use, and ends (every message it
// returns consumed input, so it returns at most one per byte and then the
// input's end).
func FuzzStream(f *testing.F) {
	for _, s := range []string{
		"Content-Length: 2\r\n\r\n{}",
		"Content-Length: 52\r\n\r\n" + `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`[:52],
		"Content-Length: 10\r\n\r\n{not json}",
		"garbage\r\n\r\nContent-Length: 2\r\n\r\n[]",
		"Content-Length: abc\r\n\r\n{}Content-Length: 2\r\n\r\n{}",
		`Content-Length: 45` + "\r\n\r\n" + `{"jsonrpc":"2.0","id":{},"method":"shutdown"}`,
		"Content-Length: 99999999999\r\n\r\n{}",
		"\n\n\r\nContent-Length: 0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st := newStream(pipeConn{bytes.NewReader(data), io.Discard}, log.New(io.Discard, "", 0))
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("%d messages from %d bytes", n, len(data))
			}
			var m jsonrpc2.Request
			if err := st.ReadObject(&m); err != nil {
				return
			}
		}
	})
}
