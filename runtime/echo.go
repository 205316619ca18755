package runtime

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// An error repeats what the client sent (an unknown field's name, a
// tenant id, a status, a version) so that the client sees what was
// refused; but a client may send a megabyte where a word was expected,
// and an answer as large as the request (over NATS, larger than a
// message may be) helps no one. So an error repeats at most MaxEcho bytes
// of any one value: a longer value is cut there, on a UTF-8 boundary,
// marked "…" and followed by its length in bytes:
//
//	tenant "acme-aaaaaaaa…" (1048576 bytes) is not registered
//
// A value of MaxEcho bytes or fewer is repeated whole, as before.

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

// quoteEcho is s quoted as %q quotes it, cut as echoCut cuts it and then
// followed by its length: "abc…" (1048576 bytes).
func quoteEcho(s string) string {
	c, cut := echoCut(s)
	if !cut {
		return strconv.Quote(s)
	}
	return strconv.Quote(c) + echoLen(s)
}

// echo is s unquoted, cut as quoteEcho cuts it: abc… (1048576 bytes).
func echo(s string) string {
	c, cut := echoCut(s)
	if !cut {
		return s
	}
	return c + echoLen(s)
}

// echoJSON is the JSON text raw as an error repeats it: whole when short;
// a long string quoted as quoteEcho quotes its value, anything else
// longer cut as echo cuts it.
func echoJSON(raw []byte) string {
	if len(raw) <= MaxEcho {
		return string(raw)
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return quoteEcho(s)
	}
	return echo(string(raw))
}

// echoIn bounds the value s where msg, another package's words, repeats
// it: its first copy, quoted (%q) or as it is, becomes quoteEcho's or
// echo's. msg is returned as it is when s is short or not in it.
func echoIn(msg, s string) string {
	if len(s) <= MaxEcho {
		return msg
	}
	if q := strconv.Quote(s); strings.Contains(msg, q) {
		return strings.Replace(msg, q, quoteEcho(s), 1)
	}
	return strings.Replace(msg, s, echo(s), 1)
}

// echoMessage bounds msg, another package's error about a request, whose
// words repeat values of the request that are not known here (rpl's
// decoding errors quote a value at a path): a message longer than
// 8×MaxEcho bytes keeps its first and last 2×MaxEcho bytes (the path, and
// what was wanted) and says how much was left out between them.
func echoMessage(msg string) string {
	if len(msg) <= 8*MaxEcho {
		return msg
	}
	head, tail := 2*MaxEcho, len(msg)-2*MaxEcho
	for head > 0 && !utf8.RuneStart(msg[head]) {
		head--
	}
	for tail < len(msg) && !utf8.RuneStart(msg[tail]) {
		tail++
	}
	return msg[:head] + "…(" + strconv.Itoa(tail-head) + " bytes left out)…" + msg[tail:]
}

// typeError is jsonx.TypeError, the number it repeats (a JSON number of
// any length, out of range) bounded.
func typeError(err error) (string, bool) {
	msg, ok := jsonx.TypeError(err)
	var te *json.UnmarshalTypeError
	if ok && errors.As(err, &te) {
		if num, isNum := strings.CutPrefix(te.Value, "number "); isNum {
			msg = echoIn(msg, num)
		}
	}
	return msg, ok
}
