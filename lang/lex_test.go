package lang

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ---- tokens ----

// lexKinds lexes src and renders its significant tokens as class:text.
func lexKinds(t *testing.T, src string) string {
	t.Helper()
	toks, _ := scanTokens("l.rpl", []byte(src), true)
	names := map[int]string{}
	for name, typ := range rplLexer.Symbols() {
		names[int(typ)] = name
	}
	var out []string
	for _, tk := range toks {
		if tokenType(tk.Type) == tokWhitespace {
			continue
		}
		out = append(out, names[int(tk.Type)]+":"+tk.Value)
	}
	return strings.Join(out, " ")
}

func TestLexTokens(t *testing.T) {
	tests := []struct{ src, want string }{
		{"fn route", "Keyword:fn Ident:route"},
		{"iff in_x not_in", "Ident:iff Ident:in_x Ident:not_in"},
		{"x not in y", "Ident:x Keyword:not Keyword:in Ident:y"},
		{"list map _ _x", "Ident:list Ident:map Ident:_ Ident:_x"},
		{"8_000 0xff 0.5 1e3 1.5e-3", "Number:8_000 Number:0xff Number:0.5 Number:1e3 Number:1.5e-3"},
		{"250ms 1h30m 3µs 5min", "Number:250ms Number:1h30m Number:3µs Number:5min"},
		{"1m1.5s 1h30m1.5s 2562047h47m16.854775807s", "Number:1m1.5s Number:1h30m1.5s Number:2562047h47m16.854775807s"},
		{"1s.5 1m1_.5s 0x_ff", "Number:1s Punct:. Number:5 Number:1m1_ Punct:. Number:5s Number:0x_ff"},
		{"$12.50 $0.0025 $1_000", "Money:$12.50 Money:$0.0025 Money:$1_000"},
		{`"a\"b" "x`, `String:"a\"b" BadString:"x`},
		{"=> -> ?? || && == != <= >=", "Op:=> Op:-> Op:?? Op:|| Op:&& Op:== Op:!= Op:<= Op:>="},
		{"a<b>c!d", "Ident:a Punct:< Ident:b Punct:> Ident:c Punct:! Ident:d"},
		{"x # note\ny", "Ident:x Comment:# note Ident:y"},
		{"1.x 1. .5", "Number:1 Punct:. Ident:x Number:1 Punct:. Punct:. Number:5"},
		{"a @ é", "Ident:a Invalid:@ Invalid:é"},
		{"T?? x?", "Ident:T Op:?? Ident:x Punct:?"},
	}
	for _, tt := range tests {
		if got := lexKinds(t, tt.src); got != tt.want {
			t.Errorf("lex %q:\n got  %s\n want %s", tt.src, got, tt.want)
		}
	}
}

// TestLexCoversInput checks that the tokens of a file cover it exactly,
// byte for byte, so every diagnostic span can be mapped to source text.
// Tokens, for the language server, gives the parser's tokens by kind, white
// space left out, and the CR of a CRLF line end out of comments and open
// strings.
func TestTokens(t *testing.T) {
	src := "\uFEFFlet a = \"x\\\"#\" # c \"\r\n\"open\\\r\nb5ms\n\"open"
	kinds := []string{TokenOther: "other", TokenIdent: "ident", TokenComment: "comment", TokenString: "string", TokenOpenString: "open"}
	var got []string
	for tk := range Tokens([]byte(src)) {
		got = append(got, kinds[tk.Kind]+" "+src[tk.Span.Start:tk.Span.End])
	}
	want := []string{`other let`, `ident a`, `other =`, `string "x\"#"`, `comment # c "`, `open "open\`, `ident b5ms`, `open "open`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Tokens:\n got %q\nwant %q", got, want)
	}
}

func TestLexCoversInput(t *testing.T) {
	src := "package p # c\r\nconst a = \"é\" + `x` \xff $1 µ 250µs\n"
	toks, _ := scanTokens("c.rpl", []byte(src), true)
	var b strings.Builder
	off := 0
	for _, tk := range toks {
		if tk.Pos.Offset != off {
			t.Fatalf("token %q at offset %d, want %d", tk.Value, tk.Pos.Offset, off)
		}
		b.WriteString(tk.Value)
		off += len(tk.Value)
	}
	if b.String() != src {
		t.Errorf("tokens reassemble to %q, want %q", b.String(), src)
	}
}

// ---- literal decoding ----

func TestParseMoney(t *testing.T) {
	tests := []struct {
		raw  string
		want int64
		err  string
	}{
		{"$0", 0, ""},
		{"$12.50", 12_500_000_000, ""},
		{"$0.0025", 2_500_000, ""},
		{"$0.000000001", 1, ""},
		{"$1_000", 1_000 * MoneyScale, ""},
		{"$1_000.000_001", 1_000*MoneyScale + 1_000, ""},
		{"-$3", -3 * MoneyScale, ""},
		{"-$0.5", -MoneyScale / 2, ""},
		{"$9223372036.854775807", math.MaxInt64, ""},
		{"-$9223372036.854775807", -math.MaxInt64, ""},
		{"$9223372036.854775808", 0, "out of range"},
		{"$9223372036.999999999", 0, "out of range"},
		{"$9223372037", 0, "out of range"},
		{"$99999999999999999999", 0, "out of range"},
		{"$1.0000000001", 0, "more than 9 decimal places"},
		{"$1.000000000", MoneyScale, ""},
		{"$1__0", 0, "malformed"},
		{"$1_", 0, "malformed"},
		{"$1._5", 0, "malformed"},
		{"$", 0, "malformed"},
		{"12", 0, "malformed"},
		{"$0.1e3", 0, "malformed money literal $0.1e3: money takes no exponent (write $100)"},
		{"$1.5E-1", 0, "money takes no exponent (write $0.15)"},
		{"-$2_5e+1", 0, "money takes no exponent (write -$250)"},
		{"$1e-10", 0, "malformed money literal $1e-10: money takes no exponent"}, // $0.0000000001: too precise
		{"$1e10", 0, "malformed money literal $1e10: money takes no exponent"},   // out of range
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.HasSuffix(tt.err, "exponent") && !strings.HasSuffix(err.Error(), "exponent") {
				t.Errorf("ParseMoney(%q) = %d, %v; want error containing %q", tt.raw, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", tt.raw, got, err, tt.want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "$0.00"},
		{1, "$0.000000001"},
		{12_500_000_000, "$12.50"},
		{2_500_000, "$0.0025"},
		{-3 * MoneyScale, "-$3.00"},
		{math.MaxInt64, "$9223372036.854775807"},
		{math.MinInt64, "-$9223372036.854775808"},
		{123_456_789_012, "$123.456789012"},
	}
	for _, tt := range tests {
		if got := FormatMoney(tt.n); got != tt.want {
			t.Errorf("FormatMoney(%d) = %s, want %s", tt.n, got, tt.want)
		}
		if tt.n == math.MinInt64 {
			continue // not a literal: its magnitude is out of range
		}
		// Round trip.
		if back, err := ParseMoney(FormatMoney(tt.n)); err != nil || back != tt.n {
			t.Errorf("ParseMoney(FormatMoney(%d)) = %d, %v", tt.n, back, err)
		}
	}
	// Against the fmt spelling it had, on random amounts of every size.
	ref := func(n int64) string {
		sign, u := "", uint64(n)
		if n < 0 {
			sign, u = "-", -u
		}
		fs := strings.TrimRight(fmt.Sprintf("%09d", u%MoneyScale), "0")
		for len(fs) < 2 {
			fs += "0"
		}
		return fmt.Sprintf("%s$%d.%s", sign, u/MoneyScale, fs)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		n := rng.Int64() >> rng.IntN(63)
		if rng.IntN(2) == 0 {
			n = -n
		}
		if got, want := FormatMoney(n), ref(n); got != want {
			t.Fatalf("FormatMoney(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Duration
		err  string
	}{
		{"0s", 0, ""},
		{"250ms", 250 * time.Millisecond, ""},
		{"10m", 10 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"2d", 48 * time.Hour, ""},
		{"1d2h3m4s5ms6us7ns", 24*time.Hour + 2*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond + 6*time.Microsecond + 7, ""},
		{"3µs", 3 * time.Microsecond, ""},
		{"3us", 3 * time.Microsecond, ""},
		{"1_000ms", time.Second, ""},
		{"-1s", -time.Second, ""},
		{"0.000000001s", 1, ""},
		{"1.1s", 1100 * time.Millisecond, ""},
		{"2562047h47m16s854ms775us807ns", math.MaxInt64, ""},
		{"2562047h47m16s854ms775us808ns", 0, "overflows"},
		{"300000000000h", 0, "overflows"},
		{"99999999999999999999999ns", 0, "overflows"},
		{"0.5ns", 0, "not a whole number of nanoseconds"},
		{"1.0000000001s", 0, "not a whole number of nanoseconds"},
		{"5min", 0, `unknown unit "min"`},
		{"5", 0, "duration literal 5: 5 has no unit (use ns"},
		{"1h30", 0, "duration literal 1h30: 30 has no unit (use ns"},
		{"1m0.5", 0, "0.5 has no unit"},
		{"1s_", 0, "malformed duration literal 1s_"},
		{"1s_5ms", 0, "malformed duration literal 1s_5ms"},
		{"5x", 0, `unknown unit "x"`},
		{"30m1h", 0, "largest to smallest"},
		{"1s1s", 0, "largest to smallest"},
		{"3us2µs", 0, "largest to smallest"},
		{"1.5h30m", 0, "only the last unit may have a fraction"},
		{"1..5s", 0, "malformed"},
		{"1__0s", 0, "malformed"},
		{"_1s", 0, "malformed"},
		{"", 0, "malformed"},
		{"ms", 0, "malformed"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", tt.raw, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %d, %v; want %d", tt.raw, got, err, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{250 * time.Millisecond, "250ms"},
		{90 * time.Minute, "1h30m"},
		{48 * time.Hour, "2d"},
		{time.Nanosecond, "1ns"},
		{-time.Second, "-1s"},
		{26*time.Hour + 1, "1d2h1ns"},
		{math.MaxInt64, "106751d23h47m16s854ms775us807ns"},
	}
	for _, tt := range tests {
		got := FormatDuration(tt.d)
		if got != tt.want {
			t.Errorf("FormatDuration(%d) = %s, want %s", tt.d, got, tt.want)
		}
		if back, err := ParseDuration(got); err != nil || back != tt.d {
			t.Errorf("ParseDuration(FormatDuration(%d)) = %d, %v", tt.d, back, err)
		}
	}
}

// TestDurationRoundTrip: random durations format and parse back; the
// most negative one formats with its whole magnitude.
func TestDurationRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		d := time.Duration(rng.Int64N(1<<50) - 1<<49)
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("%d: %s parses to %d, %v", int64(d), FormatDuration(d), back, err)
		}
	}
	if got, want := FormatDuration(math.MinInt64), "-106751d23h47m16s854ms775us808ns"; got != want {
		t.Errorf("FormatDuration(MinInt64) = %s, want %s", got, want)
	}
}

// TestParseSimpleDuration: the fast path takes the common literals and
// agrees with the general path on everything it takes.
func TestParseSimpleDuration(t *testing.T) {
	for _, s := range []string{"800ms", "0s", "30s", "1m", "2h", "3d", "15us", "15µs", "7ns", "007ms", "106751d"} {
		if _, ok := parseSimpleDuration(s); !ok {
			t.Errorf("%q: not taken by the fast path", s)
		}
	}
	for _, s := range []string{"800ms", "0s", "30s", "1m", "2h", "3d", "15us", "15µs", "7ns", "007ms", "1h30m", "1.5s", "-5s", "5", "ms", "5x", "5msx", "999999999999999d", "106751d", "106752d", "9223372036ns", "1_000ms", "", "5 s", "5S"} {
		got, ok := parseSimpleDuration(s)
		want, err := parseDuration(s)
		if ok && (err != nil || got != want) {
			t.Errorf("%q: fast %v, general %v %v", s, got, want, err)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		raw  string
		want int64
		err  string
	}{
		{"0", 0, ""},
		{"8_000", 8000, ""},
		{"0xff", 255, ""},
		{"0XFF", 255, ""},
		{"0xff_ff", 0xffff, ""},
		{"9223372036854775807", math.MaxInt64, ""},
		{"-9223372036854775808", math.MinInt64, ""},
		{"9223372036854775808", 0, "integer literal 9223372036854775808 overflows int"},
		{"0x8000_0000_0000_0000", 0, "overflows int"},
		{"9223372036854775809", 0, "overflows int"},
		{"0x", 0, "malformed"},
		{"0x_ff", 0, "malformed"},
		{"0X_1", 0, "malformed"},
		{"-0x_1", 0, "malformed"},
		{"1__0", 0, "malformed"},
		{"1_", 0, "malformed"},
		{"12a", 0, "malformed"},
		// Leading zeros do not make a literal octal (language.md §2.5:
		// an int is decimal or hex).
		{"010", 10, ""},
		{"0_10", 10, ""},
		{"08", 8, ""},
		{"-010", -10, ""},
		{"0o7", 0, "malformed"},
		{"0b1", 0, "malformed"},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseInt(%q) = %d, %v; want error containing %q", tt.raw, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d", tt.raw, got, err, tt.want)
		}
	}
}

func TestParseFloat(t *testing.T) {
	tests := []struct {
		raw  string
		want float64
		err  string
	}{
		{"0.5", 0.5, ""},
		{"1e3", 1000, ""},
		{"1.5e-3", 0.0015, ""},
		{"2E+2", 200, ""},
		{"1_000.5", 1000.5, ""},
		{"1e-400", 0, ""}, // underflow rounds to zero
		{"1e400", 0, "out of range"},
		{"1__0.5", 0, "malformed"},
		{"1._5", 0, "malformed"},
		{"1e_3", 0, "malformed"},
	}
	for _, tt := range tests {
		got, err := ParseFloat(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseFloat(%q) = %v, %v; want error containing %q", tt.raw, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
}

func TestClassifyNumber(t *testing.T) {
	tests := []struct {
		raw  string
		want LitKind
	}{
		{"1", LitInt}, {"0xff", LitInt}, {"1.5", LitFloat}, {"1e3", LitFloat},
		{"1s", LitDuration}, {"1.5h", LitDuration}, {"1h30m", LitDuration}, {"5min", LitDuration},
	}
	for _, tt := range tests {
		if got, _ := classifyNumber(tt.raw); got != tt.want {
			t.Errorf("classifyNumber(%q) = %s, want %s", tt.raw, got, tt.want)
		}
	}
}

// ---- positions ----

func TestPositionRoundTrip(t *testing.T) {
	srcs := map[string]string{
		"ascii":            "package p\nconst a = 1\n\nfn f() -> int { a }\n",
		"non-ascii":        "package p\n# naïve ✓ 日本\nconst s = \"é✓\" # µ\nconst d = 3µs\n",
		"crlf":             "package p\r\nconst a = 1\r\n\r\nconst b = \"x\"\r\n",
		"no final newline": "package p\nconst a = 1",
		"empty":            "",
	}
	for name, src := range srcs {
		t.Run(name, func(t *testing.T) {
			f := NewFile("x.rpl", []byte(src))
			wantLines := strings.Count(src, "\n") + 1
			if f.LineCount() != wantLines {
				t.Errorf("LineCount = %d, want %d", f.LineCount(), wantLines)
			}
			line, col := 1, 1
			for off := 0; off <= len(src); off++ {
				p := f.Position(Pos(off))
				if p.Line != line || p.Col != col || p.Offset != off || p.Filename != "x.rpl" {
					t.Fatalf("Position(%d) = %+v, want line %d col %d", off, p, line, col)
				}
				if back := f.Offset(p.Line, p.Col); back != Pos(off) {
					t.Fatalf("Offset(%d, %d) = %d, want %d", p.Line, p.Col, back, off)
				}
				if off < len(src) && src[off] == '\n' {
					line, col = line+1, 1
				} else {
					col++
				}
			}
			// Line texts reassemble the file, without \r.
			var lines []string
			for l := 1; l <= f.LineCount(); l++ {
				text := f.Line(l)
				if strings.ContainsAny(text, "\r\n") {
					t.Errorf("Line(%d) = %q contains a line end", l, text)
				}
				if !utf8.ValidString(text) {
					t.Errorf("Line(%d) = %q splits a character", l, text)
				}
				lines = append(lines, text)
			}
			if got, want := strings.Join(lines, "\n"), strings.ReplaceAll(src, "\r\n", "\n"); got != want {
				t.Errorf("lines reassemble to %q, want %q", got, want)
			}
		})
	}
}

// TestEditorLineStarts: EditorLineStarts over the whole text, and
// BOMLenOf, give a File's EditorLines and BOMLen (the language server's
// editor buffer keeps its lines with them), and over a part of it the
// starts within.
func TestEditorLineStarts(t *testing.T) {
	for _, src := range []string{"", "a", "\uFEFF", "\uFEFFa\r\nb", "a\rb\r\nc\n\r", "\r\r\n\n\r", "é\r😀\n\r\n"} {
		f := NewFile("p.rpl", []byte(src))
		if got, want := EditorLineStarts(f.Src, 0, len(src)+1), f.EditorLines()[1:]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: EditorLineStarts %v, want %v", src, got, want)
		}
		if BOMLenOf(f.Src) != f.BOMLen() {
			t.Errorf("%q: BOMLenOf %d, BOMLen %d", src, BOMLenOf(f.Src), f.BOMLen())
		}
	}
	if got := EditorLineStarts([]byte("a\nb\rc\r\nd"), 2, 6); fmt.Sprint(got) != "[4]" {
		t.Errorf("EditorLineStarts from 2 to 6: %v, want [4]", got)
	}
}

func TestPositionEdges(t *testing.T) {
	f := NewFile("e.rpl", []byte("ab\ncd"))
	if p := f.Position(NoPos); p.IsValid() || p.String() != "e.rpl" {
		t.Errorf("Position(NoPos) = %+v %q", p, p.String())
	}
	if p := f.Position(100); p.Line != 2 || p.Col != 3 {
		t.Errorf("Position past the end = %+v, want clamped to 2:3", p)
	}
	if got := f.Position(3).String(); got != "e.rpl:2:1" {
		t.Errorf("String = %q", got)
	}
	if f.Offset(0, 1) != NoPos || f.Offset(3, 1) != NoPos || f.LineStart(3) != NoPos || f.Line(9) != "" {
		t.Errorf("out-of-range lines must give NoPos and empty text")
	}
	var nilFile *File
	if nilFile.Position(0).IsValid() {
		t.Errorf("nil File gives a valid position")
	}
	if (Position{}).String() != "-" || (Position{Line: 2, Col: 3}).String() != "2:3" {
		t.Errorf("Position.String of partial positions")
	}
	if !(Span{2, 4}).Contains(4) || (Span{2, 4}).Contains(5) || (Span{2, 4}).Contains(1) {
		t.Errorf("Span.Contains")
	}
}

// TestDiagnosticPositionsNonASCII checks that columns are byte columns
// after multi-byte characters, as the spec says.
func TestDiagnosticPositionsNonASCII(t *testing.T) {
	src := "package p\nconst s = \"日本\" + @\n"
	_, diags := Parse("n.rpl", []byte(src))
	if len(diags) != 1 {
		t.Fatalf("diags:\n%s", formatDiags(diags))
	}
	// "const s = " is 10 bytes, "\"日本\"" 8, " + " 3: '@' is byte column 22.
	if p := diags[0].Position(); p.Line != 2 || p.Col != 22 {
		t.Errorf("position %s, want 2:22", p)
	}
}

// ---- the scanner is the lexer rules ----

// diffTokens compares the hand-written scanner with the participle lexer
// rules on src and describes the first difference.
func diffTokens(src []byte) string {
	want, err := lexAllRules("d.rpl", src)
	if err != nil {
		return "lexer rules failed: " + err.Error()
	}
	got, _ := scanTokens("d.rpl", src, true)
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("scanner stops early; rules go on with %v", want[i])
		case i >= len(want):
			return fmt.Sprintf("scanner has extra token %v", got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("token %d: scanner %#v, rules %#v", i, got[i], want[i])
		}
	}
	return ""
}

func TestScannerMatchesLexerRules(t *testing.T) {
	srcs := []string{
		"", " ", "\n", "#", "# x\r\n", "\"", "\"\\", "\"\\\n\"", "\"a\\\"b\"", "\"\\é\"", "\"\xff\"",
		"$", "$x", "$1", "$1.", "$1.5", "$1_0.0_1", "$.5", "$1.5.5",
		"0", "0x", "0x_", "0xg", "0xff", "0xffms", "0Xab_cd", "1.", "1.e3", "1e", "1e+", "1e+5", "1E-5x",
		"1.5e3ms", "250ms", "3µs", "3µ", "µ", "1µsµ", "5min", "1_000", "1__0", "1.2.3",
		"1m1.5s", "1h30m1.5s", "1m1.5.5s", "1m1.", "1m1.x", "1m1_.5s", "1s.5", "1µs1.5ns", "0x_ff", "0x_", "0xf_",
		"in", "inx", "in_", "in1", "inµ", "not in", "package", "packages", "_", "_1", "a1_b",
		"=>", "->", "??", "||", "&&", "==", "!=", "<=", ">=", "=", "!", "?", "|", "&", "<>", "=>=",
		"é", "日本", "\x00", "\xff\xfe", "`", "@", "^~\\", "\t\r\n",
		"a.b(c)[d]{e: f}", "x=>x>1", "a-->b",
	}
	files, _ := filepath.Glob("testdata/parse/*.txtar")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		srcs = append(srcs, string(data))
	}
	if data, err := os.ReadFile("../spec/diagnostics.md"); err == nil {
		srcs = append(srcs, string(data))
	}
	srcs = append(srcs, string(policy1000Rules()))
	for _, src := range srcs {
		if d := diffTokens([]byte(src)); d != "" {
			t.Errorf("%.60q: %s", src, d)
		}
	}
}

// TestKeywords checks the exported keyword list against both lexers: each
// keyword scans as a keyword, and a keyword with a letter more is an
// identifier.
func TestKeywords(t *testing.T) {
	kws := Keywords()
	if len(kws) != len(keywordSet) {
		t.Fatalf("%d keywords, %d distinct", len(kws), len(keywordSet))
	}
	kws[0] = "changed"
	if Keywords()[0] == "changed" {
		t.Fatal("Keywords returns the list itself")
	}
	for _, k := range Keywords() {
		if !IsKeyword(k) || IsIdent(k) || IsKeyword(k+"x") || !IsIdent(k+"x") {
			t.Errorf("%s: IsKeyword %v, IsIdent %v", k, IsKeyword(k), IsIdent(k))
		}
		for _, participle := range []bool{false, true} {
			toks, _ := scanTokens("k.rpl", []byte(k+" "+k+"_1"), participle)
			var kinds []tokenType
			for _, tok := range toks {
				if tokenType(tok.Type) == tokKeyword || tokenType(tok.Type) == tokIdent {
					kinds = append(kinds, tokenType(tok.Type))
				}
			}
			if len(kinds) != 2 || kinds[0] != tokKeyword || kinds[1] != tokIdent {
				t.Errorf("%s (participle %v): tokens %v", k, participle, toks)
			}
		}
	}
	for s, want := range map[string]bool{"route": true, "_": true, "_x1": true, "Route2": true, "": false, "1x": false, "a-b": false, "ünï": false, "a.b": false} {
		if IsIdent(s) != want {
			t.Errorf("IsIdent(%q) = %v, want %v", s, !want, want)
		}
	}
}

// TestTokenSize keeps the parser's token small: a file has one every four
// bytes or so, and the parser holds them all at once (a lexer.Token is 64
// bytes).
func TestTokenSize(t *testing.T) {
	if n := unsafe.Sizeof(token{}); n > 24 {
		t.Errorf("a token is %d bytes, want at most 24", n)
	}
}
