//go:build unix

package httpx

import (
	"net"
	"syscall"
)

// shrinkBacklog has the kernel keep no more connections made in l's
// backlog (listen again, with a backlog of 0): one made once it is
// full, its handshake not completed, is retried by its client, to be
// refused once l has closed, rather than reset then with its request
// sent. It reports whether the kernel took it.
func shrinkBacklog(l net.Listener) bool {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	err = rc.Control(func(fd uintptr) { serr = syscall.Listen(int(fd), 0) })
	return err == nil && serr == nil
}
