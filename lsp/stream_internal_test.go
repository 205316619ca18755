package lsp

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
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
// answered with a parse error.
type garbage struct{}

func (garbage) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "x\n\n"[i%3]
	}
	return len(p) / 3 * 3, nil
}

// blockedOut's Write blocks until the test ends: a client that does not
// read.
type blockedOut struct{ done <-chan struct{} }

func (b blockedOut) Write([]byte) (int, error) { <-b.done; return 0, io.ErrClosedPipe }

// counted reads r and counts the bytes read; past a megabyte, a bound
// never reached, it blocks until stop is closed and then ends the input.
type counted struct {
	r    io.Reader
	stop chan struct{}
	mu   sync.Mutex
	n    int
}

const countedMost = 1 << 20

func (c *counted) Read(p []byte) (int, error) {
	if c.read() >= countedMost {
		<-c.stop
		return 0, io.EOF
	}
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
	return n, err
}

func (c *counted) read() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// waitReaderWaits returns once every goroutine of the test's bubble
// (synctest), the stream's read-ahead among them, is blocked, failing the
// test if the read-ahead read a megabyte from in: it never waited for
// room.
func waitReaderWaits(t *testing.T, in *counted) {
	t.Helper()
	synctest.Wait()
	if n := in.read(); n >= countedMost {
		t.Fatalf("read %d bytes ahead of the handlers, and never waited", n)
	}
}

// readBuffer is the size of the stream's bufio.Reader: what it may have
// read beyond the frames queued.
const readBuffer = 4096

// TestReadAheadBoundedUnframed: while the answers to input that cannot be
// framed wait for a client that does not read, the header blocks read
// ahead are bounded (maxAhead), bodiless as they are: they counted
// nothing, and endless garbage was read into memory without end. Once
// the read-ahead waits, what it read is the frames queued and one
// buffer.
func TestReadAheadBoundedUnframed(t *testing.T) {
	defer func(old int) { maxAhead = old }(maxAhead)
	maxAhead = 100 << 8 // a hundred bodiless frames
	synctest.Test(t, func(t *testing.T) {
		in := &counted{r: garbage{}, stop: make(chan struct{})}
		defer close(in.stop)
		done := make(chan struct{})
		defer close(done)
		st := newStream(pipeConn{in, blockedOut{done}}, log.New(io.Discard, "", 0))
		defer st.Close()
		go func() {
			var req jsonrpc2.Request
			st.ReadObject(&req) // answers the first block, and blocks writing
		}()
		waitReaderWaits(t, in)
		st.aheadMu.Lock()
		queued, bytes := len(st.ahead), st.aheadBytes
		st.aheadMu.Unlock()
		// Each block is "x\n\n": the one answered, those queued, the one
		// waiting for room.
		if n, most := in.read(), (queued+2)*3+readBuffer; bytes > maxAhead || n > most {
			t.Errorf("read %d bytes ahead (%d frames counting %d), want at most %d and %d counted", n, queued, bytes, most, maxAhead)
		}
	})
}

// framed is endless input of messages, each a body of size bytes.
type framed struct {
	msg []byte
	off int
}

func newFramed(size int) *framed {
	body := bytes.Repeat([]byte(" "), size)
	return &framed{msg: append([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n", size)), body...)}
}

func (f *framed) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], f.msg[f.off:])
		n += c
		f.off = (f.off + c) % len(f.msg)
	}
	return n, nil
}

// TestReadAheadBoundedBodies: the messages read ahead and not yet handled
// hold at most maxAhead bytes, or one message when it is larger, and the
// read-ahead waits for room before it reads a body. It read a whole body
// before it waited, and queued it then whatever its size: some three
// times maxAhead held.
func TestReadAheadBoundedBodies(t *testing.T) {
	defer func(old int) { maxAhead = old }(maxAhead)
	maxAhead = 100 << 10
	const size = 64 << 10
	synctest.Test(t, func(t *testing.T) {
		f := newFramed(size)
		in := &counted{r: f, stop: make(chan struct{})}
		defer close(in.stop)
		st := newStream(pipeConn{in, io.Discard}, log.New(io.Discard, "", 0))
		defer st.Close()
		st.aheadOnce.Do(func() { go st.readAhead() }) // no handler takes them
		waitReaderWaits(t, in)
		st.aheadMu.Lock()
		queued, counted := len(st.ahead), st.aheadBytes
		st.aheadMu.Unlock()
		if most := max(maxAhead, frameCost(size)); counted > most {
			t.Errorf("%d messages of %d bytes read ahead, counting %d: want at most %d", queued, size, counted, most)
		}
		// The messages queued, and the header of the one waiting for room.
		if n, most := in.read(), queued*len(f.msg)+(len(f.msg)-size)+readBuffer; n > most {
			t.Errorf("read %d bytes with %d messages queued, want at most %d", n, queued, most)
		}
	})
}

// slowReader is a client whose input has ended and which takes each
// Write of the stream when the test lets it (take).
type slowReader struct {
	take   chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (c *slowReader) Read([]byte) (int, error) { return 0, io.EOF }
func (c *slowReader) Write(p []byte) (int, error) {
	select {
	case <-c.take:
		return len(p), nil
	case <-c.closed:
		return 0, io.ErrClosedPipe
	}
}
func (c *slowReader) Close() error { c.once.Do(func() { close(c.closed) }); return nil }

// TestWriteGraceRenewed: once the input has ended, the grace of a write
// counts from the last chunk the client took: a client that closed its
// input and still reads a large answer, slowly, gets it whole, and one
// that then takes nothing for the grace has its write abandoned. The
// grace counted from the input's end, whatever the client read, and cut
// off a slow reader (rplc lsp < script | less) with a log saying it took
// nothing. The timer is the test's: no time is measured.
func TestWriteGraceRenewed(t *testing.T) {
	fire := make(chan time.Time)
	renewed := make(chan struct{}, 16)
	defer func(old func(time.Duration) (<-chan time.Time, func(), func())) { graceTimer = old }(graceTimer)
	graceTimer = func(time.Duration) (<-chan time.Time, func(), func()) {
		return fire, func() { renewed <- struct{}{} }, func() {}
	}
	c := &slowReader{take: make(chan struct{}), closed: make(chan struct{})}
	st := newStream(c, log.New(io.Discard, "", 0))
	defer st.Close()
	var req jsonrpc2.Request
	if err := st.ReadObject(&req); err != io.EOF {
		t.Fatalf("ReadObject: %v, want io.EOF", err)
	}
	wrote := make(chan error, 1)
	go func() { wrote <- st.write(bytes.Repeat([]byte("x"), 3*writeChunk)) }()
	deadline := time.After(time.Minute) // a deadlock, not a time measured
	take := func() {
		select {
		case c.take <- struct{}{}:
		case <-deadline:
			t.Fatal("the write is in one chunk")
		}
	}
	for range 3 {
		take()
		select {
		case <-renewed:
		case <-deadline:
			t.Fatal("the client took a chunk, and the grace was not renewed")
		}
	}
	take() // the last bytes
	written := func(what string) error {
		select {
		case err := <-wrote:
			return err
		case <-deadline:
			t.Fatalf("%s never returned", what)
			return nil
		}
	}
	if err := written("the write read slowly"); err != nil {
		t.Fatalf("the write read slowly: %v, want it whole", err)
	}
	// A client that takes nothing for the grace.
	go func() { wrote <- st.write([]byte("{}")) }()
	select {
	case fire <- time.Now():
	case <-deadline:
		t.Fatal("the write the client took nothing of waits for no grace")
	}
	if err := written("the write the client took nothing of"); err != errWriteAbandoned {
		t.Errorf("the write the client took nothing of: %v, want errWriteAbandoned", err)
	}
}
