package lsp

import (
	"context"
	"time"
)

// SetHandlerHook sets the hook run before each message's handler (nil:
// none).
func SetHandlerHook(f func(method string)) { handlerHook = f }

// SetWorkHook sets the hook run as the work of a request that runs on a
// goroutine of its own starts (a command, references, rename), with the
// context that cancels it and the command's name or the request's method
// (nil: none).
func SetWorkHook(f func(ctx context.Context, name string)) { workHook = f }

// SetCheckHook sets the hook run as a policy is checked for a snapshot, or
// a check under way is joined (nil: none).
func SetCheckHook(f func(policy string, joined bool)) {
	if f == nil {
		checkHook.Store(nil)
		return
	}
	checkHook.Store(&f)
}

// SetPublishHook sets the hook run as a policy's diagnostics are about to
// be published, with the context that the session's end cancels (nil:
// none).
func SetPublishHook(f func(ctx context.Context, policy string)) {
	if f == nil {
		publishHook.Store(nil)
		return
	}
	publishHook.Store(&f)
}

// SetWaitHook sets the hook run as a request's work starts waiting for
// one of those running to end (nil: none).
func SetWaitHook(f func(name string)) {
	if f == nil {
		waitHook.Store(nil)
		return
	}
	waitHook.Store(&f)
}

// SetMaxWork sets how many requests' work run at once in the servers made
// after it, and returns the bound it replaced.
func SetMaxWork(n int) int { old := maxWork; maxWork = n; return old }

// MaxWork is how many requests' work run at once.
func MaxWork() int { return maxWork }

// SetMaxWaiting sets how many requests' work may wait for one of those
// running to end, and returns the bound it replaced.
func SetMaxWaiting(n int) int { old := maxWaiting; maxWaiting = n; return old }

// SetMaxWalkEntries sets how many entries a walk of a workspace folder
// visits, and returns the bound it replaced.
func SetMaxWalkEntries(n int) int { old := maxWalkEntries; maxWalkEntries = n; return old }

// SetMaxDocument sets the most bytes an open document's text may hold,
// and returns the bound it replaced.
func SetMaxDocument(n int) int { old := maxDocument; maxDocument = n; return old }

// SetWriteGrace sets how long a write blocked after the input ended goes
// on before it is abandoned, and returns the old value.
func SetWriteGrace(d time.Duration) time.Duration { old := writeGrace; writeGrace = d; return old }

// SetWalkHook sets the hook run as a walk of a workspace folder looks
// whether to end, and returns the old one.
func SetWalkHook(f func(dir string, visited int)) func(dir string, visited int) {
	old := walkHook
	walkHook = f
	return old
}

// SetEndJobsHook sets the hook run as the server, at shutdown (final
// false) or at the session's end, has canceled the running requests it
// cancels, before it waits for them (nil: none).
func SetEndJobsHook(f func(final bool)) { endJobsHook = f }

// CheckWaiting is how many checks may wait per work slot.
const CheckWaiting = checkWaiting
