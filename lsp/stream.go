package lsp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/rpl-lang/rpl/internal/textcut"
)

// stream is the server's jsonrpc2.ObjectStream: the LSP base protocol's
// Content-Length framing around JSON-RPC 2.0 messages. Unlike
// jsonrpc2.VSCodeObjectCodec, whose every error closes the connection, it
// survives bad input: a body that is not JSON is answered with a parse error
// (-32700), JSON that is no request or response with an invalid request
// (-32600), both with the message's id when one can be read and id null
// otherwise, as JSON-RPC 2.0 requires, and a header block
// that cannot be framed (no Content-Length, one that is not a number, or
// one past maxContentLength) is answered with a parse error and skipped up
// to the next header block.
// Every such message is logged. ReadObject returns an error only when the
// input ends or cannot be read.
//
// The input is read ahead (readAhead), up to maxAhead bytes of messages
// not yet handled, so that its end is seen while a handler is blocked
// writing to a client that does not read: a write blocked then is
// abandoned after writeGrace (see write).
type stream struct {
	conn io.ReadWriteCloser
	r    *bufio.Reader
	log  *log.Logger

	mu sync.Mutex // one write at a time: replies to bad input and the Conn's writes
	// closing is closed by Close: nothing is written, read or logged
	// after it, and a write blocked on a client that does not read
	// returns then, whether the connection's Close ends its Write or not
	// (see write). Not under mu, which that write holds: Close, which
	// ends it, and the reader would wait behind it.
	closing   chan struct{}
	closeOnce sync.Once

	errMu   sync.Mutex
	readErr error // why reading stopped

	// The frames read ahead (readAhead) and not yet taken by ReadObject,
	// under aheadMu; aheadWake is signaled when one is added or taken, and
	// when the stream closes. inputEnded is closed when the input has
	// ended (or failed): the last frame queued carries its error.
	aheadOnce  sync.Once
	aheadMu    sync.Mutex
	aheadWake  *sync.Cond
	ahead      []frame
	aheadBytes int
	inputEnded chan struct{}
	maxAhead   int // maxAhead when the stream was made
}

// frame is one header block and body read, or why none could be.
type frame struct {
	body []byte
	err  error
}

func newStream(conn io.ReadWriteCloser, l *log.Logger) *stream {
	st := &stream{conn: conn, r: bufio.NewReader(conn), log: l, closing: make(chan struct{}), inputEnded: make(chan struct{}), maxAhead: maxAhead}
	st.aheadWake = sync.NewCond(&st.aheadMu)
	return st
}

// maxAhead bounds the bytes of the frames read ahead and not yet handled:
// beyond it, reading waits for the handlers. Set before a stream is made
// (tests).
var maxAhead = maxContentLength

// frameCost is what a frame read ahead counts against maxAhead: its body,
// and a share for the frame itself, so that header blocks without a body
// (input that cannot be framed, each answered with an error) are bounded
// too while the answers wait for a client that does not read.
func frameCost(bodyLen int) int { return bodyLen + 256 }

// writeGrace is how long a write goes on, once the input has ended,
// with the client taking none of it, before it is abandoned and the
// stream closed (see write). Set before a write (tests).
var writeGrace = 10 * time.Second

// maxHeaderLine bounds a header line, so that input without line breaks
// cannot grow the buffer without end.
const maxHeaderLine = 64 << 10

// maxContentLength bounds a message's body (64 MiB, far above any real
// message): a larger Content-Length is taken for a broken header, lest
// the body it announces swallow every message after it.
const maxContentLength = 64 << 20

// errUnframed is a header block from which no message can be cut.
type errUnframed struct{ reason string }

func (e *errUnframed) Error() string { return e.reason }

// WriteObject implements jsonrpc2.ObjectStream.
func (st *stream) WriteObject(obj any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return st.write(data)
}

// write writes data framed, in Writes of the connection of writeChunk
// bytes at most, made on a goroutine of their own: when the client does
// not read (its end of a pipe full), Close ends the write, which returns
// errStreamClosed, even over a connection whose Close does not end a Write
// under way (rplc's standard output). The Writes then go on alone until
// the connection takes them or fails; nothing is written after them.
// Every write waited for them, and Serve for ever, its flush of
// diagnostics or its answer blocked when the input ended or its context
// was canceled.
//
// A write that, once the input has ended, has the client take nothing
// (no Write of a chunk ends) for writeGrace is abandoned, and the stream
// closed (errWriteAbandoned): the client that closed its end and takes
// nothing for so long has gone. A client that still reads, slowly (rplc
// lsp < script | less), is waited for: the grace counts from the last
// chunk it took, where it counted from the input's end, and a large
// answer read slowly was cut off. The input's end was not seen while a
// handler was blocked answering (the reader waited for it), and Serve
// waited for the context or for ever.
func (st *stream) write(data []byte) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.isClosed() {
		return errStreamClosed
	}
	frame := make([]byte, 0, len(data)+40)
	frame = strconv.AppendInt(append(frame, "Content-Length: "...), int64(len(data)), 10)
	frame = append(append(frame, "\r\n\r\n"...), data...)
	wrote := make(chan error, 1)
	took := make(chan struct{}, 1) // a chunk was written
	go func() {
		var err error
		for off := 0; off < len(frame) && err == nil; {
			var n int
			n, err = st.conn.Write(frame[off:min(off+writeChunk, len(frame))])
			off += n
			select {
			case took <- struct{}{}:
			default:
			}
		}
		wrote <- err
	}()
	select {
	case err := <-wrote:
		return err
	case <-st.closing:
		return errStreamClosed
	case <-st.inputEnded:
	}
	grace, renew, stop := graceTimer(writeGrace)
	defer stop()
	for {
		select {
		case err := <-wrote:
			return err
		case <-st.closing:
			return errStreamClosed
		case <-took:
			renew()
		case <-grace:
			st.logf("abandoned a write of %d bytes: the input has ended, and the client took nothing for %v", len(frame), writeGrace)
			st.shut()
			return errWriteAbandoned
		}
	}
}

// writeChunk is the most bytes of one Write of the connection: a client
// that takes a chunk within writeGrace is still reading (see write).
const writeChunk = 16 << 10

// graceTimer starts the timer of a write's grace (see write): its
// channel, renew, which starts it again from now, and stop. Set (tests)
// to a timer of their own.
var graceTimer = func(d time.Duration) (c <-chan time.Time, renew, stop func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Reset(d) }, func() { t.Stop() }
}

// errWriteAbandoned is the error of a write abandoned after the input
// ended (see write).
var errWriteAbandoned = errors.New("the client reads nothing, and its input has ended: the write is abandoned")

// isClosed reports whether Close was called.
func (st *stream) isClosed() bool {
	select {
	case <-st.closing:
		return true
	default:
		return false
	}
}

// logf logs, unless the stream is closed: the session has ended, and its
// log with it.
func (st *stream) logf(format string, args ...any) {
	if !st.isClosed() {
		st.log.Printf(format, args...)
	}
}

// errStreamClosed is the error of a read or write after Close.
var errStreamClosed = errors.New("the connection is closed")

// Close implements jsonrpc2.ObjectStream. Nothing is written or logged
// after it (a write blocked then returns: see write), and ReadObject
// returns errStreamClosed: a connection whose
// Close does not end it (rplc's standard input and output) was still read
// after the session ended, its bad messages answered and logged.
func (st *stream) Close() error {
	st.shut()
	return st.conn.Close()
}

// shut marks the stream closed: nothing is written, read or logged after
// it.
func (st *stream) shut() {
	st.closeOnce.Do(func() {
		close(st.closing)
		st.aheadMu.Lock()
		st.aheadWake.Broadcast()
		st.aheadMu.Unlock()
	})
}

// readAhead reads frames into st.ahead, on a goroutine of its own that
// the first ReadObject starts, until the input ends or fails, or the
// stream is closed. Before it reads a body (its length known from the
// header) or queues a frame without one, it waits until the frame fits
// within maxAhead with those waiting for ReadObject, or none waits: what
// is read ahead is at most max(maxAhead, one frame), and the reader's
// buffer. It read a whole body before it waited, and then queued it
// whatever its size: up to three times maxAhead. The input's end is
// queued without waiting, so that a write blocked meanwhile sees it.
func (st *stream) readAhead() {
	for {
		length, err := st.readHeader()
		var unframed *errUnframed
		end := err != nil && !errors.As(err, &unframed)
		var body []byte
		if !end {
			if !st.waitAhead(frameCost(int(length))) {
				return
			}
			if err == nil {
				body, err = st.readBody(length)
				end = err != nil
			}
		}
		if end {
			st.errMu.Lock()
			st.readErr = err
			st.errMu.Unlock()
		}
		st.aheadMu.Lock()
		st.ahead = append(st.ahead, frame{body, err})
		st.aheadBytes += frameCost(len(body))
		st.aheadWake.Broadcast()
		st.aheadMu.Unlock()
		if end {
			close(st.inputEnded)
			return
		}
		if st.isClosed() {
			return
		}
	}
}

// waitAhead waits until a frame that counts cost fits within maxAhead
// with the frames waiting for ReadObject, or none waits; false if the
// stream is closed first.
func (st *stream) waitAhead(cost int) bool {
	st.aheadMu.Lock()
	defer st.aheadMu.Unlock()
	for len(st.ahead) > 0 && st.aheadBytes+cost > st.maxAhead && !st.isClosed() {
		st.aheadWake.Wait()
	}
	return !st.isClosed()
}

// next returns the next frame read ahead, waiting for it; false once the
// stream is closed.
func (st *stream) next() (frame, bool) {
	st.aheadOnce.Do(func() { go st.readAhead() })
	st.aheadMu.Lock()
	defer st.aheadMu.Unlock()
	for len(st.ahead) == 0 && !st.isClosed() {
		st.aheadWake.Wait()
	}
	if st.isClosed() {
		return frame{}, false
	}
	f := st.ahead[0]
	st.ahead[0] = frame{}
	st.ahead = st.ahead[1:]
	st.aheadBytes -= frameCost(len(f.body))
	st.aheadWake.Broadcast()
	return f, true
}

// closedErr is ReadObject's error once the stream is closed: the input's
// end when it has ended (a write abandoned after it closes the stream, and
// the session ends with the input, as it does when the input ends), else
// errStreamClosed. A stream closed otherwise is closed by its Conn, which
// takes no error after its Close.
func (st *stream) closedErr() error {
	if err := st.err(); err != nil {
		return err
	}
	return errStreamClosed
}

// ReadObject implements jsonrpc2.ObjectStream: it stores the next message
// that v (the Conn's request-or-response) accepts, answering the ones it
// does not.
func (st *stream) ReadObject(v any) error {
	for {
		if st.isClosed() {
			return st.closedErr()
		}
		f, ok := st.next()
		if !ok {
			return st.closedErr() // read after the session ended: dropped
		}
		body, err := f.body, f.err
		var unframed *errUnframed
		switch {
		case errors.As(err, &unframed):
			st.reject(jsonrpc2.CodeParseError, "parse error: "+unframed.reason, nil)
			continue
		case err != nil:
			return err
		}
		// A message refused below may have filled part of v (the request
		// half of a request-or-response): start each from nothing, or a
		// response next would carry the refused request along, and the
		// Conn would run it.
		reflect.ValueOf(v).Elem().SetZero()
		if err := json.Unmarshal(body, v); err != nil {
			// Unmarshal checks the whole body before it decodes any of
			// it: a syntax error leaves v as it was.
			if se, syntax := errors.AsType[*json.SyntaxError](err); syntax {
				st.reject(jsonrpc2.CodeParseError, fmt.Sprintf("parse error at byte %d of the message: %v", se.Offset, err), body)
				continue
			}
			if isResponse(body) {
				// Responses are never answered: log and drop it.
				st.logf("dropped an invalid response: %v: %s", err, clip(string(body), 200))
				continue
			}
			st.reject(jsonrpc2.CodeInvalidRequest, fmt.Sprintf("invalid request: %v", err), body)
			continue
		}
		return nil
	}
}

// err is why reading stopped: io.EOF when the input ended between
// messages, nil while it goes on. It is set when readAhead reaches the
// end, which ReadObject returns once it has returned the messages before.
func (st *stream) err() error {
	st.errMu.Lock()
	defer st.errMu.Unlock()
	return st.readErr
}

// reject logs a message that was not understood and answers it with an
// error: with the message's id when it has one that reads as an id
// (JSON-RPC 2.0), else with id null.
func (st *stream) reject(code int64, msg string, body []byte) {
	var withID struct {
		ID *jsonrpc2.ID `json:"id"`
	}
	if body != nil && json.Unmarshal(body, &withID) != nil {
		withID.ID = nil
	}
	if body != nil {
		st.logf("%s: %s", msg, clip(string(body), 200))
	} else {
		st.logf("%s", msg)
	}
	resp := struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      *jsonrpc2.ID    `json:"id"`
		Error   *jsonrpc2.Error `json:"error"`
	}{"2.0", withID.ID, &jsonrpc2.Error{Code: code, Message: msg}}
	data, err := json.Marshal(resp)
	if err == nil {
		err = st.write(data)
	}
	if err != nil {
		st.logf("answering a bad message: %v", err)
	}
}

// isResponse reports whether body is an object that looks like a
// response: a result or an error, and no method.
func isResponse(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, method := m["method"]
	_, result := m["result"]
	_, e := m["error"]
	return !method && (result || e)
}

// clip shortens s to at most max bytes and "...", for the log and for
// messages, without cutting a character.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return textcut.Prefix(s, max) + "..."
}

// readHeader reads one header block, and returns the length of the body
// it announces (read by readBody). Blank lines
// before a header block are skipped. A line that is not a header but
// contains "Content-Length:" (the rest of an unframed body, then the next
// header) is taken from there. It returns io.EOF if the input ends before
// a header block, io.ErrUnexpectedEOF if it ends inside a message, and
// *errUnframed if the header block has no usable Content-Length (none, not
// a number, or more than maxContentLength).
func (st *stream) readHeader() (int64, error) {
	length := int64(-1)
	var bad string
	started := false
	for {
		line, err := st.readLine()
		if err != nil {
			if err == io.EOF && started {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if line == "" {
			if !started {
				continue
			}
			break
		}
		started = true
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(name, " \t{}\"") {
			if i := strings.Index(asciiLower(line), "content-length:"); i > 0 {
				st.logf("skipped unframed input: %q", clip(line[:i], 80))
				name, value, _ = strings.Cut(line[i:], ":")
			} else {
				if bad == "" {
					bad = fmt.Sprintf("not a header: %q", clip(line, 80))
				}
				continue
			}
		}
		if !strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			continue // Content-Type and unknown headers
		}
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil || n < 0 || n > maxContentLength {
			bad = fmt.Sprintf("bad Content-Length %q", clip(strings.TrimSpace(value), 80))
			if err == nil && n > maxContentLength {
				bad += fmt.Sprintf(": more than the limit of %d bytes", maxContentLength)
			}
			length = -1
			continue
		}
		length = n
	}
	if length < 0 {
		if bad == "" {
			bad = "no Content-Length header"
		} else if !strings.HasPrefix(bad, "bad Content-Length") {
			bad = "no Content-Length header (" + bad + ")"
		}
		return 0, &errUnframed{reason: bad}
	}
	return length, nil
}

// readBody reads a body of length bytes, io.ErrUnexpectedEOF if the input
// ends before.
func (st *stream) readBody(length int64) ([]byte, error) {
	var body bytes.Buffer
	if _, err := io.CopyN(&body, st.r, length); err != nil {
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body.Bytes(), nil
}

// asciiLower is s with its ASCII letters in lower case and every other
// byte as it is, so that its offsets are s's: strings.ToLower turns an
// invalid byte into U+FFFD (three bytes) and İ into i̇, and an offset in
// its result cut s out of range (a panic of the reader, which ended the
// server) or in the wrong place.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// readLine reads a header line without its line break (\r\n, or a bare
// \n). A line longer than maxHeaderLine is cut into pieces of that size.
func (st *stream) readLine() (string, error) {
	var line []byte
	for {
		b, err := st.r.ReadSlice('\n')
		line = append(line, b...)
		if err == bufio.ErrBufferFull && len(line) < maxHeaderLine {
			continue
		}
		if err != nil && err != bufio.ErrBufferFull {
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		break
	}
	s := strings.TrimSuffix(string(line), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}
