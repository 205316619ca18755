//go:build !unix

package httpx

import "net"

// shrinkBacklog cannot shrink the backlog here: Drain's accepts go on
// until none has come for acceptTail, or acceptMax.
func shrinkBacklog(net.Listener) bool { return false }
