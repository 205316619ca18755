package lsp

import (
	"bytes"
	"io"
	"log"
	"strings"
	"sync"
	"testing"
	"time"

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

// stuckConn's Write blocks, as a write to a client that does not read
// does, until Close.
type stuckConn struct {
	started, closed chan struct{}
	once            sync.Once
}

func (c *stuckConn) Read([]byte) (int, error) { <-c.closed; return 0, io.EOF }
func (c *stuckConn) Write(p []byte) (int, error) {
	close(c.started)
	<-c.closed
	return 0, io.ErrClosedPipe
}
func (c *stuckConn) Close() error { c.once.Do(func() { close(c.closed) }); return nil }

// TestCloseWhileWriteBlocked: Close, and the reader's checks, do not wait
// for a write blocked on a client that does not read: Close ends it.
// Close took the write's lock, and so waited for ever behind it (Serve
// hung on a canceled context).
func TestCloseWhileWriteBlocked(t *testing.T) {
	c := &stuckConn{started: make(chan struct{}), closed: make(chan struct{})}
	st := newStream(c, log.New(io.Discard, "", 0))
	wrote := make(chan error, 1)
	go func() { wrote <- st.write(bytes.Repeat([]byte("x"), 1<<20)) }()
	<-c.started // the write holds the stream, blocked
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // a deadlock, not a time measured
		t.Fatal("Close waited behind a blocked write")
	}
	if err := <-wrote; err == nil {
		t.Error("the blocked write succeeded after Close")
	}
	var req jsonrpc2.Request
	if err := st.ReadObject(&req); err != errStreamClosed {
		t.Errorf("ReadObject after Close: %v, want errStreamClosed", err)
	}
}

// garbage is endless input of header blocks that cannot be framed, each
// answered with a parse error; n counts the bytes read.
type garbage struct {
	mu sync.Mutex
	n  int
}

func (g *garbage) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "x\n\n"[i%3]
	}
	n := len(p) / 3 * 3
	g.mu.Lock()
	g.n += n
	g.mu.Unlock()
	return n, nil
}

func (g *garbage) read() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// blockedOut's Write blocks until the test ends: a client that does not
// read.
type blockedOut struct{ done <-chan struct{} }

func (b blockedOut) Write([]byte) (int, error) { <-b.done; return 0, io.ErrClosedPipe }

// TestReadAheadBoundedUnframed: while the answers to input that cannot be
// framed wait for a client that does not read, the header blocks read
// ahead are bounded (maxAhead), bodiless as they are: they counted
// nothing, and endless garbage was read into memory without end.
func TestReadAheadBoundedUnframed(t *testing.T) {
	defer func(old int) { maxAhead = old }(maxAhead)
	maxAhead = 100 << 8 // a hundred bodiless frames
	g := &garbage{}
	done := make(chan struct{})
	defer close(done)
	st := newStream(pipeConn{g, blockedOut{done}}, log.New(io.Discard, "", 0))
	go func() {
		var req jsonrpc2.Request
		st.ReadObject(&req) // answers the first block, and blocks writing
	}()
	for {
		st.aheadMu.Lock()
		full := st.aheadBytes >= st.maxAhead
		st.aheadMu.Unlock()
		if full {
			break
		}
		if n := g.read(); n > 1<<20 {
			t.Fatalf("read %d bytes ahead of the handlers, the bound never reached", n)
		}
		time.Sleep(time.Millisecond)
	}
	st.Close()
}
