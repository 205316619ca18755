package jsonx

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// An error about a request repeats what the client sent (an unknown
// field's name, a tenant id, a status, a version) so that the client
// sees what was refused; but a client may send a megabyte where a word
// was expected, and an answer as large as the request (over NATS, larger
// than a message may be) helps no one. So an error repeats at most
// MaxEcho bytes of any one value: a longer value is cut there, on a UTF-8
// boundary, marked "…" and followed by its length in bytes:
//
//	tenant "acme-aaaaaaaa…" (1048576 bytes) is not registered
//
// A value of MaxEcho bytes or fewer is repeated whole.

// MaxEcho is the most bytes of one value of a request that an error
// message or its details repeat.
const MaxEcho = 128

// echoCut is the value s as an error repeats it: s itself when it is at
// most MaxEcho bytes, else its first MaxEcho bytes or fewer (a rune is
// not split), "…", and whether it was cut. Every bound below is this one.
func echoCut(s string) (string, bool) {
	if len(s) <= MaxEcho {
		return s, false
	}
	n := MaxEcho
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…", true
}

// echoLen is the length a cut value is followed by.
func echoLen(s string) string {
	return " (" + strconv.Itoa(len(s)) + " bytes)"
}

// QuoteEcho is s quoted as %q quotes it, cut as echoCut cuts it and then
// followed by its length: "abc…" (1048576 bytes).
func QuoteEcho(s string) string {
	c, cut := echoCut(s)
	if !cut {
		return strconv.Quote(s)
	}
	return strconv.Quote(c) + echoLen(s)
}

// Echo is s unquoted, cut as QuoteEcho cuts it: abc… (1048576 bytes).
func Echo(s string) string {
	c, cut := echoCut(s)
	if !cut {
		return s
	}
	return c + echoLen(s)
}

// EchoJSON is the JSON text raw as an error repeats it: whole when short;
// a long string quoted as QuoteEcho quotes its value, anything else
// longer cut as Echo cuts it.
func EchoJSON(raw []byte) string {
	if len(raw) <= MaxEcho {
		return string(raw)
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return QuoteEcho(s)
	}
	return Echo(string(raw))
}
