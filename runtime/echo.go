package runtime

import "github.com/rpl-lang/rpl/internal/jsonx"

// MaxEcho is the most bytes of one value of a request that an error
// message or its details repeat (jsonx.MaxEcho): a longer value is cut
// there, on a UTF-8 boundary, marked "…" and followed by its length in
// bytes, as in
//
//	tenant "acme-aaaaaaaa…" (1048576 bytes) is not registered
const MaxEcho = jsonx.MaxEcho
