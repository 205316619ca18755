package httpx

// Traceparent exposes traceparent to the tests.
var Traceparent = traceparent
