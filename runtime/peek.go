package runtime

import (
	"bytes"
)

// peekString returns the string at path (a key in each nested object) of
// a JSON body that was not decoded: a request refused before the engine
// (overload, an oversized reply), or one whose decoding failed, so that
// its error still names the request. Of duplicate keys the last counts,
// as in encoding/json, and keys are read with their escapes decoded. It
// reads as far as it can and stops at the first byte it cannot read, so
// a malformed body yields what came before it (a byte order mark before
// the body is passed over); "" means not read, or not a string.
func peekString(body []byte, path ...string) string {
	if len(path) == 0 {
		return ""
	}
	s := jscan{b: body, escKeys: true}
	found := ""
	var walk func(depth int) bool
	walk = func(depth int) bool {
		return s.object(func(key []byte) bool {
			switch {
			case string(key) != path[depth]:
				return s.skip()
			case depth+1 < len(path):
				if s.peek() == '{' {
					found = "" // a later object replaces an earlier one
					return walk(depth + 1)
				}
			case s.peek() == '"':
				v, ok := s.str()
				found = v
				return ok
			}
			found = ""
			return s.skip()
		})
	}
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte("\ufeff")) {
		// A byte order mark, refused (decodeObject), but the
		// request it carries is named all the same.
		s.i += len("\ufeff")
		s.ws()
	}
	walk(0)
	return found
}

// errorIDs returns the request id and trace id (CP1's trace_id) of a
// body of kind that was not decoded, for its error response.
func errorIDs(body []byte, kind Kind) (requestID, traceID string) {
	switch kind {
	case KindCP1:
		return peekString(body, "request_id"), peekString(body, "trace_id")
	case KindV2:
		return peekString(body, "request", "id"), ""
	case KindFeedback:
		return peekString(body, "request_id"), ""
	}
	return "", ""
}
