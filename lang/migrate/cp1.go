package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
)

// Policy is a validated CP1 routing policy.
type Policy struct {
	ID          string // policy_id, may be empty
	Description string
	// Providers in document order (legacy weights: sorted by name).
	Providers      []Provider
	LegacyWeights  bool
	Fallbacks      []Fallback
	LegacyFallback bool
	Sticky         *Sticky // nil when absent
	Pre            []Extension
	Validators     []Extension
	Post           []Extension
	CircuitBreaker *CircuitBreaker // nil when absent
	RateLimit      *RateLimit      // nil when absent
}

// Provider is a weighted target.
type Provider struct {
	Name        string
	Weight      int // 0–100
	Priority    int // 0–100, when HasPriority
	HasPriority bool
}

// Fallback is one step of the fallback chain.
type Fallback struct {
	To string
	// On are the RPL triggers (Trigger enum members), in first-mention
	// order, without repeats.
	On []string
	// Conditions are the CP1 conditions as written, for comments; Widened
	// lists those that RPL can only express more broadly (a single 5xx
	// status becomes every 5xx).
	Conditions []string
	Widened    []string
	Retry      int
	Backoff    Backoff
	// explicit5xx: a condition asks for every 5xx status ("5xx"), so a
	// single status widened to http_5xx adds nothing.
	explicit5xx bool
}

// Backoff is a CP1 retry backoff. RPL decisions carry one delay (Base);
// the rest is the router's.
type Backoff struct {
	Strategy string        // fixed (default), linear or exponential
	Base     time.Duration // base_ms
	Max      time.Duration // max_ms; 0 when absent
	Jitter   bool
}

// Sticky is session affinity.
type Sticky struct {
	Enabled bool
	// SessionKey names the request metadata key that holds the session;
	// empty means the request's session id.
	SessionKey string
	TTL        time.Duration
}

// DefaultStickyTTL is the ttl of a CP1 sticky block without one (as in
// RPL).
const DefaultStickyTTL = 10 * time.Minute

// Extension is an entry of pre, validators or post.
type Extension struct {
	ID        string
	HasConfig bool
}

// CircuitBreaker is CP1's per-provider breaker. The policy expresses its
// effect on routing (providers whose breaker is open, or whose error rate
// reaches ErrorRate, get no traffic unless all are down); the breaker's
// mechanics are the router's.
type CircuitBreaker struct {
	Enabled          bool
	FailureThreshold int     // 0 when absent
	ErrorRate        float64 // 0 when absent
	Cooldown         time.Duration
	HasCooldown      bool // cooldown_ms given (0 is a setting too)
	HalfOpenRequests int
}

// RateLimit is CP1's request rate limit. Neither an RPL policy nor the
// router enforces it: Generate says so.
type RateLimit struct {
	PerSecond float64 // requests_per_second, or requests_per_minute/60
	PerMinute int
	Burst     int
	Scope     string // global, tenant (default) or user
}

// Error is an invalid field of a CP1 policy.
type Error struct {
	Path string // JSON path: fallbacks[1].backoff.base_ms
	Msg  string
	// Line and Col place the value at Path in the document, both from 1,
	// the column in bytes (Place): the nearest value on Path's way that
	// the document holds when it lacks that one (a field required), the
	// second occurrence of a key given twice; for JSON that does not
	// parse, the byte at fault. 0 when not placed (an empty file): Error
	// does not say them, the file's name goes before them.
	Line, Col int
	repeat    bool // a duplicate key: placed at its second occurrence
}

// Place sets e.Line and e.Col to the position in data, the document e is
// about, of the value at e.Path (jsonx.NearestOffset; jsonx.RepeatOffset
// for a key given twice). Parse places its errors; Generate's are placed
// by the caller, which has the document. An error about no path (a
// document that is not JSON, which Parse placed) is left as it is.
func (e *Error) Place(data []byte) {
	if e.Path != "" {
		e.Line, e.Col = placePath(data, e.Path, e.repeat)
	}
}

// placePath is the line and column in data of the value at path, as
// Error.Place places it: 0, 0 for a path that key, join and index did not
// write.
func placePath(data []byte, path string, repeat bool) (line, col int) {
	at, ok := jsonxPath(path)
	if !ok {
		return 0, 0
	}
	return jsonx.Position(data, jsonx.ValueOffset(data, at, repeat))
}

// jsonxPath is path, as key, join and index write it, in the words of
// jsonx.KeyPath, which jsonx.PathOffset reads: a key that key quotes in
// brackets (weights["a.b"]) is a step of its own there, written as
// KeyPath writes it. ok is false for a path key did not write.
func jsonxPath(path string) (string, bool) {
	out := ""
	for i := 0; i < len(path); {
		switch {
		case path[i] == '.' && i > 0:
			i++
		case strings.HasPrefix(path[i:], `["`):
			dec := json.NewDecoder(strings.NewReader(path[i+1:]))
			var k string
			if dec.Decode(&k) != nil {
				return "", false
			}
			i += 1 + int(dec.InputOffset())
			if i >= len(path) || path[i] != ']' {
				return "", false
			}
			i++
			out = jsonx.KeyPath(out, k)
		case path[i] == '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return "", false
			}
			out += path[i : i+end+1]
			i += end + 1
		default:
			end := strings.IndexAny(path[i:], ".[")
			if end < 0 {
				end = len(path) - i
			}
			if end == 0 {
				return "", false
			}
			out = jsonx.KeyPath(out, path[i:i+end])
			i += end
		}
	}
	return out, true
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// ErrorList is every error of a policy, in document-schema order; or
// every key given twice in one object, alone.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

type parser struct {
	errs ErrorList
}

func (p *parser) errorf(path, format string, args ...any) {
	p.errs = append(p.errs, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// join is the path of field, a field of the CP1 schema, in the object at
// path.
func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// key is the path of an object key written by the policy's author (an
// unknown field, a provider of the legacy weights): .k when k is a plain
// name, else ["k"], quoted as JSON would, so that an empty key or one
// with dots cannot be mistaken for another path (weights["a.b"],
// providers[0][""]).
func key(path, k string) string {
	plain := k != ""
	for _, r := range k {
		plain = plain && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == ':')
	}
	if !plain {
		var q bytes.Buffer
		enc := json.NewEncoder(&q)
		enc.SetEscapeHTML(false)
		enc.Encode(k)
		return path + "[" + strings.TrimSuffix(q.String(), "\n") + "]"
	}
	return join(path, k)
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object returns x as an object whose fields are all in allowed, reporting
// unknown fields (with a spelling suggestion) in sorted order.
func (p *parser) object(x any, path string, allowed ...string) (map[string]any, bool) {
	m, ok := x.(map[string]any)
	if !ok {
		at := path
		if at == "" {
			at = "policy"
		}
		p.errorf(at, "want an object, have %s", jsonx.Kind(x))
		return nil, false
	}
	var unknown []string
	for k := range m {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		hint := ""
		if n := suggest(k, allowed); n != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", n)
		}
		p.errorf(key(path, k), "unknown field%s", hint)
	}
	// A field given null is absent, as the router reads a CP1 request's
	// optional fields: exports write null for what they leave out
	// ("description": null was refused, want a string).
	for _, v := range m {
		if v == nil {
			m = maps.Clone(m)
			maps.DeleteFunc(m, func(_ string, v any) bool { return v == nil })
			break
		}
	}
	return m, true
}

// suggest is the allowed field closest to k: by edit distance, else the
// one sharing the longest prefix with k (at least 4 bytes and half of k).
func suggest(k string, allowed []string) string {
	if n := lang.Nearest(k, allowed); n != "" {
		return n
	}
	best, bestLen, tie := "", 0, false
	for _, a := range allowed {
		n := 0
		for n < len(a) && n < len(k) && a[n] == k[n] {
			n++
		}
		switch {
		case n > bestLen:
			best, bestLen, tie = a, n, false
		case n == bestLen:
			tie = true
		}
	}
	if tie || bestLen < 4 || 2*bestLen < len(k) {
		return ""
	}
	return best
}

func (p *parser) str(x any, path string, nonEmpty bool) (string, bool) {
	s, ok := x.(string)
	if !ok {
		p.errorf(path, "want a string, have %s", jsonx.Kind(x))
		return "", false
	}
	if nonEmpty && strings.TrimSpace(s) == "" {
		p.errorf(path, "want a non-empty string")
		return "", false
	}
	return s, true
}

// target reads a provider name, which the router must take as a target.
func (p *parser) target(x any, path string) (string, bool) {
	s, ok := p.str(x, path, true)
	if ok && !p.isTarget(s, path) {
		return "", false
	}
	return s, ok
}

// isTarget reports, at path, a provider name that is not a target the
// router takes: it would route to it, but refuse feedback naming it, so
// that its circuit breaker never opens and none of its costs is counted.
func (p *parser) isTarget(name, path string) bool {
	if why := lang.TargetProblem(name); why != "" {
		p.errorf(path, "%q is not a target the router takes: %s", name, why)
		return false
	}
	return true
}

func (p *parser) boolean(x any, path string) (bool, bool) {
	b, ok := x.(bool)
	if !ok {
		p.errorf(path, "want true or false, have %s", jsonx.Kind(x))
	}
	return b, ok
}

// integer reads an integer in [lo, hi], written as one or as a whole
// number in another form (50.0, 5e1: exports write whole floats). A
// whole number above hi is told the bound, unless want names it already.
func (p *parser) integer(x any, path string, lo, hi int64, want string) (int64, bool) {
	n, ok := x.(json.Number)
	if ok {
		v, err := strconv.ParseInt(n.String(), 10, 64)
		if err == nil && lo <= v && v <= hi {
			return v, true
		}
		f, ferr := strconv.ParseFloat(n.String(), 64)
		if err != nil && ferr == nil && f == math.Trunc(f) && float64(lo) <= f && f <= float64(hi) {
			return int64(f), true
		}
		above := err == nil && v > hi ||
			errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(n.String(), "-") ||
			ferr == nil && f > float64(hi) && f == math.Trunc(f) ||
			errors.Is(ferr, strconv.ErrRange) && f > 0
		if above && !strings.Contains(want, strconv.FormatInt(hi, 10)) {
			want += fmt.Sprintf(" of at most %d", hi)
		}
		p.errorf(path, "want %s, have %s", want, n)
		return 0, false
	}
	p.errorf(path, "want %s, have %s", want, jsonx.Kind(x))
	return 0, false
}

func (p *parser) list(x any, path string) ([]any, bool) {
	xs, ok := x.([]any)
	if !ok {
		p.errorf(path, "want a list, have %s", jsonx.Kind(x))
	}
	return xs, ok
}

const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// Parse reads and validates a CP1 policy. Every invalid or unknown field
// is reported, as an ErrorList whose entries name the JSON path; a key
// given twice in one object is an error too, reported before (and
// instead of) the others. JSON that does not parse is one error, with no
// path, placed at the byte at fault (an empty file is not placed); so is
// text that encoding/json reads as U+FFFD (jsonx.Unreadable): a byte that
// is not UTF-8, or the escape of half a UTF-16 surrogate pair.
func Parse(data []byte) (*Policy, error) {
	// invalid is the error of data that is not JSON, placed at the byte
	// at index off, or not placed for off < 0.
	invalid := func(off int64, format string, args ...any) error {
		e := &Error{Msg: "invalid JSON: " + fmt.Sprintf(format, args...)}
		if off >= 0 {
			e.Line, e.Col = jsonx.Position(data, off)
		}
		return ErrorList{e}
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, invalid(0, "the file starts with a UTF-8 byte order mark (BOM); save it without one")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid(-1, "the file is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, invalid(int64(jsonx.SyntaxOffset(data, se)), "%v", se)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, invalid(int64(len(data)), "unexpected end of JSON input")
		}
		return nil, invalid(-1, "%v", err)
	}
	if pe := jsonx.DataAfter(data, dec.InputOffset()); pe != nil {
		return nil, invalid(pe.Offset, "data after the policy")
	}
	// Text that encoding/json reads as U+FFFD, which a provider name or
	// policy_id would carry into the policy changed (two names that
	// differ there would be one): refused at it, as the router refuses
	// it in a request, tenants.json and catalogue.json.
	if off, msg := jsonx.UnreadableText(data); off >= 0 {
		e := &Error{Msg: msg}
		e.Line, e.Col = jsonx.Position(data, int64(off))
		return nil, ErrorList{e}
	}
	p := &parser{}
	// A key given twice is reported alone: the other errors would be
	// about the value encoding/json kept, the last, which may not be the
	// one meant.
	if p.duplicates(data); len(p.errs) > 0 {
		return nil, p.placed(data)
	}
	pol := p.policy(x)
	if len(p.errs) > 0 {
		return nil, p.placed(data)
	}
	return pol, nil
}

// placed is p's errors, each placed in data (Place), in the order of
// their places in the file, as a checker lists them (they came in the
// order of the checks: an unknown field at the end of the file before
// an invalid value at its start); an error not placed comes last.
func (p *parser) placed(data []byte) ErrorList {
	for _, e := range p.errs {
		e.Place(data)
	}
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i], p.errs[j]
		if (a.Line == 0) != (b.Line == 0) {
			return b.Line == 0
		}
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	return p.errs
}

// duplicates reports every key given twice in one object of data, valid
// JSON: encoding/json keeps the last and drops the other silently, where
// the author meant one of them.
func (p *parser) duplicates(data []byte) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value func(path string) bool
	value = func(path string) bool {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		switch t {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				t, err := dec.Token()
				if err != nil {
					return false
				}
				k, _ := t.(string)
				at := key(path, k)
				if seen[k] {
					p.errorf(at, "duplicate key: given twice in one object")
					p.errs[len(p.errs)-1].repeat = true
				}
				seen[k] = true
				if !value(at) {
					return false
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if !value(index(path, i)) {
					return false
				}
			}
			_, err = dec.Token()
		}
		return err == nil
	}
	value("")
}

func (p *parser) policy(x any) *Policy {
	m, ok := p.object(x, "", "version", "policy_id", "description", "providers", "weights",
		"fallbacks", "fallback", "sticky", "pre", "validators", "post", "circuit_breaker", "rate_limit")
	if !ok {
		return nil
	}
	pol := &Policy{}
	// version: "1" (or 1), required, checked first; null is absent.
	switch v := m["version"].(type) {
	case nil:
		p.errorf("version", "missing (want \"1\")")
	case string:
		if v != "1" {
			p.errorf("version", "unsupported CP1 policy version %q (want \"1\")", v)
		}
	case json.Number:
		if v.String() != "1" {
			p.errorf("version", "unsupported CP1 policy version %s (want \"1\")", v)
		}
	default:
		p.errorf("version", "want \"1\", have %s", jsonx.Kind(v))
	}
	if v, ok := m["policy_id"]; ok {
		pol.ID, _ = p.str(v, "policy_id", true)
	}
	if v, ok := m["description"]; ok {
		pol.Description, _ = p.str(v, "description", false)
	}

	_, hasP := m["providers"]
	_, hasW := m["weights"]
	before := len(p.errs)
	switch {
	case hasP && hasW:
		p.errorf("weights", "the legacy form of providers: give providers or weights, not both")
	case hasP:
		pol.Providers = p.providers(m["providers"])
	case hasW:
		pol.Providers, pol.LegacyWeights = p.weights(m["weights"]), true
	default:
		p.errorf("providers", "missing: a policy needs providers (or the legacy weights)")
	}
	// The sum only when every provider is valid: a weight in error is
	// not counted, and the sum of the others says nothing.
	if len(pol.Providers) > 0 && len(p.errs) == before {
		total := 0
		for _, pr := range pol.Providers {
			total += pr.Weight
		}
		if total == 0 {
			at := "providers"
			if pol.LegacyWeights {
				at = "weights"
			}
			p.errorf(at, "weights sum to 0: no provider can be chosen")
		}
	}

	_, hasF := m["fallbacks"]
	_, hasLF := m["fallback"]
	switch {
	case hasF && hasLF:
		p.errorf("fallback", "the legacy form of fallbacks: give fallbacks or fallback, not both")
	case hasF:
		if xs, ok := p.list(m["fallbacks"], "fallbacks"); ok {
			for i, fx := range xs {
				if f, ok := p.fallback(fx, index("fallbacks", i)); ok {
					pol.Fallbacks = append(pol.Fallbacks, f)
				}
			}
		}
	case hasLF:
		if f, ok := p.legacyFallback(m["fallback"], "fallback"); ok {
			pol.Fallbacks, pol.LegacyFallback = []Fallback{f}, true
		}
	}
	if v, ok := m["sticky"]; ok {
		pol.Sticky = p.sticky(v, "sticky")
	}
	pol.Pre = p.extensions(m, "pre")
	pol.Validators = p.extensions(m, "validators")
	pol.Post = p.extensions(m, "post")
	if v, ok := m["circuit_breaker"]; ok {
		pol.CircuitBreaker = p.breaker(v, "circuit_breaker")
	}
	if v, ok := m["rate_limit"]; ok {
		pol.RateLimit = p.rateLimit(v, "rate_limit")
	}
	return pol
}

func (p *parser) providers(x any) []Provider {
	xs, ok := p.list(x, "providers")
	if !ok {
		return nil
	}
	if len(xs) == 0 {
		p.errorf("providers", "empty: a policy needs at least one provider")
	}
	var out []Provider
	seen := map[string]string{}
	for i, px := range xs {
		at := index("providers", i)
		m, ok := p.object(px, at, "name", "weight", "priority")
		if !ok {
			continue
		}
		pr := Provider{}
		good := true
		if v, ok := m["name"]; !ok {
			p.errorf(join(at, "name"), "missing")
			good = false
		} else if pr.Name, ok = p.target(v, join(at, "name")); !ok {
			good = false
		} else if prev, dup := seen[pr.Name]; dup {
			p.errorf(join(at, "name"), "%q is already listed at %s", pr.Name, prev)
			good = false
		} else {
			seen[pr.Name] = at
		}
		if v, ok := m["weight"]; !ok {
			p.errorf(join(at, "weight"), "missing (want an integer from 0 to 100)")
			good = false
		} else if w, ok := p.integer(v, join(at, "weight"), 0, 100, "an integer from 0 to 100"); ok {
			pr.Weight = int(w)
		} else {
			good = false
		}
		if v, ok := m["priority"]; ok {
			if n, ok := p.integer(v, join(at, "priority"), 0, 100, "an integer from 0 to 100"); ok {
				pr.Priority, pr.HasPriority = int(n), true
			}
		}
		if good {
			out = append(out, pr)
		}
	}
	return out
}

func (p *parser) weights(x any) []Provider {
	m, ok := x.(map[string]any)
	if !ok {
		p.errorf("weights", "want an object of provider weights, have %s", jsonx.Kind(x))
		return nil
	}
	if len(m) == 0 {
		p.errorf("weights", "empty: a policy needs at least one provider")
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Provider
	for _, k := range names {
		at := key("weights", k)
		if strings.TrimSpace(k) == "" {
			p.errorf(at, "empty provider name")
			continue
		}
		good := p.isTarget(k, at)
		if w, ok := p.integer(m[k], at, 0, 100, "an integer from 0 to 100"); ok && good {
			out = append(out, Provider{Name: k, Weight: int(w)})
		}
	}
	return out
}

// conditions maps CP1 fallback conditions to RPL triggers, and returns
// how many the list has (-1 when it is not a list).
func (p *parser) conditions(x any, path string, f *Fallback) int {
	xs, ok := p.list(x, path)
	if !ok {
		return -1
	}
	for i, c := range xs {
		at := index(path, i)
		trig, written, widened, ok := p.trigger(c, at)
		if !ok {
			continue
		}
		f.Conditions = append(f.Conditions, written)
		if widened {
			f.Widened = append(f.Widened, written)
		} else if trig == "http_5xx" {
			f.explicit5xx = true
		}
		dup := false
		for _, t := range f.On {
			dup = dup || t == trig
		}
		if !dup {
			f.On = append(f.On, trig)
		}
	}
	return len(xs)
}

// endConditions completes f's conditions: an empty list of them (lists
// given, none with a condition) is an error at path; no list at all means
// any error; a status widened to every 5xx is no difference when "5xx"
// is asked for as well.
func (p *parser) endConditions(f *Fallback, lists, conds int, path string) {
	if lists > 0 && conds == 0 {
		p.errorf(path, "empty: a fallback needs a condition (or no list at all for any error)")
	}
	if len(f.On) == 0 {
		f.On = []string{"any_error"}
	}
	if f.explicit5xx {
		f.Widened = nil
	}
}

// trigger maps one CP1 condition: an HTTP status (429, 500–599, "5xx",
// "429", "503"), or a failure name (timeout, connection_error, any).
func (p *parser) trigger(x any, path string) (trig, written string, widened, ok bool) {
	const want = `want an HTTP status (429, 500-599, "5xx") or one of "timeout", "connection_error", "any"`
	status := func(n int64, written string) (string, string, bool, bool) {
		switch {
		case n == 429:
			return "http_429", written, false, true
		case 500 <= n && n <= 599:
			return "http_5xx", written, true, true
		case 100 <= n && n <= 599:
			p.errorf(path, "status %d has no RPL trigger (RPL falls back on 429 and 5xx statuses, timeouts and connection errors)", n)
		default:
			p.errorf(path, "%s, have %s", want, written)
		}
		return "", "", false, false
	}
	switch v := x.(type) {
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		if err != nil {
			p.errorf(path, "%s, have %s", want, v)
			return "", "", false, false
		}
		return status(n, v.String())
	case string:
		s := strings.ToLower(strings.TrimSpace(v))
		switch s {
		case "5xx", "http_5xx":
			return "http_5xx", v, false, true
		case "http_429":
			return "http_429", v, false, true
		case "timeout", "timeouts":
			return "timeout", v, false, true
		case "connection_error", "connection", "network":
			return "connection_error", v, false, true
		case "any", "any_error", "error", "*":
			return "any_error", v, false, true
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return status(n, strconv.Quote(v))
		}
		p.errorf(path, "%s, have %q", want, v)
	default:
		p.errorf(path, "%s, have %s", want, jsonx.Kind(x))
	}
	return "", "", false, false
}

func (p *parser) fallback(x any, at string) (Fallback, bool) {
	m, ok := p.object(x, at, "when", "retry", "backoff", "to")
	if !ok {
		return Fallback{}, false
	}
	n := len(p.errs)
	f := Fallback{Backoff: Backoff{Strategy: "fixed"}}
	if v, ok := m["to"]; !ok {
		p.errorf(join(at, "to"), "missing: the provider to fall back to")
	} else {
		f.To, _ = p.target(v, join(at, "to"))
	}
	// The conditions are in two lists: an empty one is no error when the
	// other has conditions.
	lists, conds, empty := 0, 0, join(at, "when")
	if v, ok := m["when"]; ok {
		if w, ok := p.object(v, join(at, "when"), "status", "errors"); ok {
			for _, field := range []string{"status", "errors"} {
				if x, ok := w[field]; ok {
					path := join(at, "when."+field)
					if n := p.conditions(x, path, &f); n >= 0 {
						lists, conds = lists+1, conds+n
						if lists == 1 {
							empty = path
						} else {
							empty = join(at, "when")
						}
					}
				}
			}
		}
	}
	if v, ok := m["retry"]; ok {
		if r, ok := p.integer(v, join(at, "retry"), 0, 100, "an integer from 0 to 100"); ok {
			f.Retry = int(r)
		}
	}
	if v, ok := m["backoff"]; ok {
		f.Backoff = p.backoff(v, join(at, "backoff"))
	}
	p.endConditions(&f, lists, conds, empty)
	return f, len(p.errs) == n
}

func (p *parser) backoff(x any, at string) Backoff {
	b := Backoff{Strategy: "fixed"}
	m, ok := p.object(x, at, "strategy", "base_ms", "max_ms", "jitter")
	if !ok {
		return b
	}
	if v, ok := m["strategy"]; ok {
		if s, ok := p.str(v, join(at, "strategy"), true); ok {
			switch s {
			case "fixed", "linear", "exponential":
				b.Strategy = s
			default:
				p.errorf(join(at, "strategy"), "want fixed, linear or exponential, have %q", s)
			}
		}
	}
	if v, ok := m["base_ms"]; ok {
		if n, ok := p.integer(v, join(at, "base_ms"), 0, maxMillis, "a non-negative integer"); ok {
			b.Base = time.Duration(n) * time.Millisecond
		}
	}
	if v, ok := m["max_ms"]; ok {
		if n, ok := p.integer(v, join(at, "max_ms"), 0, maxMillis, "a non-negative integer"); ok {
			b.Max = time.Duration(n) * time.Millisecond
			if b.Max < b.Base {
				p.errorf(join(at, "max_ms"), "%d is below base_ms %d", n, b.Base.Milliseconds())
			}
		}
	}
	if v, ok := m["jitter"]; ok {
		b.Jitter, _ = p.boolean(v, join(at, "jitter"))
	}
	return b
}

func (p *parser) legacyFallback(x any, at string) (Fallback, bool) {
	m, ok := p.object(x, at, "provider", "conditions")
	if !ok {
		return Fallback{}, false
	}
	n := len(p.errs)
	f := Fallback{Backoff: Backoff{Strategy: "fixed"}}
	if v, ok := m["provider"]; !ok {
		p.errorf(join(at, "provider"), "missing: the provider to fall back to")
	} else {
		f.To, _ = p.target(v, join(at, "provider"))
	}
	lists, conds := 0, 0
	if v, ok := m["conditions"]; ok {
		if n := p.conditions(v, join(at, "conditions"), &f); n >= 0 {
			lists, conds = 1, n
		}
	}
	p.endConditions(&f, lists, conds, join(at, "conditions"))
	return f, len(p.errs) == n
}

func (p *parser) sticky(x any, at string) *Sticky {
	m, ok := p.object(x, at, "enabled", "session_key", "ttl", "ttl_seconds")
	if !ok {
		return nil
	}
	s := &Sticky{Enabled: true, TTL: DefaultStickyTTL}
	if v, ok := m["enabled"]; ok {
		s.Enabled, _ = p.boolean(v, join(at, "enabled"))
	}
	if v, ok := m["session_key"]; ok {
		s.SessionKey, _ = p.str(v, join(at, "session_key"), true)
	}
	_, hasTTL := m["ttl"]
	_, hasSecs := m["ttl_seconds"]
	switch {
	case hasTTL && hasSecs:
		p.errorf(join(at, "ttl_seconds"), "the legacy form of ttl: give ttl or ttl_seconds, not both")
	case hasTTL:
		switch v := m["ttl"].(type) {
		case string:
			d, err := lang.ParseDuration(v)
			if err != nil || d <= 0 {
				p.errorf(join(at, "ttl"), "want a positive duration such as \"10m\" (or seconds), have %q", v)
			} else {
				s.TTL = d
			}
		default:
			if n, ok := p.integer(v, join(at, "ttl"), 1, math.MaxInt64/int64(time.Second), "a positive duration such as \"10m\" or a number of seconds"); ok {
				s.TTL = time.Duration(n) * time.Second
			}
		}
	case hasSecs:
		if n, ok := p.integer(m["ttl_seconds"], join(at, "ttl_seconds"), 1, math.MaxInt64/int64(time.Second), "a positive integer"); ok {
			s.TTL = time.Duration(n) * time.Second
		}
	}
	return s
}

func (p *parser) extensions(m map[string]any, field string) []Extension {
	x, ok := m[field]
	if !ok {
		return nil
	}
	xs, ok := p.list(x, field)
	if !ok {
		return nil
	}
	var out []Extension
	for i, ex := range xs {
		at := index(field, i)
		switch v := ex.(type) {
		case string:
			if strings.TrimSpace(v) == "" {
				p.errorf(at, "want an extension id, have an empty string")
				continue
			}
			out = append(out, Extension{ID: v})
		case map[string]any:
			em, _ := p.object(v, at, "id", "config")
			e := Extension{}
			if idx, ok := em["id"]; !ok {
				p.errorf(join(at, "id"), "missing: the extension's id")
				continue
			} else if e.ID, ok = p.str(idx, join(at, "id"), true); !ok {
				continue
			}
			if c, ok := em["config"]; ok {
				if _, isObj := c.(map[string]any); !isObj {
					p.errorf(join(at, "config"), "want an object, have %s", jsonx.Kind(c))
				}
				e.HasConfig = true
			}
			out = append(out, e)
		default:
			p.errorf(at, "want an extension id or {\"id\": ..., \"config\": {...}}, have %s", jsonx.Kind(ex))
		}
	}
	return out
}

func (p *parser) breaker(x any, at string) *CircuitBreaker {
	m, ok := p.object(x, at, "enabled", "failure_threshold", "error_rate", "cooldown_ms", "half_open_requests")
	if !ok {
		return nil
	}
	b := &CircuitBreaker{Enabled: true}
	if v, ok := m["enabled"]; ok {
		b.Enabled, _ = p.boolean(v, join(at, "enabled"))
	}
	if v, ok := m["failure_threshold"]; ok {
		if n, ok := p.integer(v, join(at, "failure_threshold"), 1, math.MaxInt32, "a positive integer"); ok {
			b.FailureThreshold = int(n)
		}
	}
	if v, ok := m["error_rate"]; ok {
		n, isNum := v.(json.Number)
		f, err := strconv.ParseFloat(string(n), 64)
		if !isNum || err != nil || !(f > 0 && f <= 1) {
			p.errorf(join(at, "error_rate"), "want a number above 0 and at most 1, have %s", describe(v))
		} else {
			b.ErrorRate = f
		}
	}
	if v, ok := m["cooldown_ms"]; ok {
		if n, ok := p.integer(v, join(at, "cooldown_ms"), 0, maxMillis, "a non-negative integer"); ok {
			b.Cooldown, b.HasCooldown = time.Duration(n)*time.Millisecond, true
		}
	}
	if v, ok := m["half_open_requests"]; ok {
		if n, ok := p.integer(v, join(at, "half_open_requests"), 1, math.MaxInt32, "a positive integer"); ok {
			b.HalfOpenRequests = int(n)
		}
	}
	return b
}

func describe(x any) string {
	if n, ok := x.(json.Number); ok {
		return n.String()
	}
	return jsonx.Kind(x)
}

func (p *parser) rateLimit(x any, at string) *RateLimit {
	m, ok := p.object(x, at, "requests_per_second", "requests_per_minute", "burst", "scope")
	if !ok {
		return nil
	}
	r := &RateLimit{Scope: "tenant"}
	_, hasS := m["requests_per_second"]
	_, hasM := m["requests_per_minute"]
	switch {
	case hasS && hasM:
		p.errorf(join(at, "requests_per_minute"), "give requests_per_second or requests_per_minute, not both")
	case hasS:
		v := m["requests_per_second"]
		n, isNum := v.(json.Number)
		f, err := strconv.ParseFloat(string(n), 64)
		if !isNum || err != nil || !(f > 0) || math.IsInf(f, 0) {
			p.errorf(join(at, "requests_per_second"), "want a positive number, have %s", describe(v))
		}
		r.PerSecond = f
	case hasM:
		if n, ok := p.integer(m["requests_per_minute"], join(at, "requests_per_minute"), 1, math.MaxInt32, "a positive integer"); ok {
			r.PerMinute = int(n)
		}
	default:
		p.errorf(at, "missing requests_per_second or requests_per_minute")
	}
	if v, ok := m["burst"]; ok {
		if n, ok := p.integer(v, join(at, "burst"), 0, math.MaxInt32, "a non-negative integer"); ok {
			r.Burst = int(n)
		}
	}
	if v, ok := m["scope"]; ok {
		if s, ok := p.str(v, join(at, "scope"), true); ok {
			switch s {
			case "global", "tenant", "user":
				r.Scope = s
			default:
				p.errorf(join(at, "scope"), "want global, tenant or user, have %q", s)
			}
		}
	}
	return r
}
