package natsx

// Traceparent exposes traceparent to the tests.
var Traceparent = traceparent
