package natsx

// Traceparent exposes traceparent to the tests.
var Traceparent = traceparent

// Encoded exposes encoded to the tests.
var Encoded = encoded

// StoreBusy exposes storeBusy to the tests.
var StoreBusy = storeBusy
