package runtime

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/lang"
)

// jsonGen writes random JSON-ish bodies of a known shape: the right keys
// and the wrong ones (a case variant, a Kelvin sign, an escape, a
// duplicate), values of the right type and of others (escapes, unicode,
// invalid UTF-8, numbers like 1e2, -0, 1E+2 or 1e400, nested nulls), and
// whitespace JSON allows and some it does not (a BOM, a form feed).
type jsonGen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *jsonGen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *jsonGen) ws() {
	if g.r.IntN(4) == 0 {
		g.b.WriteString(g.pick(" ", "\t", "\n", "\r\n", "  ", " ", "\t", "\n", "\r\n", "  ", "\f", "\u00a0"))
	}
}

var genStrings = []string{`"a"`, `"chat"`, `""`, `"1"`, `"\u0031"`, `"caf\u00e9"`, `"café"`, `"\ud83d\ude00"`, `"\ud800"`,
	"\"bad \xff\"", `"tab\t"`, `"a\"b"`, `"a\/b"`, `"800ms"`, `"$0.25"`, `"0.5"`, `"-1"`, `"2025-06-02T12:00:00Z"`,
	`"timeout"`, `"premium"`, `"default"`, `"t"`, `"K"`, `"null"`, `"$1_000"`, `"1."`, `".5"`, `" 1"`, `"$5."`, `"$1e3"`, `"1__0"`}

var genNumbers = []string{`0`, `-0`, `1`, `5`, `1e2`, `1E+2`, `1e-2`, `0.5`, `-1`, `-0.0`, `1.5e3`, `1e400`, `-1e400`,
	`123456789012345678901234567890`, `9223372036854775807`, `9223372036854775808`, `1.0`, `01`, `1.`, `.5`, `+1`, `2e308`,
	`0.000000001`, `1e-400`, `1748865600000`}

func (g *jsonGen) scalar() {
	switch g.r.IntN(6) {
	case 0, 1:
		g.b.WriteString(g.pick(genStrings...))
	case 2, 3:
		g.b.WriteString(g.pick(genNumbers...))
	case 4:
		g.b.WriteString(g.pick("null", "true", "false", "nul", "[]", "{}", "[null]", `{"a":null}`, `[1,"x",{"y":[null]}]`))
	default:
		g.b.WriteString(g.pick(`{"a": "b", "a": "c"}`, `{"\u0061": 1}`, `[`, `}`, `{"k": {"k": {"k": null}}}`))
	}
}

// key writes k, or a variant of it.
func (g *jsonGen) key(k string) {
	switch g.r.IntN(40) {
	case 0:
		k = strings.ToUpper(k[:1]) + k[1:]
	case 1:
		k = strings.Replace(k, "k", "\u212a", 1) // Kelvin sign, which folds to k
	case 2:
		k = fmt.Sprintf(`\u%04x`, k[0]) + k[1:] // the same key, escaped
	case 3:
		k += "\u00e9"
	case 4:
		k = "x" + k
	}
	g.b.WriteString(`"` + k + `"`)
}

// object writes an object with some of fields, each valued by val (or a
// random scalar), a field sometimes twice.
func (g *jsonGen) object(fields []string, val func(f string)) {
	g.ws()
	g.b.WriteByte('{')
	n := 0
	for _, f := range fields {
		if g.r.IntN(3) == 0 {
			continue
		}
		for range 1 + g.r.IntN(8)/7 { // sometimes twice
			if n > 0 {
				g.b.WriteByte(',')
			}
			n++
			g.ws()
			g.key(f)
			g.ws()
			g.b.WriteByte(':')
			g.ws()
			if g.r.IntN(16) == 0 {
				g.scalar()
			} else {
				val(f)
			}
			g.ws()
		}
	}
	g.b.WriteByte('}')
	g.ws()
}

func (g *jsonGen) cp1() []byte {
	g.b.Reset()
	if g.r.IntN(30) == 0 {
		g.b.WriteString("\ufeff")
	}
	g.object(cp1Fields, func(f string) {
		switch f {
		case "version":
			g.b.WriteString(g.pick(`"1"`, `"1"`, `"\u0031"`, `1`, `"2"`, `null`, `" 1"`))
		case "task":
			g.object(cp1TaskFields, func(string) { g.scalar() })
		case "constraints":
			g.object(cp1ConstrFields, func(string) { g.b.WriteString(g.pick(genNumbers...)) })
		case "metadata":
			g.object([]string{"a", "k", "n", "o"}, func(string) { g.scalar() })
		case "push_assignment":
			g.b.WriteString(g.pick("true", "false", "null"))
		default:
			g.b.WriteString(g.pick(genStrings...))
		}
	})
	return []byte(g.b.String())
}

// value writes a value of type t, or of another.
func (g *jsonGen) value(t lang.Type, depth int) {
	if g.r.IntN(8) == 0 || depth > 4 {
		g.scalar()
		return
	}
	switch t := t.(type) {
	case *lang.Optional:
		g.value(t.Elem, depth)
	case *lang.Record:
		names := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			names[i] = f.Name
		}
		g.object(names, func(f string) { g.value(t.Fields[t.FieldIndex(f)].Type, depth+1) })
	case *lang.Map:
		g.object([]string{"a", "b", "k"}, func(string) { g.value(t.Elem, depth+1) })
	case *lang.List:
		g.b.WriteByte('[')
		for i := range g.r.IntN(3) {
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.value(t.Elem, depth+1)
		}
		g.b.WriteByte(']')
	default:
		g.scalar()
	}
}

func (g *jsonGen) v2(reqType lang.Type) []byte {
	g.b.Reset()
	if g.r.IntN(30) == 0 {
		g.b.WriteString("\ufeff")
	}
	g.object(v2RequestFields, func(f string) {
		if f == "request" {
			g.value(reqType, 0)
			return
		}
		g.b.WriteString(g.pick(genStrings...))
	})
	return []byte(g.b.String())
}

// Both decoders of a CP1 body agree: whenever the fast one takes a
// generated body, encoding/json decodes the same request from it.
func TestFastCP1Generated(t *testing.T) {
	g := jsonGen{r: rand.New(rand.NewPCG(1, 1))}
	sc := cp1Scratch{names: map[string]string{}}
	fastN := 0
	for range 60000 {
		body := g.cp1()
		sc.reset()
		if !fastCP1(body, &sc) {
			continue
		}
		fastN++
		var slow cp1Request
		if err := decodeObject(body, &slow); err != nil {
			t.Fatalf("fast path took what encoding/json refuses (%v): %s", err, body)
		}
		if !reflect.DeepEqual(sc.q, slow) {
			t.Fatalf("fast %+v\nslow %+v\nbody %s", sc.q, slow, body)
		}
	}
	t.Logf("%d fast", fastN)
	if fastN < 1000 {
		t.Errorf("only %d bodies took the fast path", fastN)
	}
}

// Both decoders of a v2 body answer the same bytes, errors included.
func TestFastV2Generated(t *testing.T) {
	e := examplesEngine(t)
	ctx := context.Background()
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	g := jsonGen{r: rand.New(rand.NewPCG(2, 2))}
	fastN := 0
	for range 20000 {
		body := g.v2(e.reqType)
		if _, ok := e.fastV2(body, nil); !ok {
			continue
		}
		fastN++
		got, gotCode, _ := e.HandleV2(ctx, body, at, nil, nil)
		var q v2Request
		var want []byte
		var wantCode Code
		if err := decodeObject(body, &q); err != nil {
			want, wantCode = appendV2Error(nil, err, peekString(body, "request", "id")), err.Code
		} else {
			want, wantCode, _ = e.decideV2(ctx, nil, e.Current(), &q, -1, at, nil)
		}
		if gotCode != wantCode || !bytes.Equal(got, want) {
			t.Fatalf("body %s\nfast %s %s\nslow %s %s", body, gotCode, got, wantCode, want)
		}
	}
	t.Logf("%d fast", fastN)
	if fastN < 500 {
		t.Errorf("only %d bodies took the fast path", fastN)
	}
}

// Both decoders of a v2 batch answer the same bytes, an item's errors
// included.
func TestFastBatchGenerated(t *testing.T) {
	e := examplesEngine(t)
	ctx := context.Background()
	at := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	g := jsonGen{r: rand.New(rand.NewPCG(3, 3))}
	fastN := 0
	for range 5000 {
		var b strings.Builder
		b.WriteString(`{"requests": [`)
		for i := range g.r.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			if g.r.IntN(10) == 0 {
				b.WriteString(g.pick("null", "1", `"x"`, "[]"))
				continue
			}
			b.Write(g.v2(e.reqType))
		}
		b.WriteString(`]}`)
		body := []byte(b.String())
		if _, ok := e.fastBatch(body); !ok {
			continue
		}
		fastN++
		got, gotCode := e.HandleV2Batch(ctx, body, at, nil)
		want, wantCode, _ := e.slowBatch(ctx, e.Current(), body, at, nil, e.answerLimit(answerLimit{}))
		if gotCode != wantCode || !bytes.Equal(got, want) {
			t.Fatalf("body %s\nfast %s %s\nslow %s %s", body, gotCode, got, wantCode, want)
		}
	}
	t.Logf("%d fast", fastN)
	if fastN < 500 {
		t.Errorf("only %d bodies took the fast path", fastN)
	}
}

// examplesEngine is an engine deciding with the example policies.
func examplesEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), "../examples/policies"); err != nil {
		t.Fatal(err)
	}
	return e
}
