package runtime

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

var fastSeeds = []string{
	`{"version": "1", "request_id": "req-000123", "trace_id": "tr-1", "tenant_id": "tenant-42", "task": {"type": "chat"}, "constraints": {"max_latency_ms": 800}}`,
	`{"version":"1","request_id":"r","tenant_id":"t","task":{"type":"code","payload_ref":"s3://x","payload":{"a":[1,2,{"b":null}]}},"policy_id":"premium","constraints":{"max_latency_ms":1.5e3,"max_cost":0.25},"metadata":{"k":"v","n":1,"o":{"x":true},"e":"\u00e9\n"},"push_assignment":true}`,
	`{"version": 1, "request_id": "r"}`,
	`{"version": null}`,
	`{"Version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`,
	`{"version": "1", "REQUEST_ID": "r"}`,
	`{"version": "1", "request_id": "r", "request_id": "s", "tenant_id": "t", "task": {"type": "chat"}}`,
	`{"version": "1", "task": {"type": "a"}, "task": {"payload_ref": "x"}}`,
	`{"version": "1", "request_id": "caf\u00e9 \"quoted\"", "tenant_id": "ünï", "task": {"Type": "chat"}}`,
	`{"version": "1", "request_id": 5}`,
	`{"version": "1", "constraints": {"max_latency_ms": -0, "max_cost": 1e400}}`,
	`{"version": "1", "constraints": {"max_latency_ms": 01}}`,
	`{"version": "1", "push_assignment": "yes"}`,
	`{"version": "1"} trailing`,
	`  {"version": "1", "metadata": {"a": 1, "a": 2}}  `,
	`{"version": "1", "metadata": null, "task": null, "constraints": null}`,
	`{"version": "1", "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	"{\"version\": \"1\", \"request_id\": \"bad \xff utf8\"}",
	`[1, 2]`,
	``,
	`{"request": {"id": "req-000123", "tenant": {"id": "tenant-42"}, "task": {"type": "chat"}}}`,
	`{"policy_id": "premium", "request": {"id": "r", "tenant": {"id": "t", "tier": "gold", "parents": ["org"]}, "task": {"type": "code"}, "constraints": {"max_latency": "800ms", "max_cost": "$0.25"}, "estimate": {"input_tokens": 9000, "output_tokens": 100}, "metadata": {"b": "2", "a": "1"}, "arrival": "2025-06-02T12:00:00Z"}}`,
	`{"request": {"id": "r", "constraints": {"max_latency": 250, "max_cost": 0.5}, "arrival": 1748865600000}}`,
	`{"request": {"id": "r", "constraints": {"max_cost": "-0.5"}}}`,
	`{"request": {"id": "r", "tenant": {"id": "t", "tierr": "gold"}}}`,
	`{"request": {"id": "r", "metadata": {"a": "1", "a": "2"}}}`,
	`{"request": {"id": ""}}`,
	`{"request": null}`,
	`{"Request": {"id": "r"}}`,
	`{"request": {"id": "r", "estimate": {"input_tokens": 1.5}}}`,
	`{"request": {"id": "r", "headers": null, "model": null, "session": {"id": "s"}, "user": {"id": "u"}}}`,
	`{"request": {"id": "r"}, "extra": [1, "x", {"y": false}]}`,
	// A null after a task's string leaves it as it was (encoding/json).
	`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","type":null}}`,
	`{"version":"1","request_id":"a","tenant_id":"t","task":{"type":"chat","payload_ref":"s3://x","payload_ref":null}}`,
	// Times beyond int64 nanoseconds are refused, not wrapped.
	`{"request": {"id": "r", "arrival": "3000-01-01T00:00:00Z"}}`,
	`{"request": {"id": "r", "arrival": 9223372036855}}`,
	// Money text as literals write it, and forms they refuse (the fast
	// and slow decoders agree on each; TestFastPathTaken indexes the above).
	`{"request": {"id": "r", "constraints": {"max_cost": "$1_000.5"}, "tenant": {"budget": {"daily": "1.", "monthly": " 1"}}}}`,
	`{"request": {"id": "r", "constraints": {"max_cost": "$1e3"}, "tenant": {"budget": {"daily": ".5", "monthly": "$5."}}}}`,
}

// FuzzFastCP1: whenever the fast CP1 decoder accepts a body, encoding/json
// accepts it too, with the same result.
func FuzzFastCP1(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sc := cp1Scratch{names: map[string]string{}} // interning included
		if !fastCP1(body, &sc) {
			return
		}
		fast := sc.q
		var slow cp1Request
		if err := decodeObject(body, &slow); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v): %s", err, body)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast %+v\nslow %+v\nbody %s", fast, slow, body)
		}
	})
}

// FuzzFastV2: whenever the fast v2 decoder accepts a body, the
// encoding/json path decodes the same policy id and Request record (or
// finds the request missing too).
func FuzzFastV2(f *testing.F) {
	e, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		it, ok := e.fastV2(body, nil)
		if !ok {
			return
		}
		var q v2Request
		if err := decodeObject(body, &q); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v): %s", err, body)
		}
		missing := len(q.Request) == 0 || string(q.Request) == "null"
		if missing != (it.req.Kind() != vm.KindRecord) || it.policyID != q.PolicyID {
			t.Fatalf("fast %q %v, slow %q missing %v: %s", it.policyID, it.req, q.PolicyID, missing, body)
		}
		if missing {
			return
		}
		slow, err := decodeRequest(e, q.Request)
		if err != nil {
			t.Fatalf("fast path accepted what rpl.FromJSON refuses (%v): %s", err, body)
		}
		if !vm.Equal(it.req, slow) {
			t.Fatalf("fast %q %v\nslow %q %v\nbody %s", it.policyID, it.req, q.PolicyID, slow, body)
		}
	})
}

// TestFastPathTaken: the common shapes take the fast path.
func TestFastPathTaken(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var sc cp1Scratch
	for _, s := range fastSeeds[:2] {
		if !fastCP1([]byte(s), &sc) {
			t.Errorf("slow path for %s", s)
		}
	}
	for _, s := range []string{fastSeeds[20], fastSeeds[21], fastSeeds[22], fastSeeds[30]} {
		if _, ok := e.fastV2([]byte(s), nil); !ok {
			t.Errorf("slow path for %s", s)
		}
	}
}

var batchSeeds = []string{
	`{"requests": [{"request": {"id": "a", "tenant": {"id": "t"}, "task": {"type": "code"}}}, {"policy_id": "nope", "request": {"id": "b"}}, {"request": {"id": "c", "task": {"type": "chat"}, "tenant": {"id": "t"}}}]}`,
	`{"requests": [{"policy_id": "premium", "request": {"id": "p", "tenant": {"id": "t", "tier": "gold"}, "estimate": {"input_tokens": 9000}, "constraints": {"max_latency": "800ms"}}}]}`,
	`{"requests": []}`,
	`{"requests": null}`,
	`{}`,
	`{"requests": [null, {}, {"request": null}, {"policy_id": null, "request": {"id": ""}}, {"request": {"task": {"type": "chat"}}}]}`,
	`{"requests": [{"request": {"id": "a", "tenant": {"id": "t", "tierr": "x"}}}]}`,
	`{"requests": [{"request": {"id": "a"}, "request": {"id": "b"}}]}`,
	`{"requests": [{"request": {"id": "a"}}], "requests": []}`,
	`{"Requests": [{"request": {"id": "a"}}]}`,
	`{"requests": [{"Request": {"id": "a"}}]}`,
	`{"requests": [{"policy_id": 5, "request": {"id": "a"}}]}`,
	`{"requests": [1]}`,
	`{"requests": {"request": {"id": "a"}}}`,
	`{"requests": [{"request": {"id": "a"}}]} x`,
	`{"requests": [{"request": {"id": "a", "estimate": {"input_tokens": 1.5}}}]}`,
	`{"requests": [{"request": {"id": "caf\u00e9"}, "extra": [1, {"y": null}]}], "other": true}`,
	`  {"requests": [{"request": {"id": "a"}}]}  `,
	`[{"request": {"id": "a"}}]`,
	``,
	`{"requests": [`,
}

// FuzzFastBatch: whenever the fast batch decoder accepts a body,
// encoding/json decodes the same items (policy ids, requests, missing
// requests).
func FuzzFastBatch(f *testing.F) {
	e, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range batchSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, ok := e.fastBatch(body)
		if !ok {
			return
		}
		var q struct {
			Requests []v2Request `json:"requests"`
		}
		if err := decodeObject(body, &q); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v): %s", err, body)
		}
		if len(q.Requests) != len(items) || len(items) > MaxBatch {
			t.Fatalf("fast %d items, slow %d: %s", len(items), len(q.Requests), body)
		}
		for i, it := range items {
			sq := q.Requests[i]
			missing := len(sq.Request) == 0 || string(sq.Request) == "null"
			if fastMissing := it.req.Kind() != vm.KindRecord; fastMissing != missing || it.policyID != sq.PolicyID {
				t.Fatalf("item %d: fast %q missing %v, slow %q missing %v: %s", i, it.policyID, fastMissing, sq.PolicyID, missing, body)
			}
			if missing {
				continue
			}
			slow, err := decodeRequest(e, sq.Request)
			if err != nil {
				t.Fatalf("item %d: fast path accepted what rpl.FromJSON refuses (%v): %s", i, err, body)
			}
			if !vm.Equal(it.req, slow) {
				t.Fatalf("item %d: fast %v, slow %v: %s", i, it.req, slow, body)
			}
		}
	})
}

// TestBatchFastSlowSame: a batch answers the same bytes whichever decoder
// read it, errors included; the common shapes take the fast path.
func TestBatchFastSlowSame(t *testing.T) {
	e := examplesEngine(t)
	ctx := context.Background()
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	big := `{"requests": [` + strings.Repeat(`{"request": {"id": "a"}},`, MaxBatch) + `{"request": {"id": "a"}}]}`
	full := `{"requests": [` + strings.Repeat(`{"request": {"id": "a"}},`, MaxBatch-1) + `{"request": {"id": "a"}}]}`
	for _, body := range append(batchSeeds, big, full) {
		got, gotCode := e.HandleV2Batch(ctx, []byte(body), at, nil)
		want, wantCode, _ := e.slowBatch(ctx, e.Current(), []byte(body), at, nil, e.answerLimit(answerLimit{}))
		if !bytes.Equal(got, want) || gotCode != wantCode {
			t.Errorf("body %.120s\n got %s %.300s\nwant %s %.300s", body, gotCode, got, wantCode, want)
		}
	}
	for _, i := range []int{0, 1, 2, 5, 17} {
		if _, ok := e.fastBatch([]byte(batchSeeds[i])); !ok {
			t.Errorf("slow path for %s", batchSeeds[i])
		}
	}
	// A batch without its list of requests is refused, naming the field;
	// it was answered ok with no results. An empty list is an empty
	// batch.
	for _, body := range []string{`{}`, `{"requests": null}`} {
		out, code := e.HandleV2Batch(ctx, []byte(body), at, nil)
		if code != CodeInvalidRequest || !bytes.Contains(out, []byte(`"field":"requests"`)) || !bytes.Contains(out, []byte("requests is required")) {
			t.Errorf("%s: %s %s, want invalid_request naming requests", body, code, out)
		}
	}
	if out, code := e.HandleV2Batch(ctx, []byte(`{"requests": []}`), at, nil); code != "" || string(out) != `{"ok":true,"results":[]}` {
		t.Errorf("an empty batch: %s %s", code, out)
	}
	if _, ok := e.fastBatch([]byte(big)); ok {
		t.Errorf("fast path took a batch over MaxBatch")
	}
	if _, ok := e.fastBatch([]byte(full)); !ok {
		t.Errorf("slow path for a batch of MaxBatch")
	}
	if !bytes.Contains(must(e.HandleV2Batch(ctx, []byte(batchSeeds[5]), at, nil)), []byte(`: request is required"`)) {
		t.Errorf("a null request is not reported")
	}
}

func must(b []byte, _ Code) []byte { return b }

func decodeRequest(e *Engine, raw []byte) (vm.Value, error) {
	return rpl.FromJSON(e.reqType, raw)
}

// The CP1 decoder interns tenant ids, policy ids and task types: a second
// request with the same tenant gets the first one's string, and the table
// stops growing at maxNames.
func TestFastCP1InternsNames(t *testing.T) {
	sc := cp1Scratch{names: map[string]string{}}
	body := func(tenant string) []byte {
		return []byte(`{"version": "1", "request_id": "r", "tenant_id": "` + tenant + `", "policy_id": "p", "task": {"type": "chat"}}`)
	}
	if !fastCP1(body("acme"), &sc) {
		t.Fatal("slow path")
	}
	first := sc.q.TenantID
	sc.reset()
	if !fastCP1(body("acme"), &sc) {
		t.Fatal("slow path")
	}
	if sc.q.TenantID != "acme" || unsafe.StringData(sc.q.TenantID) != unsafe.StringData(first) {
		t.Errorf("tenant %q not interned", sc.q.TenantID)
	}
	if sc.task.Type != "chat" || sc.q.PolicyID != "p" {
		t.Errorf("task %q, policy %q", sc.task.Type, sc.q.PolicyID)
	}
	for i := range 2 * maxNames {
		sc.reset()
		if !fastCP1(body(fmt.Sprintf("t-%d", i)), &sc) || sc.q.TenantID != fmt.Sprintf("t-%d", i) {
			t.Fatalf("tenant %d: %q", i, sc.q.TenantID)
		}
	}
	if len(sc.names) != maxNames {
		t.Errorf("%d names kept, want the bound %d", len(sc.names), maxNames)
	}
}

// enumRecord is a record type with the Trigger enum in every position the
// typed decoder handles (a field, an optional, list elements, map values, a
// nested record), beside fields of other types, and an enum-keyed map,
// which the fast path leaves to rpl.FromJSON.
func enumRecord(t testing.TB) *lang.Record {
	t.Helper()
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	trigger := u.Types["Trigger"].Type
	return lang.NewRecord("", []*lang.Field{
		{Name: "on", Type: trigger},
		{Name: "opt", Type: &lang.Optional{Elem: trigger}},
		{Name: "ons", Type: &lang.List{Elem: trigger}},
		{Name: "m", Type: &lang.Map{Key: lang.Typ[lang.String], Elem: trigger}},
		{Name: "byTrigger", Type: &lang.Map{Key: trigger, Elem: lang.Typ[lang.Int]}},
		{Name: "sub", Type: lang.NewRecord("", []*lang.Field{{Name: "on", Type: trigger}, {Name: "n", Type: lang.Typ[lang.Int]}})},
		{Name: "n", Type: lang.Typ[lang.Int]},
		{Name: "s", Type: lang.Typ[lang.String]},
	})
}

var typedSeeds = []string{
	`{"on": null}`,
	`{"on": null, "opt": null, "ons": null, "m": null, "sub": null, "n": null, "s": null}`,
	`{"on": "http_429", "opt": "any_error", "ons": [null, "http_5xx", null], "m": {"a": null, "b": "connection_error"}, "sub": {"on": null, "n": 2}}`,
	`{"sub": {"on": "timeout"}, "opt": "timeout"}`,
	`{"on": "slow"}`,
	`{"on": ""}`,
	`{"on": 5}`,
	`{"on": nul}`,
	`{"ons": [null, true]}`,
	`{"on": "http\u005f5xx"}`,
	`{"byTrigger": {"timeout": 1}}`,
	`{"on": null, "on": "timeout"}`,
	`null`,
	`{}`,
}

// decodeTyped runs the fast typed decoder over a whole body.
func decodeTyped(rt *lang.Record, body []byte) (vm.Value, bool) {
	var d typedDecoder
	s := jscan{b: body}
	s.ws()
	v, ok := d.value(&s, rt)
	return v, ok && s.end()
}

// FuzzFastTyped: whenever the fast decoder accepts a value of a type with
// enums, rpl.FromJSON decodes the same value.
func FuzzFastTyped(f *testing.F) {
	rt := enumRecord(f)
	for _, s := range typedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeTyped(rt, body)
		if !ok {
			return
		}
		slow, err := rpl.FromJSON(rt, body)
		if err != nil {
			t.Fatalf("fast path accepted what rpl.FromJSON refuses (%v): %s", err, body)
		}
		if !vm.Equal(fast, slow) {
			t.Fatalf("fast %v\nslow %v\nbody %s", fast, slow, body)
		}
	})
}

// A null for an enum that is not optional is its first member on both
// paths, as a null of any other type is its zero value; the fast path
// takes it rather than leaving it to the slow one.
func TestFastTypedEnumNull(t *testing.T) {
	rt := enumRecord(t)
	for _, body := range typedSeeds[:4] {
		fast, ok := decodeTyped(rt, []byte(body))
		if !ok {
			t.Errorf("slow path for %s", body)
			continue
		}
		slow, err := rpl.FromJSON(rt, []byte(body))
		if err != nil || !vm.Equal(fast, slow) {
			t.Errorf("%s: fast %v, slow %v (%v)", body, fast, slow, err)
		}
	}
	if v, ok := decodeTyped(rt, []byte(typedSeeds[0])); ok {
		if on := v.Record()[rt.FieldIndex("on")]; on.Str() != "timeout" {
			t.Errorf("null Trigger decoded as %v, want timeout", on)
		}
	}
	// What the slow path refuses, the fast one leaves to it.
	for _, body := range []string{`{"on": "slow"}`, `{"on": ""}`, `{"on": 5}`, `{"ons": [null, true]}`} {
		if _, ok := decodeTyped(rt, []byte(body)); ok {
			t.Errorf("fast path took %s", body)
		}
		if _, err := rpl.FromJSON(rt, []byte(body)); err == nil {
			t.Errorf("rpl.FromJSON took %s", body)
		}
	}
}

// plainWords against a byte-at-a-time reference: every byte value in
// every lane of the first and the second word, and random strings.
func TestPlainWords(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }
	ref := func(s []byte) int {
		for i := 0; i+8 <= len(s); i += 8 {
			for _, c := range s[i : i+8] {
				if !plain(c) {
					return i
				}
			}
		}
		return len(s) &^ 7
	}
	check := func(s []byte) {
		t.Helper()
		if got, want := plainWords(s), ref(s); got != want || plainWords(string(s)) != want {
			t.Fatalf("plainWords(%q) = %d, want %d", s, got, want)
		}
	}
	for c := range 256 {
		for p := range 19 {
			s := []byte("abcdefghijklmnopqrs")
			s[p] = byte(c)
			check(s)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\"\\\x00\x1f\x20\x7f\x80\xff~!")
	for range 100000 {
		s := make([]byte, rng.IntN(40))
		for i := range s {
			s[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(s)
	}
}

// parseFloat reads what strconv.ParseFloat reads, and appendNanos writes
// what strconv.AppendFloat(float64(n)/1e9, 'f', -1, 64) writes: on the
// edges of their fast paths and on random values.
func TestParseFloatAppendNanos(t *testing.T) {
	checkParse := func(s string) {
		t.Helper()
		got, gotErr := parseFloat([]byte(s))
		want, wantErr := strconv.ParseFloat(s, 64)
		if math.Float64bits(got) != math.Float64bits(want) || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("parseFloat(%q) = %v, %v; ParseFloat: %v, %v", s, got, gotErr, want, wantErr)
		}
	}
	checkNanos := func(n int64) {
		t.Helper()
		if got, want := string(appendNanos([]byte("x"), n)), "x"+strconv.FormatFloat(float64(n)/1e9, 'f', -1, 64); got != want {
			t.Fatalf("appendNanos(%d) = %s, want %s", n, got, want)
		}
	}
	for _, s := range []string{"0", "-0", "7", "800", "-800", "999999999999999", "-999999999999999", "1000000000000000",
		"9007199254740993", "12345678901234567890", "0.5", "1e3", "-", "", "1.", "00012"} {
		checkParse(s)
	}
	for _, n := range []int64{0, 1, -1, 5, 10, 1e9, -1e9, 1_500_000_000, 123_456_789, 999_999_999_999_999, -999_999_999_999_999,
		1e15, -1e15, 1e15 + 1, math.MaxInt64, math.MinInt64, 2_000_000_001} {
		checkNanos(n)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		digits := 1 + rng.IntN(18)
		n := rng.Int64N(int64(math.Pow10(digits)))
		if rng.IntN(2) == 0 {
			n = -n
		}
		checkParse(strconv.FormatInt(n, 10))
		checkNanos(n)
	}
}

// TestFastCP1NamesBounded: the names a pooled scratch keeps across
// requests (tenant ids, policy ids, task types) are short ones: a
// client's 100 KB tenant id, policy id or task type is decoded but not
// kept, or the scratch would hold 1,024 such strings (100 MB) for as
// long as it is pooled.
func TestFastCP1NamesBounded(t *testing.T) {
	sc := &cp1Scratch{names: map[string]string{}}
	long := strings.Repeat("x", 100<<10)
	short := strings.Repeat("y", maxNameLen)
	for _, body := range []string{
		`{"version":"1","request_id":"r","tenant_id":"` + long + `","task":{"type":"chat"}}`,
		`{"version":"1","request_id":"r","tenant_id":"t","policy_id":"` + long + `","task":{"type":"chat"}}`,
		`{"version":"1","request_id":"r","tenant_id":"t","task":{"type":"` + long + `"}}`,
		`{"version":"1","request_id":"r","tenant_id":"` + short + `","task":{"type":"chat"}}`,
	} {
		sc.reset()
		if !fastCP1([]byte(body), sc) {
			t.Fatalf("fastCP1 refused %.80s…", body)
		}
		if q := &sc.q; q.TenantID != long && q.PolicyID != long && q.Task.Type != long && q.TenantID != short {
			t.Fatalf("decoded %.40q %.40q %.40q", q.TenantID, q.PolicyID, q.Task.Type)
		}
	}
	for k := range sc.names {
		if len(k) > maxNameLen {
			t.Errorf("names keeps a name of %d bytes", len(k))
		}
	}
	if _, ok := sc.names[short]; !ok {
		t.Errorf("names does not keep a name of %d bytes", len(short))
	}
}
