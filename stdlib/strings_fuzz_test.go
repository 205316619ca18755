package stdlib

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/vm"
)

// FuzzStringBuiltins runs the builtins that take arbitrary strings on
// the fuzzer's, and checks each against what its doc says, by a
// reference written apart (the strings, strconv and regexp packages, and
// json_get as decoding finds it): the same answer, no panic, the bytes of
// a new string accounted, and the bytes scanned charged.
func FuzzStringBuiltins(f *testing.F) {
	for _, s := range [][2]string{
		{"a,b,,c", ","}, {"", ""}, {"ab", ""}, {"\xffÉ\xe2\x82", "é"}, {"İK\u212a", "k"},
		{`{"a": [1, {"b": "x\u00e9"}]}`, "a.1.b"}, {`[1, 2]`, "01"}, {"  x \u00a0", " "},
		{"-007", "+42"}, {"1e5", ".5"}, {"x" + strings.Repeat("ab", 40), strings.Repeat("ab", 40)},
		{"gpt-4o-mini", `^gpt-4o(-mini)?$`}, {"x", "("}, {"aaa", "a{2,}"},
		{"Éa", `(?i)[\x{c0}-\x{ff}][\101-\132\]]`}, {"x", `[\pL-z\x{`},
	} {
		f.Add(s[0], s[1], int64(1), int64(3))
	}
	f.Fuzz(func(t *testing.T, s, p string, i, j int64) {
		e := env{lim: vm.Limits{Fuel: 1 << 40, Memory: 1 << 40}}
		run := func(key string, a ...vm.Value) (vm.Value, vm.Stats) {
			t.Helper()
			v, st, err := e.call(t, key, a...)
			if err != nil {
				t.Fatalf("%s%v: %v", key, a, err)
			}
			return v, st
		}
		// want checks a string result against the reference and that its
		// bytes are accounted when it is not part of an argument (which it
		// shares).
		want := func(key string, v vm.Value, st vm.Stats, ref string, args ...string) {
			t.Helper()
			if v.Kind() != vm.KindString || v.Str() != ref {
				t.Fatalf("%s(%q) = %v, want %q", key, args, v, ref)
			}
			for _, a := range args {
				if strings.Contains(a, ref) {
					return
				}
			}
			if st.Memory < int64(len(ref)) {
				t.Errorf("%s(%q): memory %d for %d bytes", key, args, st.Memory, len(ref))
			}
		}
		for _, x := range []string{s, p} {
			v, st := run("lower(string)", str(x))
			want("lower", v, st, caseRef(x, unicode.ToLower), x)
			v, st = run("upper(string)", str(x))
			want("upper", v, st, caseRef(x, unicode.ToUpper), x)
			v, st = run("trim(string)", str(x))
			want("trim", v, st, strings.TrimSpace(x), x)
			v, st = run("string(T)", str(x))
			want("string", v, st, x, x)

			v, _ = run("int(string)", str(x))
			if n, ok := intRef(x); ok != !v.IsNil() || ok && v.Int() != n {
				t.Errorf("int(%q) = %v, want %d, %v", x, v, n, ok)
			}
			v, _ = run("float(string)", str(x))
			if r, ok := floatRef(x); ok != !v.IsNil() || ok && math.Float64bits(v.Float()) != math.Float64bits(r) {
				t.Errorf("float(%q) = %v, want %v, %v", x, v, r, ok)
			}
			v, _ = run("hash(string)", str(x))
			b, _ := run("bucket(string, int)", str(x), vm.Int(7))
			if v.Int() < 0 || b.Int() != v.Int()%7 {
				t.Errorf("hash(%q) = %v, bucket 7 = %v", x, v, b)
			}
		}

		// Searches: the strings package's answers, and the bytes of s
		// and of the pattern charged.
		scanned := int64(len(s)+len(p)) >> 4
		v, st := run("contains(string, string)", str(s), str(p))
		if v.Bool() != strings.Contains(s, p) || st.Fuel < scanned {
			t.Errorf("contains(%q, %q) = %v on %d fuel", s, p, v, st.Fuel)
		}
		v, st = run("replace(string, string, string)", str(s), str(p), str("<>"))
		want("replace", v, st, strings.ReplaceAll(s, p, "<>"), s, p, "<>")
		if st.Fuel < scanned {
			t.Errorf("replace(%q, %q): %d fuel", s, p, st.Fuel)
		}
		v, st = run("split(string, string)", str(s), str(p))
		if ref := strings.Split(s, p); !vm.Equal(v, strs(ref...)) || st.Fuel < scanned || st.Memory < listBytes(len(ref)) {
			t.Errorf("split(%q, %q) = %v on %d fuel, memory %d; want %q", s, p, v, st.Fuel, st.Memory, ref)
		}
		v, _ = run("starts_with(string, string)", str(s), str(p))
		w, _ := run("ends_with(string, string)", str(s), str(p))
		if v.Bool() != strings.HasPrefix(s, p) || w.Bool() != strings.HasSuffix(s, p) {
			t.Errorf("starts_with, ends_with(%q, %q) = %v, %v", s, p, v, w)
		}
		v, st = run("join(list[string], string)", strs(s, p, s), str(p))
		want("join", v, st, strings.Join([]string{s, p, s}, p), s, p)

		// substr: the bytes from i to j, clamped to s.
		n := int64(len(s))
		lo := min(max(i, 0), n)
		hi := min(max(j, lo), n)
		v, _ = run("substr(string, int, int)", str(s), vm.Int(i), vm.Int(j))
		if v.Str() != s[lo:hi] {
			t.Errorf("substr(%q, %d, %d) = %v, want %q", s, i, j, v, s[lo:hi])
		}

		// json_get finds what decoding finds.
		v, _ = run("json_get(string, string)", str(s), str(p))
		if ref := jsonGetDecoding(s, p); v.Literal() != ref.Literal() {
			t.Errorf("json_get(%q, %q) = %v, decoding finds %v", s, p, v, ref)
		}

		// matches: RE2's answer, or its refusal as invalid pattern; a
		// pattern past a limit may fail for want of fuel or memory only.
		for _, x := range []string{s, p, "(?i)" + p} { // any text: no panic, no negative charge
			if classFuel(x) < 0 || foldFuel(x) < 0 {
				t.Errorf("classFuel, foldFuel(%q) = %d, %d", x, classFuel(x), foldFuel(x))
			}
		}
		re, reErr := regexp.Compile(p)
		v, _, err := env{}.call(t, "matches(string, string)", str(s), str(p))
		switch {
		case reErr != nil:
			if err == nil || !strings.Contains(err.Error(), "invalid pattern") {
				t.Errorf("matches(%q, %q) = %v, %v; want invalid pattern (%v)", s, p, v, err, reErr)
			}
		case err != nil:
			var ve *vm.Error
			if !errors.As(err, &ve) || ve.Code != vm.CodeFuelExhausted && ve.Code != vm.CodeMemoryExhausted {
				t.Errorf("matches(%q, %q): %v", s, p, err)
			}
		case v.Bool() != re.MatchString(s):
			t.Errorf("matches(%q, %q) = %v", s, p, v)
		}
	})
}

// caseRef maps each valid character of s with f and keeps each byte that
// is not valid UTF-8, as lower and upper say they do.
func caseRef(s string, f func(rune) rune) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteByte(s[i])
		} else {
			b.WriteRune(f(r))
		}
		i += w
	}
	return b.String()
}

// intRef is int(s) as its doc says: an optional sign then digits, in the
// int range.
func intRef(s string) (int64, bool) {
	d := strings.TrimLeft(s, "+-")
	if len(s)-len(d) > 1 || d == "" || strings.Trim(d, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// floatRef is float(s) as its doc says: an optional sign, digits with an
// optional point and an exponent, in the float range.
var floatSyntax = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

func floatRef(s string) (float64, bool) {
	if !floatSyntax.MatchString(s) {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil && !(err.(*strconv.NumError).Err == strconv.ErrRange && !math.IsInf(x, 0)) {
		return 0, false
	}
	return x, !math.IsInf(x, 0)
}
