package httpx

// Traceparent exposes traceparent to the tests.
var Traceparent = traceparent

// BeforeStop has f called when l, draining, first accepts, before its
// backlog shrinks and its last pass of accepts: from then on a test
// dials no more.
func BeforeStop(l *Listener, f func()) { l.beforeStop = f }
