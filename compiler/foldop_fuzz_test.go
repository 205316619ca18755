package compiler_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// foldOps are the operators over scalars the checker folds when both
// operands are constant (lang's foldBinary) and the machine computes when
// they are not: each with its operand types and the result's.
var foldOps = []struct{ op, x, y, r string }{
	{"+", "int", "int", "int"}, {"-", "int", "int", "int"}, {"*", "int", "int", "int"},
	{"/", "int", "int", "int"}, {"%", "int", "int", "int"},
	{"<", "int", "int", "bool"}, {">=", "int", "int", "bool"}, {"==", "int", "int", "bool"},
	{"+", "float", "float", "float"}, {"-", "float", "float", "float"}, {"*", "float", "float", "float"},
	{"/", "float", "float", "float"}, {"<", "float", "float", "bool"}, {"!=", "float", "float", "bool"},
	{"+", "money", "money", "money"}, {"-", "money", "money", "money"}, {"/", "money", "money", "float"},
	{"*", "money", "int", "money"}, {"/", "money", "int", "money"}, {"<=", "money", "money", "bool"},
	{"+", "duration", "duration", "duration"}, {"-", "duration", "duration", "duration"},
	{"*", "duration", "int", "duration"},
	{"/", "duration", "int", "duration"}, {">", "duration", "duration", "bool"},
	{"+", "string", "string", "string"}, {"<", "string", "string", "bool"}, {"in", "string", "string", "bool"},
	{"not in", "string", "string", "bool"}, {"==", "string", "string", "bool"},
	{"&&", "bool", "bool", "bool"}, {"||", "bool", "bool", "bool"}, {"!=", "bool", "bool", "bool"},
	// Unary operators, of the left operand alone.
	{"-", "int", "", "int"}, {"-", "money", "", "money"}, {"-", "duration", "", "duration"},
	{"-", "float", "", "float"}, {"!", "bool", "", "bool"},
	// Operators the compiler folds (foldOperator): over lists, maps and
	// optionals.
	{"==", "list[int]", "list[int]", "bool"}, {"!=", "list[int]", "list[int]", "bool"},
	{"in", "int", "list[int]", "bool"}, {"not in", "int", "list[int]", "bool"},
	{"in", "string", "map[string, int]", "bool"}, {"==", "map[string, int]", "map[string, int]", "bool"},
	{"??", "int?", "int", "int"},
	{"in", "float", "list[float]", "bool"},
}

// foldLiteral writes the operand of type typ that n, x or s give as a
// literal of the language, and returns the value the run holds for it.
func foldLiteral(typ string, n int64, x float64, s string) (string, vm.Value) {
	intLike := func(unit func(int64) string) string {
		if n == math.MinInt64 { // -9223372036854775808 is no literal
			return "(" + unit(math.MinInt64+1) + " - " + unit(1) + ")"
		}
		return unit(n)
	}
	switch typ {
	case "int":
		return intLike(func(n int64) string { return strconv.FormatInt(n, 10) }), vm.Int(n)
	case "money":
		return intLike(func(n int64) string {
			sign, a := "", uint64(n)
			if n < 0 {
				sign, a = "-", uint64(-n)
			}
			return fmt.Sprintf("%s$%d.%09d", sign, a/1e9, a%1e9)
		}), vm.Money(n)
	case "duration":
		return intLike(func(n int64) string { return strconv.FormatInt(n, 10) + "ns" }), vm.Duration(time.Duration(n))
	case "float":
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		lit := strconv.FormatFloat(x, 'e', -1, 64)
		return lit, vm.Float(x)
	case "string":
		s = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r == ' ' {
				return r
			}
			return -1
		}, s)
		return strconv.Quote(s), vm.Str(s)
	case "bool":
		return strconv.FormatBool(n&1 == 1), vm.Bool(n&1 == 1)
	case "int?":
		if n%3 == 0 {
			return "none", vm.Nil()
		}
		return foldLiteral("int", n, x, s)
	case "list[int]", "list[float]":
		// One to three elements of n's bytes, a few of them equal ([]
		// needs a type from its context).
		var lits []string
		var elems []vm.Value
		for i := range 1 + int(uint64(n)%3) {
			lit, v := foldLiteral(strings.TrimSuffix(strings.TrimPrefix(typ, "list["), "]"), (n>>(8*i))&3, x*float64(i), s)
			lits, elems = append(lits, lit), append(elems, v)
		}
		return "[" + strings.Join(lits, ", ") + "]", vm.NewList(elems)
	case "map[string, int]":
		var lits []string
		var keys, vals []vm.Value
		for i := range 1 + int(uint64(n)%3) {
			k := string(rune('a' + (n>>(8*i))&3))
			if slices.ContainsFunc(keys, func(v vm.Value) bool { return v.Str() == k }) {
				continue
			}
			lits = append(lits, fmt.Sprintf("%q: %d", k, i))
			keys, vals = append(keys, vm.Str(k)), append(vals, vm.Int(int64(i)))
		}
		m, err := vm.NewMap(keys, vals)
		if err != nil {
			panic(err)
		}
		return "{" + strings.Join(lits, ", ") + "}", m
	}
	panic(typ)
}

// FuzzFoldOperators: an operator over two constant scalars, which the
// checker folds, decides as the machine does over the same values held in
// parameters: the same value, or an error in both (RPL315 at check time
// where the run fails with int_overflow or division_by_zero; a float
// constant that overflows to an infinity is an error (language.md §5.2)
// where the run gives the infinity).
func FuzzFoldOperators(f *testing.F) {
	u, err := stdlib.Universe()
	if err != nil {
		f.Fatal(err)
	}
	table := builtinTable(f)
	f.Add(uint8(0), int64(math.MaxInt64), int64(1), 0.0, 0.0, "", "")
	f.Add(uint8(3), int64(math.MinInt64), int64(-1), 0.0, 0.0, "", "")
	f.Add(uint8(4), int64(math.MinInt64), int64(-1), 0.0, 0.0, "", "")
	f.Add(uint8(18), int64(-5), int64(2), 0.0, 0.0, "", "")
	f.Add(uint8(18), int64(math.MinInt64), int64(-1), 0.0, 0.0, "", "")
	f.Add(uint8(23), int64(math.MinInt64), int64(-1), 0.0, 0.0, "", "")
	f.Add(uint8(10), int64(0), int64(0), 1e308, 10.0, "", "")
	f.Add(uint8(11), int64(0), int64(0), 1.0, 0.0, "", "")
	f.Add(uint8(16), int64(7), int64(0), 0.0, 0.0, "", "")
	f.Add(uint8(16), int64(9007199254740993), int64(3), 0.0, 0.0, "", "") // a ratio beyond 2^53: rounded once, folded or run
	f.Add(uint8(27), int64(0), int64(0), 0.0, 0.0, "ab", "xaby")
	f.Add(uint8(33), int64(math.MinInt64), int64(0), 0.0, 0.0, "", "")
	f.Add(uint8(35), int64(math.MinInt64), int64(0), 0.0, 0.0, "", "")
	f.Add(uint8(36), int64(0), int64(0), math.Copysign(0, -1), 0.0, "", "")
	f.Add(uint8(38), int64(0x0102), int64(0x0102), 0.0, 0.0, "", "")
	f.Add(uint8(40), int64(1), int64(0x0103), 0.0, 0.0, "", "")
	f.Add(uint8(42), int64(0), int64(0x0203), 0.0, 0.0, "", "")
	f.Add(uint8(44), int64(3), int64(5), 0.0, 0.0, "", "")
	f.Add(uint8(45), int64(0), int64(3), math.Copysign(0, -1), 1.0, "", "")
	f.Fuzz(func(t *testing.T, which uint8, n1, n2 int64, x1, x2 float64, s1, s2 string) {
		o := foldOps[int(which)%len(foldOps)]
		a, av := foldLiteral(o.x, n1, x1, s1)
		var b string
		var bv vm.Value
		if o.y != "" {
			b, bv = foldLiteral(o.y, n2, x2, s2)
		}
		folded, unfolded := fmt.Sprintf("fn folded() -> %s = %s %s %s\n", o.r, a, o.op, b),
			fmt.Sprintf("fn unfolded(a: %s, b: %s) -> %s = a %s b\n", o.x, o.y, o.r, o.op)
		args := []vm.Value{av, bv}
		if o.y == "" {
			folded, unfolded = fmt.Sprintf("fn folded() -> %s = %s(%s)\n", o.r, o.op, a),
				fmt.Sprintf("fn unfolded(a: %s) -> %s = %sa\n", o.x, o.r, o.op)
			args = args[:1]
		}
		src := "package fo\n\n" + folded + unfolded
		prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "fo.rpl", []byte(src))
		refused := ""
		if diags.HasErrors() {
			for _, d := range diags {
				if d.Severity == lang.SevError && d.Code != lang.CodeConstOverflow {
					t.Fatalf("does not check: %v\n%s", diags, src)
				}
			}
			refused = diags.Error()
			// The same function without the folded one, to run.
			src = "package fo\n\n" + unfolded
			if prog, diags = lang.CheckSource(&lang.Config{Universe: u}, "fo.rpl", []byte(src)); diags.HasErrors() {
				t.Fatalf("does not check: %v\n%s", diags, src)
			}
		}
		for _, opts := range []compiler.Options{{Cover: true}, {Cover: true, Builtins: table}} {
			out, err := compiler.Compile(prog, opts)
			if err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			for i, fn := range out.Spec.Functions {
				out.Spec.Entries[fn.Name] = i
			}
			p, err := vm.NewProgram(out.Spec, table)
			if err != nil {
				t.Fatal(err)
			}
			run := func(name string, args ...vm.Value) (vm.Value, error) {
				v, _, err := vm.NewMachine().RunNamed(context.Background(), p, name, args, vm.Limits{},
					vm.Input{Probes: &vm.Probes{Counts: make([]uint64, len(out.Counters))}})
				return v, err
			}
			got, runErr := run("unfolded", args...)
			if refused != "" {
				var ve *vm.Error
				inf := runErr == nil && got.Kind() == vm.KindFloat && math.IsInf(got.Float(), 0)
				if !inf && !(errors.As(runErr, &ve) && (ve.Code == vm.CodeIntOverflow || ve.Code == vm.CodeDivisionByZero)) {
					t.Fatalf("refused at check time (%s), but the run gives %v, %v\n%s", refused, got, runErr, src)
				}
				continue
			}
			want, err := run("folded")
			if err != nil {
				t.Fatalf("folded: %v\n%s", err, src)
			}
			if runErr != nil {
				t.Fatalf("folded to %v, but the run fails: %v\n%s", want, runErr, src)
			}
			if !vm.Equal(want, got) || want.Literal() != got.Literal() {
				t.Fatalf("folded to %v, the run gives %v\n%s", want, got, src)
			}
		}
	})
}
