package runtime_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestInvalidUTF8Refused: a body that is not UTF-8 is malformed JSON,
// refused at its first invalid byte, on every path. Read as
// encoding/json reads it, each invalid byte was U+FFFD, so that the
// tenants "ac\xfeme" and "ac\xffme" were one tenant, charged together.
func TestInvalidUTF8Refused(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	for _, c := range []struct {
		name, body string
		handle     func([]byte) ([]byte, runtime.Code)
	}{
		{"cp1", `{"version": "1", "request_id": "r", "tenant_id": "ac` + "\xfe" + `me", "task": {"type": "chat"}}`, func(b []byte) ([]byte, runtime.Code) {
			out, code, _ := e.HandleCP1(ctx, b, runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
			return out, code
		}},
		{"v2", `{"request": {"id": "r", "tenant": {"id": "ac` + "\xff" + `me"}, "task": {"type": "chat"}}}`, func(b []byte) ([]byte, runtime.Code) {
			out, code, _ := e.HandleV2(ctx, b, time.Now(), nil, nil)
			return out, code
		}},
		{"batch", `{"requests": [{"request": {"id": "r", "tenant": {"id": "ac` + "\xff" + `me"}}}]}`, func(b []byte) ([]byte, runtime.Code) {
			return e.HandleV2Batch(ctx, b, time.Now(), nil)
		}},
		{"feedback", `{"request_id": "r", "tenant_id": "ac` + "\xfe" + `me", "target": "openai:gpt-4o", "status": "ok"}`, func(b []byte) ([]byte, runtime.Code) {
			return e.HandleFeedback(b, nil)
		}},
	} {
		out, code := c.handle([]byte(c.body))
		at := strings.IndexAny(c.body, "\xfe\xff")
		want := "malformed JSON at byte " + strconv.Itoa(at) + ": invalid UTF-8"
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) || !json.Valid(out) {
			t.Errorf("%s: %s %s, want invalid_request with %q", c.name, code, out, want)
		}
	}
}

// TestLoneSurrogateRefused: a \u escape of half a surrogate pair is
// refused as invalid UTF-8 is: encoding/json reads "ac\ud800me" and
// "ac\udbffme" both as "ac\uFFFDme", one tenant. A pair, and an escaped
// backslash before a "u", are read as they are.
func TestLoneSurrogateRefused(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	cp1 := func(tenant string) ([]byte, runtime.Code) {
		out, code, _ := e.HandleCP1(ctx, []byte(`{"version": "1", "request_id": "r", "tenant_id": "`+tenant+`", "task": {"type": "chat"}}`), runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
		return out, code
	}
	v2 := func(tenant string) ([]byte, runtime.Code) {
		out, code, _ := e.HandleV2(ctx, []byte(`{"request": {"id": "r", "tenant": {"id": "`+tenant+`"}}}`), time.Now(), nil, nil)
		return out, code
	}
	feedback := func(tenant string) ([]byte, runtime.Code) {
		return e.HandleFeedback([]byte(`{"request_id": "r", "tenant_id": "`+tenant+`", "target": "openai:gpt-4o", "status": "ok"}`), nil)
	}
	for name, handle := range map[string]func(string) ([]byte, runtime.Code){"cp1": cp1, "v2": v2, "feedback": feedback} {
		for _, tenant := range []string{`ac\ud800me`, `ac\udbffme`, `ac\udc00me`, `ac\ud800\u0041`, `x\\\ud800`} {
			out, code := handle(tenant)
			if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), "is half of a UTF-16 surrogate pair") {
				t.Errorf("%s %s: %s %s", name, tenant, code, out)
			}
		}
		for _, tenant := range []string{`ac\ud83d\ude00me`, `ac\\ud800me`, `ac\u00e9me`} {
			if out, code := handle(tenant); code == runtime.CodeInvalidRequest {
				t.Errorf("%s %s: %s", name, tenant, out)
			}
		}
	}
}

// TestLoneSurrogateAfterOtherErrors: a body holding half a surrogate pair
// and a syntax error before it, or nested too deep, is refused for that,
// as it was before the check moved to jsonx.Unreadable: the surrogate's
// error, at a later byte, named the wrong place, and said malformed a body
// the docs say is too deep. Invalid UTF-8 is refused first still.
func TestLoneSurrogateAfterOtherErrors(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	deep := `{"request": {"id": "r", "tenant": {"id": "ac\ud800me"}, "x": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}}`
	for body, want := range map[string]string{
		`{"request": {"id": "r",, "tenant": {"id": "ac\ud800me"}}}`: "malformed JSON at byte 23: invalid character ','",
		deep: "too deeply nested",
		`{"request": {"id": "r",, "tenant": {"id": "ac` + "\xfe" + `me"}}}`: "malformed JSON at byte 45: invalid UTF-8",
		`{"request": {"id": "r", "tenant": {"id": "ac\ud800me"}}}`:          "invalid string at byte 44: \\\\ud800 is half of a UTF-16 surrogate pair",
	} {
		out, code, _ := e.HandleV2(context.Background(), []byte(body), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), want) {
			name := body
			if len(name) > 80 {
				name = name[:80] + "…"
			}
			t.Errorf("%s: %s %s, want %q", name, code, out, want)
		}
	}
}

// TestMalformedAtByte: a syntax error is placed at the byte at fault,
// counted from 0 in the body, as invalid UTF-8 and half a surrogate pair
// are: it said the byte after (encoding/json's offset), and not counting
// the space before the object; a body cut short is placed at its end.
func TestMalformedAtByte(t *testing.T) {
	e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
	load(t, e, examples)
	ctx := context.Background()
	for _, c := range []struct {
		body, at string // at: the text of the body from the byte at fault
		end      bool   // at its end
	}{
		{`{"request": {"id": "r",, "task": {"type": "chat"}}}`, `, "task"`, false},
		{"\n\n  " + `{"request": {"id": "r",, "task": {"type": "chat"}}}`, `, "task"`, false},
		{`{"request": {"id": "r"}} x`, "x", false},
		{`{"request": {"id": "r"}}}`, "}", false},
		{`{"request": {"id": "r"`, "", true},
		{" {\"request\": ", "", true},
	} {
		want := len(c.body)
		if !c.end {
			want = strings.LastIndex(c.body, c.at)
		}
		msg := "malformed JSON at byte " + strconv.Itoa(want) + ": "
		out, code, _ := e.HandleV2(ctx, []byte(c.body), time.Now(), nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), msg) {
			t.Errorf("v2 %q: %s %s, want %q", c.body, code, out, msg)
		}
		out, code = e.HandleFeedback([]byte(c.body), nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), msg) {
			t.Errorf("feedback %q: %s %s, want %q", c.body, code, out, msg)
		}
		out, code, _ = e.HandleCP1(ctx, []byte(c.body), runtime.CP1Meta{Arrival: time.Now()}, nil, nil)
		if code != runtime.CodeInvalidRequest || !strings.Contains(string(out), msg) {
			t.Errorf("cp1 %q: %s %s, want %q", c.body, code, out, msg)
		}
	}
}
