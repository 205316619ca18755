package vm

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/rpl-lang/rpl/internal/durtext"
	"github.com/rpl-lang/rpl/internal/money"
	"github.com/rpl-lang/rpl/internal/textcut"
)

// Kind is the run-time kind of a Value.
type Kind uint8

// The kinds of values. Enums are plain strings at run time.
const (
	KindNil      Kind = iota // the "none" of an optional
	KindBool                 // true or false
	KindInt                  // int64
	KindFloat                // float64
	KindString               // immutable UTF-8 (by convention) bytes
	KindDuration             // int64 nanoseconds
	KindMoney                // int64 nano-units (1e-9 of the currency unit)
	KindTime                 // int64 Unix nanoseconds
	KindList                 // ordered sequence of values
	KindMap                  // string- or int-keyed map, insertion ordered
	KindRecord               // fixed-slot record; slots sorted by field name
	numKinds
)

var kindNames = [...]string{
	KindNil:      "none",
	KindBool:     "bool",
	KindInt:      "int",
	KindFloat:    "float",
	KindString:   "string",
	KindDuration: "duration",
	KindMoney:    "money",
	KindTime:     "time",
	KindList:     "list",
	KindMap:      "map",
	KindRecord:   "record",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is an RPL run-time value. It is 24 bytes, cheap to copy and holds
// scalars without boxing:
//
//	kind            n                      p
//	Nil             0                      nil
//	Bool            0 or 1                 nil
//	Int, Duration,
//	Money, Time     the int64 bits         nil
//	Float           math.Float64bits       nil
//	String          byte length            pointer to the bytes
//	List            0                      *listObj
//	Map             0                      *mapObj
//	Record          number of slots        pointer to slot 0
//
// The zero Value is Nil. Values are immutable once built (the one exception,
// APPEND into a list created by the same run, is invisible to policies).
type Value struct {
	k Kind
	n uint64
	p unsafe.Pointer
}

// Nil returns the none value of an optional.
func Nil() Value { return Value{} }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return Value{k: KindBool, n: 1}
	}
	return Value{k: KindBool}
}

// Int returns an int value.
func Int(i int64) Value { return Value{k: KindInt, n: uint64(i)} }

// Float returns a float value.
func Float(f float64) Value { return Value{k: KindFloat, n: math.Float64bits(f)} }

// Str returns a string value. It does not copy s.
func Str(s string) Value {
	return Value{k: KindString, n: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// Duration returns a duration value.
func Duration(d time.Duration) Value { return Value{k: KindDuration, n: uint64(d)} }

// Money returns a money value of nanos nano-units (1e-9 of the currency unit).
func Money(nanos int64) Value { return Value{k: KindMoney, n: uint64(nanos)} }

// Time returns a time value of unixNanos nanoseconds since the Unix epoch.
func Time(unixNanos int64) Value { return Value{k: KindTime, n: uint64(unixNanos)} }

// TimeOf returns the time value of t; t must be in range (TimeInRange),
// else the value is another time.
func TimeOf(t time.Time) Value { return Time(t.UnixNano()) }

// The times a value holds: Unix nanoseconds in an int64, from
// 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z
// (TimeRange); in whole Unix milliseconds, from MinTimeMillis to
// MaxTimeMillis.
const (
	MinTimeMillis = math.MinInt64 / int64(time.Millisecond)
	MaxTimeMillis = math.MaxInt64 / int64(time.Millisecond)
)

var minTime, maxTime = time.Unix(0, math.MinInt64).UTC(), time.Unix(0, math.MaxInt64).UTC()

// TimeRange returns the first and the last time a value holds, in UTC.
func TimeRange() (first, last time.Time) { return minTime, maxTime }

// TimeInRange reports whether t is a time a value holds: whether
// TimeOf(t).Time() is t.
func TimeInRange(t time.Time) bool { return !t.Before(minTime) && !t.After(maxTime) }

// NewRecord returns a record whose slots are slots (not copied: the caller
// must not modify slots afterwards). Slots are laid out in the order of the
// record type's field names, sorted.
func NewRecord(slots []Value) Value {
	if len(slots) == 0 {
		return Value{k: KindRecord}
	}
	return Value{k: KindRecord, n: uint64(len(slots)), p: unsafe.Pointer(&slots[0])}
}

// NewList returns a list of elems (not copied: the caller must not modify
// elems afterwards).
func NewList(elems []Value) Value {
	return Value{k: KindList, p: unsafe.Pointer(&listObj{elems: elems})}
}

// Kind reports the kind of v.
func (v Value) Kind() Kind { return v.k }

// IsNil reports whether v is the none value.
func (v Value) IsNil() bool { return v.k == KindNil }

// Bool returns the bool held by v (false if v is not a Bool).
func (v Value) Bool() bool { return v.n != 0 }

// Int returns the int64 held by an Int, Duration, Money or Time value.
func (v Value) Int() int64 { return int64(v.n) }

// Float returns the float64 held by a Float value.
func (v Value) Float() float64 {
	if v.k != KindFloat {
		return 0
	}
	return math.Float64frombits(v.n)
}

// Str returns the string held by v, or "" if v is not a String.
func (v Value) Str() string {
	if v.k != KindString || v.n == 0 {
		return ""
	}
	return unsafe.String((*byte)(v.p), int(v.n))
}

// str is Str without the kind check; only for values known to be strings.
func (v Value) str() string { return unsafe.String((*byte)(v.p), int(v.n)) }

// Duration returns the duration held by v.
func (v Value) Duration() time.Duration { return time.Duration(v.n) }

// Money returns the nano-units held by a Money value.
func (v Value) Money() int64 { return int64(v.n) }

// Time returns the time held by a Time value, in UTC.
func (v Value) Time() time.Time { return time.Unix(0, int64(v.n)).UTC() }

// List returns the elements of a List value (nil for other kinds). The
// caller must not modify them.
func (v Value) List() []Value {
	if v.k != KindList {
		return nil
	}
	return (*listObj)(v.p).elems
}

// Record returns the slots of a Record value (nil for other kinds). The
// caller must not modify them.
func (v Value) Record() []Value {
	if v.k != KindRecord || v.n == 0 {
		return nil
	}
	return unsafe.Slice((*Value)(v.p), int(v.n))
}

// Map returns a read-only view of a Map value (an empty view for other kinds).
func (v Value) Map() Map {
	if v.k != KindMap {
		return Map{}
	}
	return Map{(*mapObj)(v.p)}
}

// Len returns the length of a string (bytes), list, map or record, and 0
// for other kinds.
func (v Value) Len() int {
	switch v.k {
	case KindString, KindRecord:
		return int(v.n)
	case KindList:
		return len((*listObj)(v.p).elems)
	case KindMap:
		return len((*mapObj)(v.p).keys)
	}
	return 0
}

// Equal reports deep equality of a and b. Values of different kinds are
// never equal (none equals only none). Floats compare with IEEE ==, so NaN
// is not equal to itself (nor is a list holding NaN, even the same list:
// Equal does not short-circuit identical lists, maps or records).
//
// Equal walks nested lists, maps and records without bound, for values
// of known depth (the host's, constants); the interpreter and Call.Equal
// charge the walk to the run's fuel and stop it at MaxCompareDepth.
func Equal(a, b Value) bool {
	if a.k != b.k {
		return false
	}
	if a.k < KindList {
		return equalScalar(a, b)
	}
	return equal(a, b, nil, 0)
}

// equalScalar is Equal of two values of the same scalar kind.
func equalScalar(a, b Value) bool {
	switch a.k {
	case KindNil:
		return true
	case KindFloat:
		return math.Float64frombits(a.n) == math.Float64frombits(b.n)
	case KindString:
		return a.n == b.n && (a.p == b.p || a.str() == b.str())
	}
	return a.n == b.n // bool, int, duration, money, time
}

// equal is Equal that counts the element pairs it compares in w (nil: no
// count, no bound), a and b depth levels below the values compared. It
// returns false as soon as w.step fails, or w.at at MaxCompareDepth; the
// caller then reports w.err, not the result.
func equal(a, b Value, w *walk, depth int) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case KindList:
		x, y := (*listObj)(a.p).elems, (*listObj)(b.p).elems
		if len(x) != len(y) {
			return false
		}
		if !w.at(depth) {
			return false
		}
		for i := range x {
			if w != nil && !w.step() {
				return false
			}
			if !equal(x[i], y[i], w, depth+1) {
				return false
			}
		}
		return true
	case KindRecord:
		if a.n != b.n {
			return false
		}
		if !w.at(depth) {
			return false
		}
		x, y := a.Record(), b.Record()
		for i := range x {
			if w != nil && !w.step() {
				return false
			}
			if !equal(x[i], y[i], w, depth+1) {
				return false
			}
		}
		return true
	case KindMap:
		x, y := (*mapObj)(a.p), (*mapObj)(b.p)
		if len(x.keys) != len(y.keys) {
			return false
		}
		if !w.at(depth) {
			return false
		}
		for i, k := range x.keys {
			if w != nil && !w.take(1) { // an entry: 1 fuel (walk.go)
				return false
			}
			// Finding k costs what INDEX_MAP charges: in y of up to 8
			// keys, which find scans, k's bytes for each key of its
			// length compared.
			var j int
			if f := KeyFuel(k); w != nil && f > 0 {
				var fuel int64
				if j, fuel = y.findFuel(k, f); !w.take(fuel) {
					return false
				}
			} else {
				j = y.find(k)
			}
			if j < 0 || !equal(x.vals[i], y.vals[j], w, depth+1) {
				return false
			}
		}
		return true
	}
	eq, fuel := equalFuel(a, b)
	if w != nil && fuel > 0 && !w.take(fuel) {
		return false
	}
	return eq
}

// Compare orders a and b: -1, 0 or +1. Values of different kinds order by
// kind. Within a kind: false < true; numbers, durations, money and times
// numerically, floats as Go's cmp.Compare (NaN before every other float
// and equal to another NaN, -0.0 equal to 0.0); strings bytewise; lists,
// records lexicographically; maps by length, then entry by entry in
// iteration order. Compare is a total preorder, NaN included, so a valid
// comparison for sorting (two NaNs tie, as do -0.0 and 0.0), and the
// order of every builtin that orders values: sort and keys with Compare,
// min and max of floats with cmp.Less, min_by and max_by with BEFORE_FLOAT
// and AFTER_FLOAT on float keys and BEFORE and AFTER on keys that are not
// bools, int-likes or strings.
//
// Like Equal, Compare walks nested values without bound (it returns 0 at
// once for the same list, map or record); Call.Compare charges the walk,
// the ordering of maps' keys included, and stops it at MaxCompareDepth.
func Compare(a, b Value) int { return compare(a, b, nil, 0) }

// compare is Compare that counts the element pairs it compares in w, a
// and b depth levels below the values compared, as equal. It returns 0 as
// soon as w.step fails, or w.at at MaxCompareDepth.
func compare(a, b Value, w *walk, depth int) int {
	if a.k != b.k {
		return cmp3(int(a.k), int(b.k))
	}
	switch a.k {
	case KindNil:
		return 0
	case KindBool:
		return cmp3(int(a.n), int(b.n))
	case KindFloat:
		x, y := math.Float64frombits(a.n), math.Float64frombits(b.n)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		case x == y:
			return 0
		case math.IsNaN(x) && math.IsNaN(y):
			return 0
		case math.IsNaN(x):
			return -1
		}
		return 1
	case KindString:
		if w == nil {
			return strings.Compare(a.str(), b.str())
		}
		c, fuel := compareStr(a, b)
		if !w.take(fuel) {
			return 0
		}
		return c
	case KindList:
		if a.p == b.p {
			return 0
		}
		return compareSlices(a.List(), b.List(), w, depth)
	case KindRecord:
		if a.p == b.p && a.n == b.n {
			return 0
		}
		return compareSlices(a.Record(), b.Record(), w, depth)
	case KindMap:
		if a.p == b.p {
			return 0
		}
		x, y := (*mapObj)(a.p), (*mapObj)(b.p)
		if c := cmp3(len(x.keys), len(y.keys)); c != 0 {
			return c
		}
		// Entry by entry in ascending key order, the order the language
		// iterates maps in, so that maps equal by == compare equal
		// whatever the order their entries were written in.
		// Ordering the keys is charged to w as comparing them is.
		ox, oy := ascendingWalk(x, w, depth), ascendingWalk(y, w, depth)
		if w != nil && w.err != nil || !w.at(depth) {
			return 0
		}
		c := 0
		for n := range x.keys {
			if w != nil && !w.step() {
				break
			}
			i, j := n, n
			if ox != nil {
				i = ox[n]
			}
			if oy != nil {
				j = oy[n]
			}
			if c = compare(x.keys[i], y.keys[j], w, depth+1); c != 0 {
				break
			}
			if c = compare(x.vals[i], y.vals[j], w, depth+1); c != 0 {
				break
			}
		}
		return c
	}
	x, y := int64(a.n), int64(b.n)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// floatBefore reports whether x orders before y in Compare's order of
// floats (cmp.Less): x < y, or x is NaN and y is not. Written so that two
// numbers with x not below y, the common case of min_by's loop, cost one
// comparison, as x < y does: !(y <= x) holds for x < y and for either
// NaN, and y == y then rules out y NaN.
func floatBefore(x, y float64) bool { return !(y <= x) && y == y }

func compareSlices(x, y []Value, w *walk, depth int) int {
	if !w.at(depth) {
		return 0
	}
	c, stopped := 0, false
	for i := 0; i < len(x) && i < len(y); i++ {
		if w != nil && !w.step() {
			stopped = true
			break
		}
		if c = compare(x[i], y[i], w, depth+1); c != 0 {
			break
		}
	}
	if c == 0 && !stopped {
		c = cmp3(len(x), len(y))
	}
	return c
}

func cmp3(x, y int) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// String returns a debug form of v close to RPL literal syntax: strings
// quoted, durations like 250ms, money like $0.0025, times as
// time("RFC 3339"), lists [1, 2], maps {"a": 1}, records {slot0, slot1}
// (records carry no field names at run time), none as none.
//
// It is meant for messages, so it is bounded: past about MaxString bytes
// the text is cut as stringMax cuts it ("..." for the rest of a string or
// of a collection) and followed by v's full length, in bytes for a string
// and in elements for a list, map or record:
//
//	["aaaa...", ...] (1000000 elements)
//
// Literal is the whole text, for what needs it exactly.
func (v Value) String() string {
	var b strings.Builder
	v.format(&b, Nil(), 0, MaxString, nil)
	// A text cut is longer than MaxString; one that is not may be too (a
	// string of MaxString bytes, quoted). It was cut if more room writes
	// more: whole, a text is the same whatever the limit.
	if b.Len() <= MaxString || b.String() == v.stringMax(2*MaxString, nil) {
		return b.String()
	}
	unit := " bytes)"
	switch n := v.Len(); {
	case v.k != KindString && n == 1:
		unit = " element)"
	case v.k != KindString:
		unit = " elements)"
	}
	b.WriteString(" (" + strconv.Itoa(v.Len()) + unit)
	return b.String()
}

// MaxString is about the most bytes String writes of a value before it
// cuts the rest (it then adds a few per level of nesting, and the length).
const MaxString = MaxFailValue

// Literal is String's text whole, however long: the exact form a key or
// an encoding needs (the compiler interns its constants by it). Its length
// and work are proportional to v's.
func (v Value) Literal() string {
	var b strings.Builder
	v.format(&b, Nil(), 0, math.MaxInt, nil)
	return b.String()
}

// stringMax is String cut after about max bytes: an element that starts
// past max, and the rest of a string longer than what is left, are written
// as "...". The text is at most max plus a few bytes per level of nesting
// (as deep as MaxFormatDepth), and the work is proportional to it however
// large or widely shared v is.
//
// Ordering a map's keys is the exception, work on all of them; with a
// work (not nil), it is counted as the fuel of sorting them, for a caller
// that charges it (EXPECT_FAIL, FAIL), and a map whose ordering would
// take more than work allows is written "..." instead.
func (v Value) stringMax(max int, work *writeFuel) string {
	var b strings.Builder
	v.format(&b, Nil(), 0, max, work)
	return b.String()
}

// MaxFormatDepth is how deep String and FormatShaped write nested values
// ("..." stands for what lies deeper).
const MaxFormatDepth = 64

// writeFuel is the fuel of ordering the keys of the maps stringMax writes
// (OrderKeysFuel), up to max: a value that may be large, and widely shared
// or cyclic, is written for a failure at most as far as the run's fuel
// pays for the sorting.
type writeFuel struct {
	fuel, max int64
	out       bool // a map was written "..." for want of fuel
	// call, when not nil, is the run whose deadline the writing checks
	// (Call.Pace) at each value it writes and each comparison of keys it
	// orders; err is the first error, after which it writes nothing more.
	call *Call
	err  error
}

// pace is call's Pace for w, false once w has an error.
func (w *writeFuel) pace() bool {
	if w.err == nil {
		w.err = w.call.Pace()
	}
	return w.err == nil
}

// format writes v to b by shape (FormatShaped; none: as String), cutting
// at limit bytes of b as stringMax does, counting in work (when not nil)
// the fuel of ordering the keys of the maps it writes.
func (v Value) format(b *strings.Builder, shape Value, depth, limit int, work *writeFuel) {
	if work != nil && work.call != nil && !work.pace() {
		return
	}
	if depth > MaxFormatDepth || b.Len() >= limit {
		b.WriteString("...")
		return
	}
	sp := PartsOf(shape, v)
	switch v.k {
	case KindNil:
		b.WriteString("none")
	case KindBool:
		b.WriteString(strconv.FormatBool(v.n != 0))
	case KindInt:
		b.WriteString(strconv.FormatInt(int64(v.n), 10))
	case KindFloat:
		b.WriteString(formatFloat(math.Float64frombits(v.n)))
	case KindString:
		s := v.str()
		if sp.Bare && isName(s) {
			b.WriteString(s) // an enum member
			break
		}
		if room := limit - b.Len(); len(s) > room {
			b.WriteString(strconv.Quote(textcut.Prefix(s, max(room, 0))))
			b.WriteString("...")
			break
		}
		b.WriteString(strconv.Quote(s))
	case KindDuration:
		b.WriteString(formatDuration(int64(v.n)))
	case KindMoney:
		b.WriteString(formatMoney(int64(v.n)))
	case KindTime:
		b.WriteString(`time("`)
		b.WriteString(time.Unix(0, int64(v.n)).UTC().Format(time.RFC3339Nano))
		b.WriteString(`")`)
	case KindList:
		xs := v.List()
		writeSeq(b, '[', ']', len(xs), limit, func(i int) { xs[i].format(b, sp.Part(0), depth+1, limit, work) })
	case KindRecord:
		xs := v.Record()
		writeSeq(b, '{', '}', len(xs), limit, func(i int) {
			if sp.Names != nil {
				b.WriteString(sp.Names[i].str())
				b.WriteString(": ")
			}
			xs[i].format(b, sp.Part(i), depth+1, limit, work)
		})
	case KindMap:
		m := Map{(*mapObj)(v.p)}
		if n := m.Len(); work != nil && n > 1 {
			// Ordering the keys: SortFuel, and each key's bytes for
			// the comparisons it takes part in; past the fuel there
			// is, no more ordering.
			f := int64(0)
			if !work.out {
				f = OrderKeysFuel(n, m.KeysFuel())
			}
			if work.out || f > work.max-work.fuel {
				work.out = true
				b.WriteString("...")
				break
			}
			work.fuel += f
		}
		m.writeSeq(b, limit, work, func(k, x Value) {
			k.format(b, sp.Part(0), depth+1, limit, work)
			b.WriteString(": ")
			x.format(b, sp.Part(1), depth+1, limit, work)
		})
	default:
		b.WriteString("<" + v.k.String() + ">")
	}
}

// writeSeq writes n elements between open and close, separated by ", ",
// each by elem(i), and "..." for the rest once b is limit bytes long: how
// String and FormatShaped bound their text.
func writeSeq(b *strings.Builder, open, close byte, n, limit int, elem func(i int)) {
	b.WriteByte(open)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if b.Len() >= limit {
			b.WriteString("...")
			break
		}
		elem(i)
	}
	b.WriteByte(close)
}

// writeSeq writes m's entries as writeSeq does, between braces, in
// ascending key order, as the language iterates a map; with a work of a
// call, each comparison of the order paces the writing.
func (m Map) writeSeq(b *strings.Builder, limit int, work *writeFuel, entry func(k, v Value)) {
	var order []int
	if work != nil && work.call != nil {
		order = ascendingFunc(m.m, func(a, b Value) int {
			if !work.pace() {
				return 0
			}
			return Compare(a, b)
		})
	} else {
		order = ascending(m.m)
	}
	writeSeq(b, '{', '}', len(m.m.keys), limit, func(n int) {
		i := n
		if order != nil {
			i = order[n]
		}
		entry(m.m.keys[i], m.m.vals[i])
	})
}

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") { // keep 1.0 distinct from 1; leave Inf/NaN alone
		s += ".0"
	}
	return s
}

// formatDuration prints d as a duration literal: 2d, 1h30m, 250ms,
// 1s500ms, 0s, -2m (durtext, as lang and the runtime's encoders write
// one).
func formatDuration(d int64) string { return string(durtext.Append(nil, time.Duration(d))) }

// formatMoney prints nanos as $units.fraction with at least two decimals and
// no trailing zeros beyond them: $1.00, $0.0025, -$3.50 (money.Append, as
// a money literal is written).
func formatMoney(nanos int64) string {
	var b [24]byte // "-$9223372036.854775808" at most
	return string(money.Append(b[:0], nanos))
}
