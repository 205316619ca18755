package natsx

// Traceparent exposes traceparent to the tests.
var Traceparent = traceparent

// Encoded exposes encoded to the tests.
var Encoded = encoded
