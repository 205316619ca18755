package runtime

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// Fast request decoding. encoding/json into a struct (CP1) or into
// map[string]any then rpl.FromGo (v2) is most of a decision's cost. The
// decoders here read the bytes once, straight into the CP1 struct or the
// Request record, for well-formed requests in the common shapes. They
// never decide that a request is wrong: on anything unusual (malformed
// JSON, a wrong type, an unknown field, an escape in a key, a duplicate
// field, a key differing from a field name only by case, deep nesting)
// they give up, and the encoding/json path decodes the body again and
// produces the exact error it always did. A fuzz test checks that both
// paths agree whenever the fast one succeeds.

// maxFastDepth bounds the nesting the fast path handles.
const maxFastDepth = 64

// jscan is a strict JSON scanner over b.
type jscan struct {
	b     []byte
	i     int
	depth int
	// arena, when not nil, is where decoded records take their slots
	// from while it has room (one allocation for a request and the
	// records it holds).
	arena slotArena
	// keep, when not nil, is the memory arena is taken from (else each
	// request's arena is allocated).
	keep *slotBuf
	// escKeys makes object read keys with escapes (decoded as
	// encoding/json does) rather than refuse them: for peekString, which
	// has no slower path to leave them to.
	escKeys bool
}

// slotBuf is memory for the slots of one request's records, which its
// holder (a pooled scratch) reuses for its next request once the decision
// is made: the request must not be used after its exchange. A decision
// never holds the request's records (no Decision field has a request
// record's type), only its strings, lists and maps, which are not
// slotBuf memory.
type slotBuf struct{ buf []vm.Value }

// maxKeptSlots bounds the slots a slotBuf keeps.
const maxKeptSlots = 1 << 10

var slotBufs = sync.Pool{New: func() any { return new(slotBuf) }}

// take returns an empty slice with room for n slots: b's memory, or new
// memory when b is nil or n is large.
func (b *slotBuf) take(n int) []vm.Value {
	if b == nil || n > maxKeptSlots {
		return make([]vm.Value, 0, n)
	}
	if cap(b.buf) < n {
		b.buf = make([]vm.Value, n)
	}
	return b.buf[:0]
}

// clear zeroes b's memory, so that an idle buffer keeps nothing alive (a
// snapshot's tenant records, say).
func (b *slotBuf) clear() { clear(b.buf) }

// slotArena is memory for the slots of a request's records: copies of
// blank records, one after another, each a full slice (no append reaches
// a neighbour), from the heap once it has no room left.
type slotArena []vm.Value

// copyOf returns a copy of zero, in a when it has room.
func (a *slotArena) copyOf(zero []vm.Value) []vm.Value {
	n, m := len(*a), len(*a)+len(zero)
	if m > cap(*a) {
		return slices.Clone(zero)
	}
	*a = (*a)[:m]
	s := (*a)[n:m:m]
	copy(s, zero)
	return s
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// lit consumes the literal word (true, false, null).
func (s *jscan) lit(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// null consumes a null if one is next.
func (s *jscan) null() bool { return s.peek() == 'n' && s.lit("null") }

// rawString consumes a string without escapes and returns its content
// (ok false for escapes, control characters, invalid UTF-8, or no string).
func (s *jscan) rawString() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	ascii := true
	for j := start + plainWords(s.b[start:]); j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			seg := s.b[start:j]
			if !ascii && !utf8.Valid(seg) {
				return nil, false
			}
			s.i = j + 1
			return seg, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// str consumes a string and returns its value; strings with escapes or
// invalid UTF-8 are decoded by encoding/json, for its exact semantics.
func (s *jscan) str() (string, bool) {
	start := s.i
	if seg, ok := s.rawString(); ok {
		return string(seg), true
	}
	s.i = start
	if !s.skipString() {
		return "", false
	}
	var out string
	if json.Unmarshal(s.b[start:s.i], &out) != nil {
		return "", false
	}
	return out, true
}

// optStr consumes a string or null ("" for null, as encoding/json leaves a
// string field untouched by null).
func (s *jscan) optStr() (string, bool) {
	if s.null() {
		return "", true
	}
	return s.str()
}

// maxNames bounds a names table (see optName) in entries, maxNameLen in
// the length of each: the table outlives its request in a pooled
// scratch, so that a name a client may make as long as its body (a
// tenant id of 1 MB) must not be kept, or 1,024 such requests would pin a
// GB in each scratch. maxNameLen is MaxTenantLen, the longest tenant id
// feedback takes.
const (
	maxNames   = 1024
	maxNameLen = MaxTenantLen
)

// optName is optStr for a field of few distinct values (a tenant, a
// policy, a task type): it takes the string from names when it has been
// seen, without allocating, and adds it while names (if not nil) has
// room, if it is at most maxNameLen bytes. Strings with escapes take
// optStr's slow path and are not kept.
func (s *jscan) optName(names map[string]string) (string, bool) {
	if s.null() {
		return "", true
	}
	start := s.i
	seg, ok := s.rawString()
	if !ok {
		s.i = start
		return s.str()
	}
	if v, ok := names[string(seg)]; ok {
		return v, true
	}
	v := string(seg)
	if names != nil && len(names) < maxNames && len(v) <= maxNameLen {
		names[v] = v
	}
	return v, true
}

func (s *jscan) skipString() bool {
	if s.peek() != '"' {
		return false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c == '\\':
			j++
			if j >= len(s.b) {
				return false
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) {
					return false
				}
				for _, h := range s.b[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		case c < 0x20:
			return false
		}
	}
	return false
}

// num consumes a number (JSON's grammar exactly) and returns its text.
func (s *jscan) num() ([]byte, bool) {
	start, j := s.i, s.i
	b := s.b
	digits := func() bool {
		k := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case !digits():
		return nil, false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if !digits() {
			return nil, false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if !digits() {
			return nil, false
		}
	}
	s.i = j
	return b[start:j], true
}

// parseFloat is strconv.ParseFloat(string(t), 64) for a number token t
// (see num), which it reads itself when t is a whole number of at most 15
// digits, as CP1's max_latency_ms usually is: below 2^53, its value is
// exact, as ParseFloat's, and strconv's code stays out of the exchange's
// caches.
func parseFloat(t []byte) (float64, error) {
	d := t
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 15 {
		return strconv.ParseFloat(string(t), 64)
	}
	var n int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return strconv.ParseFloat(string(t), 64)
		}
		n = n*10 + int64(c-'0')
	}
	if len(d) < len(t) {
		return -float64(n), nil // -0 for "-0", as ParseFloat
	}
	return float64(n), nil
}

// skip consumes any value.
func (s *jscan) skip() bool {
	switch c := s.peek(); {
	case c == '"':
		return s.skipString()
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		return s.array(func() bool { return s.skip() })
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		_, ok := s.num()
		return ok
	}
	return false
}

// object consumes an object, calling f with each key (the scanner at its
// value, which f must consume). Keys with escapes are refused, unless
// s.escKeys. f may be called for a key twice: callers refuse duplicates
// where encoding/json would merge.
func (s *jscan) object(f func(key []byte) bool) bool {
	if s.peek() != '{' || s.depth >= maxFastDepth {
		return false
	}
	s.depth++
	s.i++
	s.ws()
	if s.peek() == '}' {
		s.i++
		s.depth--
		return true
	}
	for {
		s.ws()
		key, ok := s.rawString()
		if !ok && s.escKeys {
			key, ok = s.escapedKey()
		}
		if !ok {
			return false
		}
		s.ws()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.ws()
		if !f(key) {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// escapedKey consumes a key that rawString refused (an escape, invalid
// UTF-8) and returns it decoded, as encoding/json decodes it.
func (s *jscan) escapedKey() ([]byte, bool) {
	k, ok := s.str()
	return []byte(k), ok
}

// array consumes an array, calling f at each element.
func (s *jscan) array(f func() bool) bool {
	if s.peek() != '[' || s.depth >= maxFastDepth {
		return false
	}
	s.depth++
	s.i++
	s.ws()
	if s.peek() == ']' {
		s.i++
		s.depth--
		return true
	}
	for {
		s.ws()
		if !f() {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return true
		default:
			return false
		}
	}
}

// skipUnknown consumes the value of a key that is none of a struct's
// fields, refusing keys that encoding/json would match to one of them
// case-insensitively.
func (s *jscan) skipUnknown(key []byte, fields []string) bool {
	for _, name := range fields {
		if strings.EqualFold(string(key), name) {
			return false
		}
	}
	return s.skip()
}

// end reports whether only whitespace is left.
func (s *jscan) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// The JSON names of the structs encoding/json decodes (it matches keys
// case-insensitively, which the fast path refuses).
var (
	cp1Fields       = []string{"version", "request_id", "trace_id", "tenant_id", "task", "policy_id", "constraints", "metadata", "push_assignment"}
	cp1TaskFields   = []string{"type", "payload_ref", "payload"}
	cp1ConstrFields = []string{"max_latency_ms", "max_cost"}
	v2RequestFields = []string{"policy_id", "request"}
	batchFields     = []string{"requests"}
)

// optFloat consumes a number or null as encoding/json fills a *float64,
// the number going to *dst.
func (s *jscan) optFloat(dst *float64) (*float64, bool) {
	if s.null() {
		return nil, true
	}
	t, ok := s.num()
	if !ok {
		return nil, false
	}
	f, err := parseFloat(t)
	if err != nil {
		return nil, false
	}
	*dst = f
	return dst, true
}

// readable reports whether body holds no text that encoding/json would
// read as U+FFFD (jsonx.Unreadable: invalid UTF-8, half a surrogate
// pair): decodeObject refuses such a body, saying where, and the fast
// decoders leave it to it. Both scans are a few ns for a body without a
// backslash.
func readable(body []byte) bool {
	i, _, _ := jsonx.Unreadable(body)
	return i < 0
}

// fastCP1 decodes a CP1 body into sc.q as decodeObject would, for the
// common case, its pointers pointing into sc; false means "use
// encoding/json".
func fastCP1(body []byte, sc *cp1Scratch) bool {
	if !readable(body) {
		return false // refused by decodeObject, which says where
	}
	q := &sc.q
	s := jscan{b: body}
	s.ws()
	var seen uint16
	ok := s.object(func(k []byte) bool {
		var bit uint16
		ok := true
		switch string(k) {
		case "version":
			bit = 1
			start := s.i
			if ok = s.skip(); ok {
				q.Version = json.RawMessage(body[start:s.i])
			}
		case "request_id":
			bit = 2
			q.RequestID, ok = s.optStr()
		case "trace_id":
			bit = 4
			q.TraceID, ok = s.optStr()
		case "tenant_id":
			bit = 8
			q.TenantID, ok = s.optName(sc.names)
		case "policy_id":
			bit = 16
			q.PolicyID, ok = s.optName(sc.names)
		case "task":
			bit = 32
			if s.null() {
				q.Task = nil
				break
			}
			t := &sc.task
			*t = cp1Task{}
			// A repeated key gives up: encoding/json keeps the last
			// value, but a null leaves a string as it was.
			var got uint8
			ok = s.object(func(k []byte) bool {
				switch string(k) {
				case "type":
					if got&1 != 0 {
						return false
					}
					got |= 1
					var ok bool
					t.Type, ok = s.optName(sc.names)
					return ok
				case "payload_ref":
					if got&2 != 0 {
						return false
					}
					got |= 2
					var ok bool
					t.PayloadRef, ok = s.optStr()
					return ok
				case "payload":
					start := s.i
					if !s.skip() {
						return false
					}
					t.Payload = json.RawMessage(body[start:s.i])
					return true
				}
				return s.skipUnknown(k, cp1TaskFields)
			})
			q.Task = t
		case "constraints":
			bit = 64
			if s.null() {
				q.Constraints = nil
				break
			}
			c := &sc.cons
			*c = cp1Constraints{}
			ok = s.object(func(k []byte) bool {
				var ok bool
				switch string(k) {
				case "max_latency_ms":
					c.MaxLatencyMs, ok = s.optFloat(&sc.lat)
				case "max_cost":
					c.MaxCost, ok = s.optFloat(&sc.cost)
				default:
					ok = s.skipUnknown(k, cp1ConstrFields)
				}
				return ok
			})
			q.Constraints = c
		case "metadata":
			bit = 128
			if s.null() {
				q.Metadata = nil
				break
			}
			m := map[string]json.RawMessage{}
			ok = s.object(func(k []byte) bool {
				start := s.i
				if !s.skip() {
					return false
				}
				m[string(k)] = json.RawMessage(body[start:s.i])
				return true
			})
			q.Metadata = m
		case "push_assignment":
			bit = 256
			switch {
			case s.null():
				q.PushAssignment = nil
			case s.lit("true"):
				sc.push = true
				q.PushAssignment = &sc.push
			case s.lit("false"):
				sc.push = false
				q.PushAssignment = &sc.push
			default:
				ok = false
			}
		default:
			return s.skipUnknown(k, cp1Fields)
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
	return ok && s.end()
}

// v2Item is a v2 decide request decoded by the fast path: a decide body,
// or one item of a batch.
type v2Item struct {
	policyID string
	req      vm.Value // not a record when the request is missing or null
}

// fastV2 decodes a v2 decide body {"policy_id"?, "request"}. false means
// "use the encoding/json path", which reports every error; a missing or
// null request is decoded (checkRequest reports it).
func (e *Engine) fastV2(body []byte, keep *slotBuf) (v2Item, bool) {
	if !readable(body) {
		return v2Item{}, false // refused by decodeObject, which says where
	}
	s := jscan{b: body, keep: keep}
	s.ws()
	var it v2Item
	if !e.fastV2Item(&s, &it) || !s.end() {
		return v2Item{}, false
	}
	return it, true
}

// fastV2Item decodes one {"policy_id"?, "request"?} object into it, the
// Request record in an arena of its own.
func (e *Engine) fastV2Item(s *jscan, it *v2Item) bool {
	var got uint8
	return s.object(func(k []byte) bool {
		switch string(k) {
		case "policy_id":
			if got&1 != 0 {
				return false
			}
			got |= 1
			var ok bool
			it.policyID, ok = s.optStr()
			return ok
		case "request":
			if got&2 != 0 {
				return false
			}
			got |= 2
			if s.null() {
				return true
			}
			s.arena = s.keep.take(e.fast.slotsOf(e.reqType))
			var ok bool
			it.req, ok = e.fast.value(s, e.reqType)
			return ok
		}
		return false // an unknown key: the encoding/json path refuses it
	})
}

// fastBatch decodes a v2 batch body {"requests": [...]} into its items.
// false means "use the encoding/json path": anything fastV2 would refuse
// in an item, an item that is not an object or null (a null item is a
// missing request), more than MaxBatch items.
func (e *Engine) fastBatch(body []byte) ([]v2Item, bool) {
	if !readable(body) {
		return nil, false // refused by decodeObject, which says where
	}
	s := jscan{b: body}
	s.ws()
	var items []v2Item
	seen := false
	ok := s.object(func(k []byte) bool {
		if string(k) != "requests" {
			return false // an unknown key: the encoding/json path refuses it
		}
		if seen {
			return false
		}
		seen = true
		return s.array(func() bool { // null too: the encoding/json path refuses it
			if len(items) == MaxBatch {
				return false // the other path reports how many
			}
			var it v2Item
			ok := s.null() || e.fastV2Item(&s, &it)
			items = append(items, it)
			return ok
		})
	})
	if !ok || !s.end() || !seen {
		return nil, false // no list of requests: the encoding/json path refuses it
	}
	return items, true
}

// typedDecoder decodes JSON straight into values of a type, as
// rpl.FromJSON does for the inputs it accepts.
type typedDecoder struct {
	zeros sync.Map // *lang.Record → []vm.Value, the zero slots
	nslot sync.Map // *lang.Record → int, see slotsOf
}

// slotsOf is the number of slots of r and of the records its fields hold
// directly (not in lists or maps), recursively: the arena a decoded r
// needs at most.
func (d *typedDecoder) slotsOf(r *lang.Record) int {
	if n, ok := d.nslot.Load(r); ok {
		return n.(int)
	}
	n := recordSlots(r, 0)
	d.nslot.Store(r, n)
	return n
}

func recordSlots(r *lang.Record, depth int) int {
	n := len(r.Fields)
	if depth >= 8 { // recursive types stop here (the arena is a hint)
		return n
	}
	for _, f := range r.Fields {
		t := f.Type
		if o, ok := t.(*lang.Optional); ok {
			t = o.Elem
		}
		if sub, ok := t.(*lang.Record); ok {
			n += recordSlots(sub, depth+1)
		}
	}
	return n
}

func (d *typedDecoder) zeroSlots(r *lang.Record) []vm.Value {
	if z, ok := d.zeros.Load(r); ok {
		return z.([]vm.Value)
	}
	z := slices.Clone(compiler.ZeroValue(r).Record())
	d.zeros.Store(r, z)
	return z
}

func (d *typedDecoder) value(s *jscan, t lang.Type) (vm.Value, bool) {
	switch t := t.(type) {
	case *lang.Optional:
		if s.null() {
			return vm.Nil(), true
		}
		return d.value(s, t.Elem)
	case *lang.Enum:
		if s.null() {
			return compiler.ZeroValue(t), true // its first member, as rpl.FromGo gives
		}
		str, ok := s.str()
		if !ok || !slices.Contains(t.Members, str) {
			return vm.Value{}, false
		}
		return vm.Str(str), true
	case *lang.List:
		if s.null() {
			return compiler.ZeroValue(t), true
		}
		var out []vm.Value
		ok := s.array(func() bool {
			v, ok := d.value(s, t.Elem)
			out = append(out, v)
			return ok
		})
		if !ok {
			return vm.Value{}, false
		}
		if out == nil {
			out = []vm.Value{}
		}
		return vm.NewList(out), true
	case *lang.Map:
		if s.null() {
			return compiler.ZeroValue(t), true
		}
		if k, ok := t.Key.(*lang.Basic); !ok || k.Kind != lang.String {
			return vm.Value{}, false
		}
		type kv struct {
			k string
			v vm.Value
		}
		var kvs []kv
		ok := s.object(func(k []byte) bool {
			v, ok := d.value(s, t.Elem)
			kvs = append(kvs, kv{string(k), v})
			return ok
		})
		if !ok {
			return vm.Value{}, false
		}
		slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
		ks := make([]vm.Value, len(kvs))
		vs := make([]vm.Value, len(kvs))
		for i, x := range kvs {
			if i > 0 && kvs[i-1].k == x.k {
				return vm.Value{}, false // a duplicate key: encoding/json keeps the last
			}
			ks[i], vs[i] = vm.Str(x.k), x.v
		}
		m, err := vm.NewMap(ks, vs)
		return m, err == nil
	case *lang.Record:
		if s.null() {
			return compiler.ZeroValue(t), true
		}
		slots := s.arena.copyOf(d.zeroSlots(t))
		var seen uint64
		ok := len(t.Fields) <= 64 && s.object(func(k []byte) bool {
			i := t.FieldIndex(string(k))
			if i < 0 || seen&(1<<i) != 0 {
				return false // unknown (an error) or duplicate
			}
			seen |= 1 << i
			v, ok := d.value(s, t.Fields[i].Type)
			slots[i] = v
			return ok
		})
		if !ok {
			return vm.Value{}, false
		}
		return vm.NewRecord(slots), true
	case *lang.Basic:
		if s.null() {
			return compiler.ZeroValue(t), true
		}
		return basicValue(s, t)
	}
	return vm.Value{}, false
}

func basicValue(s *jscan, t *lang.Basic) (vm.Value, bool) {
	c := s.peek()
	isNum := c == '-' || c >= '0' && c <= '9'
	switch t.Kind {
	case lang.Bool:
		switch {
		case s.lit("true"):
			return vm.Bool(true), true
		case s.lit("false"):
			return vm.Bool(false), true
		}
	case lang.String:
		if c == '"' {
			str, ok := s.str()
			return vm.Str(str), ok
		}
	case lang.Int:
		if isNum {
			tok, ok := s.num()
			n, err := strconv.ParseInt(string(tok), 10, 64)
			return vm.Int(n), ok && err == nil
		}
	case lang.Float:
		if isNum {
			tok, ok := s.num()
			f, err := parseFloat(tok)
			return vm.Float(f), ok && err == nil
		}
	case lang.Money:
		var str string
		ok := false
		parse := jsonx.ParseMoney // a number's text, exponent forms included
		if isNum {
			var tok []byte
			tok, ok = s.num()
			str = string(tok)
		} else if c == '"' {
			// A string is a money literal, its "$" optional.
			str, ok = s.str()
			parse = jsonx.ParseMoneyText
		}
		if ok {
			n, err := parse(str)
			return vm.Money(n), err == nil
		}
	case lang.Duration:
		if c == '"' {
			str, ok := s.str()
			d, err := lang.ParseDuration(str)
			return vm.Duration(d), ok && err == nil
		}
		if isNum {
			tok, ok := s.num()
			ms, err := parseFloat(tok)
			if !ok || err != nil || math.IsInf(ms, 0) || math.Abs(ms) > float64(math.MaxInt64/int64(time.Millisecond)) || ms != math.Trunc(ms) {
				return vm.Value{}, false // refused by rpl.FromJSON (a fraction of a millisecond too)
			}
			return vm.Duration(time.Duration(ms * float64(time.Millisecond))), true
		}
	case lang.Time:
		// Times beyond int64 nanoseconds (1677 to 2262) take the other
		// path, which refuses them (rpl.FromJSON).
		if c == '"' {
			str, ok := s.str()
			tm, err := time.Parse(time.RFC3339Nano, str)
			return vm.TimeOf(tm), ok && err == nil && vm.TimeInRange(tm)
		}
		if isNum {
			tok, ok := s.num()
			ms, err := strconv.ParseInt(string(tok), 10, 64)
			// Unix seconds' numbers are rpl.FromJSON's to refuse.
			return vm.Time(ms * int64(time.Millisecond)), ok && err == nil && ms >= vm.MinTimeMillis && ms <= vm.MaxTimeMillis && rpl.TimeNumberTaken(ms)
		}
	}
	return vm.Value{}, false
}
