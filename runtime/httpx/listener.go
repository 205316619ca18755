package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Listener is a listener that keeps at most a limit of connections open
// at once (Limit): at the limit, the connection it accepted waits for
// one of them to close before it is served, and those beyond it wait in
// the kernel's backlog (their clients see a connection made, and no
// answer yet; past the backlog, SYNs are dropped or refused, as the
// system does), where each would otherwise cost the process a goroutine
// and buffers, slow uploads and idle keep-alives included, without
// bound. With its ConnState as the http.Server's hook, it makes room for
// a connection waiting by closing a keep-alive idle between requests,
// the one idle longest, as the server would at its idle timeout: a pool
// of idle keep-alives does not keep new clients out for that long. With
// none idle, it closes the connection that has sent nothing for longest,
// once it has for freshGrace: connections opened and left silent (a
// slowloris, a pool's opened ahead) do not keep new clients out for the
// server's header timeout either. It counts the connections open
// (Open), the times a connection waited at the limit (Waits), and the
// idle or silent ones it closed to make room (IdleClosed). Drain stops
// it accepting and waits for its connections to close, for
// http.Server.Shutdown to find none (it drops a request it reads once
// it has begun). Closed (http.Server.Shutdown closes it first), it
// closes the connections that have sent nothing yet, as the server
// closes those idle between requests: Shutdown would otherwise wait for
// each until it is 5 s old (a client's pool opens connections ahead),
// and a drain shorter than that would run out on it.
type Listener struct {
	net.Listener
	sem        chan struct{} // a slot per open connection, its capacity the limit; nil: no limit
	open       atomic.Int64
	waits      atomic.Int64
	idleClosed atomic.Int64

	mu sync.Mutex
	// idle are the connections idle between requests (ConnState),
	// those idle longest first, and some since busy again, which
	// makeRoom passes by (taking them out).
	idle idleList
	// waiting: a connection waits for a slot and none was idle; the
	// next connection to go idle is closed for it.
	waiting bool
	// fresh are the connections that have read nothing yet, which Close
	// closes; shut is set by Close, after which Accept serves none.
	fresh idleList
	shut  bool

	closeOnce sync.Once
	done      chan struct{} // closed by Close: Accept stops waiting

	// Drain: draining is set once drainAt is; accept (the server's
	// accepting goroutine alone) then accepts what has arrived, up to
	// acceptMax, then (last, from lastAt) makes a last pass, and closes
	// the listener: stopped is closed, at stopAt (under mu).
	draining    atomic.Bool
	drainAt     time.Time
	last        bool
	shrinkTried bool // shrinkBacklog was called: if it succeeded, last too
	hooked      bool // beforeStop was called
	lastAt      time.Time
	beforeStop  func() // the tests': called before the last pass
	stopOnce    sync.Once
	stopErr     error
	stopped     chan struct{}
	stopAt      time.Time
}

// Limit returns l accepting at most n connections open at once; n <= 0
// means no limit (the connections are counted all the same).
func Limit(l net.Listener, n int) *Listener {
	ll := &Listener{Listener: l, done: make(chan struct{}), stopped: make(chan struct{})}
	if n > 0 {
		ll.sem = make(chan struct{}, n)
	}
	return ll
}

// Accept accepts a connection, then, at the limit, closes the
// connection idle longest to make room for it (with ConnState as the
// server's hook), or the one silent longest, or waits for one to go
// idle or close; it returns net.ErrClosed once the listener is closed,
// or once Drain has stopped it accepting.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.accept()
	if err != nil {
		return nil, err
	}
	if l.sem != nil {
		select {
		case l.sem <- struct{}{}:
		default:
			l.waits.Add(1)
			if !l.waitSlot() {
				c.Close()
				return nil, net.ErrClosed
			}
			// A slot came from a connection that closed of itself,
			// if none went idle meanwhile.
			l.mu.Lock()
			l.waiting = false
			l.mu.Unlock()
		}
	}
	l.open.Add(1)
	lc := &limitedConn{Conn: c, l: l, since: time.Now()}
	lc.state.Store(connFresh)
	l.mu.Lock()
	if l.shut {
		// Accepted as Close closed the listener: closed with the others
		// that have sent nothing.
		l.mu.Unlock()
		lc.Close()
		return nil, net.ErrClosed
	}
	l.fresh.pushBack(lc)
	l.mu.Unlock()
	return lc, nil
}

// accept accepts a connection; once Drain has begun, it accepts those
// that have arrived (the kernel's backlog), until none has for
// acceptTail (a wait for a slot at the limit aside) or for acceptMax
// since the drain began, then makes a last pass, as long at most, and
// closes the listener (net.ErrClosed). Where the kernel can be made to
// keep no more connections made in the backlog (shrinkBacklog: Unix),
// the last pass begins at once: it accepts what the backlog holds, and
// a connection that entered it as it emptied.
func (l *Listener) accept() (net.Conn, error) {
	for {
		if l.draining.Load() {
			// Whether the last pass began or not: a drain that found
			// nothing to accept for acceptTail (an idle listener) began
			// it without shrinking the backlog.
			if !l.shrinkTried {
				l.shrinkTried = true
				l.callHook()
				if shrinkBacklog(l.Listener) && !l.last {
					l.lastPass()
				}
			}
			if !l.last && time.Since(l.drainAt) >= acceptMax {
				l.lastPass()
			}
			// From now: a wait for a slot does not count.
			end := l.drainAt.Add(acceptMax)
			if l.last {
				end = l.lastAt.Add(acceptMax)
			}
			if d := time.Now().Add(acceptTail); d.Before(end) {
				end = d
			}
			l.setDeadline(end)
		}
		c, err := l.Listener.Accept()
		if err == nil || !l.draining.Load() {
			return c, err
		}
		if c != nil {
			c.Close()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && !l.last {
			l.lastPass()
			continue
		}
		l.stop()
		return nil, net.ErrClosed
	}
}

// lastPass begins accept's last pass.
func (l *Listener) lastPass() {
	l.last = true
	l.callHook()
	l.lastAt = time.Now()
}

// callHook calls the tests' beforeStop, once, before the backlog shrinks.
func (l *Listener) callHook() {
	if l.beforeStop != nil && !l.hooked {
		l.hooked = true
		l.beforeStop()
	}
}

// setDeadline sets the wrapped listener's deadline for Accept; one that
// cannot have one is closed (Drain then accepts nothing more).
func (l *Listener) setDeadline(t time.Time) {
	if d, ok := l.Listener.(interface{ SetDeadline(time.Time) error }); !ok || d.SetDeadline(t) != nil {
		l.stop()
	}
}

// stop closes the wrapped listener, once.
func (l *Listener) stop() error {
	l.stopOnce.Do(func() {
		l.stopErr = l.Listener.Close()
		l.mu.Lock()
		l.stopAt = time.Now()
		l.mu.Unlock()
		close(l.stopped)
	})
	return l.stopErr
}

// How long accept, draining, waits for a connection more (acceptTail),
// and how long it accepts those that keep arriving (acceptMax): a
// connection made once it closes the listener is refused, one made as
// it closes (in the backlog, not yet accepted) reset: with the backlog
// shrunk (shrinkBacklog), one at most, the others' handshakes not
// completed, retried by their clients, and refused.
const (
	acceptTail = 10 * time.Millisecond
	acceptMax  = 100 * time.Millisecond
)

// Drain stops the listener accepting (once it has accepted the
// connections already made, as accept says; the server's Serve then
// returns net.ErrClosed) and waits for every connection to close: those
// answering or receiving a request close once answered (the server's
// answers must say Connection: close), those idle between requests or
// that have sent nothing yet are closed freshGrace after the listener
// stopped accepting (or, accepted later, freshGrace after), so that a
// request already sent on one is read and served, not dropped. It
// returns ctx's error if ctx ends first, the connections left open.
// Then http.Server.Shutdown has none to wait for: Go's server, once it
// is shutting down, drops a request it reads without an answer.
func (l *Listener) Drain(ctx context.Context) error {
	l.drainAt = time.Now()
	l.draining.Store(true)
	l.setDeadline(time.Now().Add(acceptTail)) // wakes an Accept waiting
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-l.stopped:
			l.reclaim(time.Now())
			if l.open.Load() == 0 {
				return nil
			}
		default:
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reclaim closes, once the listener has stopped accepting (Drain), the
// connections idle between requests and those that have sent nothing,
// once freshGrace has passed since it stopped and since they were
// accepted.
func (l *Listener) reclaim(now time.Time) {
	var claimed []*limitedConn
	l.mu.Lock()
	if now.Sub(l.stopAt) >= freshGrace {
		for c := l.idle.head; c != nil; {
			next := c.next
			if c.state.CompareAndSwap(connIdle, connClosing) {
				l.idle.remove(c)
				claimed = append(claimed, c)
			}
			c = next
		}
		for c := l.fresh.head; c != nil && now.Sub(c.since) >= freshGrace; {
			next := c.next
			if c.state.CompareAndSwap(connFresh, connClosing) {
				l.fresh.remove(c)
				claimed = append(claimed, c)
			}
			c = next
		}
	}
	l.mu.Unlock()
	for _, c := range claimed {
		c.Close()
	}
}

// waitSlot waits for a slot, making room (makeRoom) as it can: again
// when the connection silent longest is freshGrace old. It reports
// false if the listener closed first.
func (l *Listener) waitSlot() bool {
	for {
		var retry <-chan time.Time
		var t *time.Timer
		if wait := l.makeRoom(); wait > 0 {
			t = time.NewTimer(wait)
			retry = t.C
		}
		select {
		case l.sem <- struct{}{}:
			if t != nil {
				t.Stop()
			}
			return true
		case <-retry:
		case <-l.done:
			if t != nil {
				t.Stop()
			}
			return false
		}
	}
}

// makeRoom closes the connection idle longest, for one that waits for a
// slot; with none idle, the connection that has sent nothing for
// longest, if for freshGrace at least (sooner, a request may have
// arrived on it, not yet read), and otherwise has the next to go idle
// closed (waiting). It returns how long until that silent connection is
// freshGrace old (0: none).
func (l *Listener) makeRoom() time.Duration {
	l.mu.Lock()
	for c := l.idle.head; c != nil; c = l.idle.head {
		l.idle.remove(c)
		// A connection whose next request has begun to be read is no
		// longer idle, although the server may not have said so yet.
		if c.state.CompareAndSwap(connIdle, connClosing) {
			l.mu.Unlock()
			l.closeIdle(c)
			return 0
		}
	}
	var wait time.Duration
	for c := l.fresh.head; c != nil; c = c.next {
		if c.state.Load() != connFresh {
			continue // being read: Read takes it out of the list
		}
		if age := time.Since(c.since); age < freshGrace {
			wait = freshGrace - age
			break
		}
		if c.state.CompareAndSwap(connFresh, connClosing) {
			l.fresh.remove(c)
			l.mu.Unlock()
			l.closeIdle(c)
			return 0
		}
	}
	l.waiting = true
	l.mu.Unlock()
	return wait
}

// closeIdle closes c, an idle or silent connection claimed
// (connClosing) to make room for one waiting.
func (l *Listener) closeIdle(c *limitedConn) {
	l.idleClosed.Add(1)
	c.Close()
}

// ConnState is the hook (http.Server.ConnState) that tells the listener
// which of its connections are idle between requests, for Accept to
// close one when a connection waits at the limit, and Drain those left. A connection is idle
// from the moment the server says so (http.StateIdle, its answer
// written) until its next request's first bytes are read: one closed
// then has had nothing of that request read, which the server never
// handles; its client sees the connection close, as at the server's
// idle timeout. A request costs the hook no allocation, and one lock
// (at StateIdle; StateActive is an atomic). A TLS connection is its
// wrapped one's; connections of other listeners are ignored.
func (l *Listener) ConnState(nc net.Conn, st http.ConnState) {
	if tc, ok := nc.(*tls.Conn); ok { // HTTPS: the server's TLS listener wraps l's
		nc = tc.NetConn()
	}
	c, ok := nc.(*limitedConn)
	if !ok || c.l != l {
		return
	}
	switch st {
	case http.StateIdle:
		l.mu.Lock()
		if c.list == &l.idle { // busy since it was last idle: makeRoom passed it by
			l.idle.remove(c)
		}
		if l.waiting {
			// A connection waits for a slot: this one, whose answer is
			// written and whose next request is not read, makes room.
			// (The slot the waiting Accept takes may be another's,
			// closed meanwhile: this one's is then the next's.)
			l.waiting = false
			c.state.Store(connClosing)
			l.mu.Unlock()
			l.closeIdle(c)
			return
		}
		c.state.Store(connIdle)
		l.idle.pushBack(c)
		l.mu.Unlock()
	case http.StateActive:
		// Read made it busy, unless the request was read before the
		// connection went idle (pipelined); it stays in the list, for
		// makeRoom to pass by, until it goes idle again or closes.
		c.state.CompareAndSwap(connIdle, connBusy)
	case http.StateClosed, http.StateHijacked:
		l.mu.Lock()
		if c.list == &l.idle {
			l.idle.remove(c)
		}
		l.mu.Unlock()
	}
}

func (l *Listener) release() {
	if l.sem != nil {
		<-l.sem
	}
}

// Close closes the listener, and, freshGrace later, the connections
// accepted that have still read nothing (no byte of a request has
// reached the server on them), as http.Server.Shutdown closes those idle
// between requests: a client that opened one ahead (a pool's, a
// balancer's) sees it close as at the server's idle timeout, and
// Shutdown does not wait for it (until it is 5 s old, which Go's server
// takes for idle). The grace lets a request that has arrived, its
// connection not yet read, be read and served. Bytes arriving once a
// connection is claimed to be closed do not reach the server (Read): the
// request is not handled, nor cut. An Accept waiting for a slot returns.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	err := l.stop()
	l.mu.Lock()
	l.shut = true
	var fresh []*limitedConn
	for c := l.fresh.head; c != nil; c = l.fresh.head {
		l.fresh.remove(c)
		fresh = append(fresh, c)
	}
	l.mu.Unlock()
	if len(fresh) > 0 {
		time.AfterFunc(freshGrace, func() {
			for _, c := range fresh {
				if c.state.CompareAndSwap(connFresh, connClosing) {
					c.Close()
				}
			}
		})
	}
	return err
}

// freshGrace is how long Close leaves a connection that has read nothing
// before it closes it: for a request already arrived, its connection not
// yet read by the server (its goroutine not yet run), to be read.
const freshGrace = 200 * time.Millisecond

// Open is the number of connections accepted and not yet closed.
func (l *Listener) Open() int64 { return l.open.Load() }

// Waits is the number of times a connection accepted at the limit
// waited for a slot: for an idle one to be closed, or one to close.
func (l *Listener) Waits() int64 { return l.waits.Load() }

// IdleClosed is the number of connections closed to make room for one
// waiting at the limit: idle keep-alives (ConnState), and connections
// that had sent nothing for freshGrace.
func (l *Listener) IdleClosed() int64 { return l.idleClosed.Load() }

// MaxOpen is the limit, 0 for none.
func (l *Listener) MaxOpen() int { return cap(l.sem) } // a nil channel's is 0

// A limitedConn's states, for ConnState and makeRoom.
const (
	connBusy    = iota // a request being read or answered
	connIdle           // idle between requests (http.StateIdle)
	connClosing        // claimed, idle or fresh, to be closed (makeRoom, Close)
	connFresh          // accepted, nothing read yet
)

// limitedConn gives its listener's slot back when closed, once.
type limitedConn struct {
	net.Conn
	l      *Listener
	closed atomic.Bool
	// state is connBusy, connIdle or connClosing: Read takes an idle
	// connection out of connIdle when its next request arrives, before
	// the server says it is active, for makeRoom not to close it then.
	state atomic.Int32
	since time.Time // accepted

	// In list, the listener's idle list or its list of fresh
	// connections (nil: neither), under its mu.
	prev, next *limitedConn
	list       *idleList
}

// Read reads from the connection; the first bytes of a request that
// arrive on an idle or fresh connection make it busy, unless it was
// claimed to be closed, which they then do not reach the server: the
// connection ends as if closed before they came.
func (c *limitedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.state.Load() != connBusy {
		switch {
		case c.state.CompareAndSwap(connIdle, connBusy):
		case c.state.CompareAndSwap(connFresh, connBusy):
			c.l.mu.Lock()
			if c.list == &c.l.fresh {
				c.l.fresh.remove(c)
			}
			c.l.mu.Unlock()
		default:
			return 0, net.ErrClosed
		}
	}
	return n, err
}

func (c *limitedConn) Close() error {
	if c.state.Load() == connFresh {
		c.l.mu.Lock()
		if c.list == &c.l.fresh {
			c.l.fresh.remove(c)
		}
		c.l.mu.Unlock()
	}
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.l.open.Add(-1)
		c.l.release()
	}
	return err
}

// CloseWrite half-closes a TCP (or Unix) connection, as the HTTP server
// does after an answer it sent without reading the whole request (a
// body too large, or too slow), so that the client reads that answer
// rather than a reset: wrapped, the connection would lose the method.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// idleList is a list of connections, in the order they went idle (or,
// fresh, were accepted).
type idleList struct{ head, tail *limitedConn }

func (q *idleList) pushBack(c *limitedConn) {
	c.prev, c.next, c.list = q.tail, nil, q
	if q.tail != nil {
		q.tail.next = c
	} else {
		q.head = c
	}
	q.tail = c
}

func (q *idleList) remove(c *limitedConn) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		q.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		q.tail = c.prev
	}
	c.prev, c.next, c.list = nil, nil, nil
}
