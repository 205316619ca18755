package httpx

import (
	"net"
	"sync"
	"sync/atomic"
)

// Listener is a listener that keeps at most a limit of connections open
// at once (Limit): at the limit it stops accepting until one of them
// closes, and connections beyond it wait in the kernel's backlog (their
// clients see a connection made, and no answer yet; past the backlog,
// SYNs are dropped or refused, as the system does), where each would
// otherwise cost the process a goroutine and buffers, slow uploads and
// idle keep-alives included, without bound. It counts the connections
// open (Open) and the times it stopped accepting at the limit (Waits).
type Listener struct {
	net.Listener
	limit int
	sem   chan struct{} // a slot per open connection; nil: no limit
	open  atomic.Int64
	waits atomic.Int64

	closeOnce sync.Once
	done      chan struct{} // closed by Close: Accept stops waiting
}

// Limit returns l accepting at most n connections open at once; n <= 0
// means no limit (the connections are counted all the same).
func Limit(l net.Listener, n int) *Listener {
	ll := &Listener{Listener: l, limit: max(n, 0), done: make(chan struct{})}
	if n > 0 {
		ll.sem = make(chan struct{}, n)
	}
	return ll
}

// Accept waits for a slot, at the limit, then accepts a connection; it
// returns net.ErrClosed once the listener is closed.
func (l *Listener) Accept() (net.Conn, error) {
	if l.sem != nil {
		select {
		case l.sem <- struct{}{}:
		default:
			l.waits.Add(1)
			select {
			case l.sem <- struct{}{}:
			case <-l.done:
				return nil, net.ErrClosed
			}
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.release()
		return nil, err
	}
	l.open.Add(1)
	return &limitedConn{Conn: c, l: l}, nil
}

func (l *Listener) release() {
	if l.sem != nil {
		<-l.sem
	}
}

// Close closes the listener; an Accept waiting for a slot returns.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Open is the number of connections accepted and not yet closed.
func (l *Listener) Open() int64 { return l.open.Load() }

// Waits is the number of times the listener stopped accepting at its
// limit until a connection closed.
func (l *Listener) Waits() int64 { return l.waits.Load() }

// MaxOpen is the limit, 0 for none.
func (l *Listener) MaxOpen() int { return l.limit }

// limitedConn gives its listener's slot back when closed, once.
type limitedConn struct {
	net.Conn
	l      *Listener
	closed atomic.Bool
}

func (c *limitedConn) Close() error {
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
