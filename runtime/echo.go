package runtime

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// MaxEcho is the most bytes of one value of a request that an error
// message or its details repeat (jsonx.MaxEcho): a longer value is cut
// there, on a UTF-8 boundary, marked "…" and followed by its length in
// bytes, as in
//
//	tenant "acme-aaaaaaaa…" (1048576 bytes) is not registered
const MaxEcho = jsonx.MaxEcho

// typeError is jsonx.TypeError, the number it repeats (a JSON number of
// any length, out of range) bounded.
func typeError(err error) (string, bool) {
	msg, ok := jsonx.TypeError(err)
	var te *json.UnmarshalTypeError
	if ok && errors.As(err, &te) {
		if num, isNum := strings.CutPrefix(te.Value, "number "); isNum {
			msg = jsonx.EchoIn(msg, num)
		}
	}
	return msg, ok
}
