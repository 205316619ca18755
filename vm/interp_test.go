package vm

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// straight builds a no-argument program from straight-line instructions and
// a final RETURN.
func straight(t testing.TB, consts []Value, sets []SetSpec, code ...Instr) *Program {
	t.Helper()
	return build(t, consts, sets, nil, nil, fn{name: "main", locals: 4, asm: func(a *Assembler) {
		for _, in := range code {
			a.Emit(in.Op, in.Args...)
		}
		a.Emit(OpReturn)
	}})
}

func rec(vs ...Value) Value  { return NewRecord(vs) }
func list(vs ...Value) Value { return NewList(vs) }

func TestOpcodes(t *testing.T) {
	big := Int(math.MaxInt64)
	min := Int(math.MinInt64)
	mp, _ := NewMap([]Value{Str("a"), Int(2)}, []Value{Int(1), Str("two")})
	cases := []struct {
		name   string
		consts []Value
		sets   []SetSpec
		code   []Instr
		want   Value
		err    Code
	}{
		{"const", []Value{Int(7)}, nil, []Instr{I(OpConst, 0)}, Int(7), ""},
		{"nil", nil, nil, []Instr{I(OpNil)}, Nil(), ""},
		{"true", nil, nil, []Instr{I(OpTrue)}, Bool(true), ""},
		{"dup-add", []Value{Int(21)}, nil, []Instr{I(OpConst, 0), I(OpDup), I(OpAddInt)}, Int(42), ""},
		{"swap-sub", []Value{Int(1), Int(10)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSwap), I(OpSubInt)}, Int(9), ""},
		{"pop", []Value{Int(1), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpPop)}, Int(1), ""},
		{"nop", []Value{Int(1)}, nil, []Instr{I(OpNop), I(OpConst, 0)}, Int(1), ""},
		{"locals", []Value{Int(5)}, nil, []Instr{I(OpConst, 0), I(OpStoreLocal, 3), I(OpLoadLocal, 3)}, Int(5), ""},
		{"add-overflow", []Value{big, Int(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAddInt)}, Value{}, CodeIntOverflow},
		{"sub-overflow", []Value{min, Int(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSubInt)}, Value{}, CodeIntOverflow},
		{"mul", []Value{Int(-6), Int(7)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulInt)}, Int(-42), ""},
		{"mul-overflow", []Value{big, Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulInt)}, Value{}, CodeIntOverflow},
		{"mul-min", []Value{min, Int(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulInt)}, min, ""},
		{"mul-min-neg", []Value{min, Int(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulInt)}, Value{}, CodeIntOverflow},
		{"div", []Value{Int(-7), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivInt)}, Int(-3), ""},
		{"div-zero", []Value{Int(1), Int(0)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivInt)}, Value{}, CodeDivisionByZero},
		{"div-overflow", []Value{min, Int(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivInt)}, Value{}, CodeIntOverflow},
		{"mod", []Value{Int(-7), Int(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpModInt)}, Int(-1), ""},
		{"mod-min", []Value{min, Int(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpModInt)}, Int(0), ""},
		{"mod-zero", []Value{Int(1), Int(0)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpModInt)}, Value{}, CodeDivisionByZero},
		{"neg", []Value{Int(3)}, nil, []Instr{I(OpConst, 0), I(OpNegInt)}, Int(-3), ""},
		{"neg-overflow", []Value{min}, nil, []Instr{I(OpConst, 0), I(OpNegInt)}, Value{}, CodeIntOverflow},
		{"float", []Value{Float(1.5), Float(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulFloat), I(OpConst, 1), I(OpSubFloat), I(OpConst, 1), I(OpAddFloat), I(OpNegFloat)}, Float(-3), ""},
		{"float-div", []Value{Float(1), Float(4)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivFloat)}, Float(0.25), ""},
		{"float-div-zero", []Value{Float(1), Float(0)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivFloat)}, Value{}, CodeDivisionByZero},
		{"int-to-float", []Value{Int(3)}, nil, []Instr{I(OpConst, 0), I(OpIntToFloat)}, Float(3), ""},
		{"money-add", []Value{Money(2_500_000), Money(1e9)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAddMoney)}, Money(1_002_500_000), ""},
		{"money-sub-neg", []Value{Money(5), Money(7)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSubMoney), I(OpNegMoney)}, Money(2), ""},
		{"money-mul-int", []Value{Money(2_500_000), Int(1000)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyInt)}, Money(2_500_000_000), ""},
		{"money-div-int-half-even-down", []Value{Money(5), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoneyInt)}, Money(2), ""},
		{"money-div-int-half-even-up", []Value{Money(7), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoneyInt)}, Money(4), ""},
		{"money-div-int-neg", []Value{Money(-7), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoneyInt)}, Money(-4), ""},
		{"money-div-int-round", []Value{Money(10), Int(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoneyInt)}, Money(3), ""},
		{"money-div-int-round-up", []Value{Money(-11), Int(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoneyInt)}, Money(-4), ""},
		{"money-div-int-zero", []Value{Money(10), Int(0)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoneyInt)}, Value{}, CodeDivisionByZero},
		{"money-mul-float", []Value{Money(3), Float(0.5)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(2), ""},
		{"money-mul-float-half-even-down", []Value{Money(5), Float(0.5)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(2), ""},
		{"money-mul-float-neg", []Value{Money(-3), Float(0.5)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(-2), ""},
		{"money-mul-float-neg-down", []Value{Money(-5), Float(0.5)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(-2), ""},
		{"money-mul-float-neg-factor", []Value{Money(7), Float(-0.5)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(-4), ""},
		// The exact product, rounded once: 2.50000000000000011 nanos is
		// past the half; x past 2^53 nanos keeps its last nano.
		{"money-mul-float-exact", []Value{Money(3), Float(0.8333333333333334)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(3), ""},
		{"money-mul-float-big", []Value{Money(9007199254740993), Float(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(9007199254740993), ""},
		{"money-mul-float-big-half", []Value{Money(-9007199254740993), Float(1.5)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(-13510798882111490), ""},
		{"money-mul-float-tiny", []Value{Money(math.MaxInt64), Float(0x1p-200)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(0), ""},
		// f as written (its shortest decimal form, as money(f) reads it),
		// not its binary value: 0.0000000035 is 3.4999999999999999e-9, and
		// $1 times it gave $0.000000003, where money(0.0000000035) is
		// $0.000000004.
		{"money-mul-float-decimal-half-up", []Value{Money(1e9), Float(0.0000000035)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(4), ""},
		{"money-mul-float-decimal-half-down", []Value{Money(1e9), Float(0.0000000025)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(2), ""},
		{"money-mul-float-decimal-half-neg", []Value{Money(-2e9), Float(3.23802500e-05)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(-64760), ""},
		{"money-mul-float-decimal-exp", []Value{Money(7), Float(1e18)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(7e18), ""},
		{"money-mul-float-min", []Value{Money(math.MinInt64), Float(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Money(math.MinInt64), ""},
		{"money-mul-float-overflow", []Value{Money(math.MinInt64), Float(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Value{}, CodeIntOverflow},
		{"money-mul-float-nan", []Value{Money(3), Float(math.NaN())}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyFloat)}, Value{}, CodeIntOverflow},
		{"money-ratio", []Value{Money(3), Money(4)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoney)}, Float(0.75), ""},
		// Beyond 2^53 nanos, float64(x) / float64(y) rounded x first and
		// was one float off the exact ratio 3002399751580331.
		{"money-ratio-beyond-2^53", []Value{Money(9007199254740993), Money(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoney)}, Float(3002399751580331), ""},
		{"dur-ratio-beyond-2^53", []Value{Duration(-9007199254740993), Duration(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivDur)}, Float(-3002399751580331), ""},
		{"money-ratio-zero", []Value{Money(3), Money(0)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoney)}, Value{}, CodeDivisionByZero},
		{"dur", []Value{Duration(time.Second), Duration(250 * time.Millisecond)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAddDur), I(OpConst, 1), I(OpSubDur), I(OpNegDur)}, Duration(-time.Second), ""},
		{"dur-mul-div", []Value{Duration(time.Second), Int(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulDurInt), I(OpConst, 1), I(OpDivDurInt)}, Duration(time.Second), ""},
		{"dur-ratio", []Value{Duration(time.Second), Duration(4 * time.Second)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivDur)}, Float(0.25), ""},
		{"time", []Value{Time(1000), Duration(10)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAddTimeDur), I(OpConst, 1), I(OpSubTimeDur)}, Time(1000), ""},
		{"time-sub", []Value{Time(1000), Time(400)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSubTime)}, Duration(600), ""},
		// Money, duration and time arithmetic is exact: out of the 64-bit
		// range is int_overflow (language.md §6.2), as int's is.
		{"money-add-overflow", []Value{Money(math.MaxInt64), Money(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAddMoney)}, Value{}, CodeIntOverflow},
		{"money-sub-overflow", []Value{Money(math.MinInt64), Money(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSubMoney)}, Value{}, CodeIntOverflow},
		{"money-neg-overflow", []Value{Money(math.MinInt64)}, nil, []Instr{I(OpConst, 0), I(OpNegMoney)}, Value{}, CodeIntOverflow},
		{"money-mul-int-overflow", []Value{Money(math.MaxInt64 / 2), Int(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulMoneyInt)}, Value{}, CodeIntOverflow},
		{"money-div-int-overflow", []Value{Money(math.MinInt64), Int(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivMoneyInt)}, Value{}, CodeIntOverflow},
		{"dur-add-overflow", []Value{Duration(math.MaxInt64), Duration(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAddDur)}, Value{}, CodeIntOverflow},
		{"dur-sub-overflow", []Value{Duration(math.MinInt64), Duration(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSubDur)}, Value{}, CodeIntOverflow},
		{"dur-neg-overflow", []Value{Duration(math.MinInt64)}, nil, []Instr{I(OpConst, 0), I(OpNegDur)}, Value{}, CodeIntOverflow},
		{"dur-mul-int-overflow", []Value{Duration(math.MaxInt64 / 2), Int(3)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMulDurInt)}, Value{}, CodeIntOverflow},
		{"dur-div-int-overflow", []Value{Duration(math.MinInt64), Int(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivDurInt)}, Value{}, CodeIntOverflow},
		{"dur-div-int-zero", []Value{Duration(time.Second), Int(0)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivDurInt)}, Value{}, CodeDivisionByZero},
		{"dur-div-int-truncates", []Value{Duration(-7), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpDivDurInt)}, Duration(-3), ""},
		{"time-add-overflow", []Value{Time(math.MaxInt64), Duration(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAddTimeDur)}, Value{}, CodeIntOverflow},
		{"time-sub-dur-overflow", []Value{Time(math.MinInt64), Duration(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSubTimeDur)}, Value{}, CodeIntOverflow},
		{"time-sub-overflow", []Value{Time(math.MaxInt64), Time(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpSubTime)}, Value{}, CodeIntOverflow},
		{"concat", []Value{Str("ab"), Str("cd")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpConcat)}, Str("abcd"), ""},
		{"concat-ill-typed", []Value{Str("ab"), Int(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpConcat)}, Value{}, CodeInternal},
		{"eq-deep", []Value{list(Int(1), Str("x")), list(Int(1), Str("x"))}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpEq)}, Bool(true), ""},
		{"ne-kinds", []Value{Int(1), Float(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpNe)}, Bool(true), ""},
		{"lt-int", []Value{Int(1), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpLtInt)}, Bool(true), ""},
		{"le-int", []Value{Int(2), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpLeInt)}, Bool(true), ""},
		{"gt-money", []Value{Money(-1), Money(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpGtInt)}, Bool(false), ""},
		{"ge-time", []Value{Time(-5), Time(-5)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpGeInt)}, Bool(true), ""},
		{"lt-float", []Value{Float(1), Float(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpLtFloat)}, Bool(true), ""},
		{"le-float-nan", []Value{Float(math.NaN()), Float(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpLeFloat)}, Bool(false), ""},
		{"gt-float", []Value{Float(3), Float(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpGtFloat)}, Bool(true), ""},
		{"ge-float", []Value{Float(1), Float(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpGeFloat)}, Bool(false), ""},
		{"lt-str", []Value{Str("a"), Str("b")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpLtStr)}, Bool(true), ""},
		{"le-str", []Value{Str("b"), Str("b")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpLeStr)}, Bool(true), ""},
		{"gt-str", []Value{Str("b"), Str("ab")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpGtStr)}, Bool(true), ""},
		{"ge-str", []Value{Str("a"), Str("b")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpGeStr)}, Bool(false), ""},
		{"lt-str-ill-typed", []Value{Str("a"), Int(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpLtStr)}, Value{}, CodeInternal},
		{"not", nil, nil, []Instr{I(OpTrue), I(OpNot)}, Bool(false), ""},
		{"is-nil", nil, nil, []Instr{I(OpNil), I(OpIsNil)}, Bool(true), ""},
		{"eq-const", []Value{Str("gold")}, nil, []Instr{I(OpConst, 0), I(OpEqConst, 0)}, Bool(true), ""},
		{"ne-const", []Value{Str("gold")}, nil, []Instr{I(OpConst, 0), I(OpNeConst, 0)}, Bool(false), ""},
		{"lt-int-const", []Value{Int(1), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpLtIntConst, 1)}, Bool(true), ""},
		{"le-int-const", []Value{Int(3), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpLeIntConst, 1)}, Bool(false), ""},
		{"gt-int-const", []Value{Int(3), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpGtIntConst, 1)}, Bool(true), ""},
		{"ge-int-const", []Value{Int(1), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpGeIntConst, 1)}, Bool(false), ""},
		{"make-list-index", []Value{Int(1), Int(2), Int(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMakeList, 2), I(OpConst, 2), I(OpIndexList)}, Int(2), ""},
		{"index-out-of-range", []Value{list(Int(1)), Int(1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpIndexList)}, Value{}, CodeIndexOutOfRange},
		{"index-negative", []Value{list(Int(1)), Int(-1)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpIndexList)}, Value{}, CodeIndexOutOfRange},
		{"index-ill-typed", []Value{Int(1), Int(0)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpIndexList)}, Value{}, CodeInternal},
		{"make-map-index", []Value{Str("k"), Int(9)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMakeMap, 1), I(OpConst, 0), I(OpIndexMap)}, Int(9), ""},
		{"make-map-bad-key", []Value{Float(1), Int(9)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMakeMap, 1)}, Value{}, CodeInternal},
		{"index-map-missing", []Value{mp, Str("zz")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpIndexMap)}, Nil(), ""},
		{"index-map-int", []Value{mp, Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpIndexMap)}, Str("two"), ""},
		{"make-record-field", []Value{Int(1), Str("b")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpMakeRecord, 2), I(OpField, 1)}, Str("b"), ""},
		{"field-out-of-range", []Value{rec(Int(1))}, nil, []Instr{I(OpConst, 0), I(OpField, 1)}, Value{}, CodeInternal},
		{"field-ill-typed", []Value{Str("x")}, nil, []Instr{I(OpConst, 0), I(OpField, 0)}, Value{}, CodeInternal},
		{"local-field", []Value{rec(Int(1), Int(2))}, nil, []Instr{I(OpConst, 0), I(OpStoreLocal, 0), I(OpLocalField, 0, 1)}, Int(2), ""},
		{"local-field-ill-typed", nil, nil, []Instr{I(OpLocalField, 0, 1)}, Value{}, CodeInternal},
		{"len-str", []Value{Str("héllo")}, nil, []Instr{I(OpConst, 0), I(OpLen)}, Int(6), ""},
		{"len-list", []Value{list(Int(1), Int(2))}, nil, []Instr{I(OpConst, 0), I(OpLen)}, Int(2), ""},
		{"len-map", []Value{mp}, nil, []Instr{I(OpConst, 0), I(OpLen)}, Int(2), ""},
		{"len-ill-typed", []Value{Int(1)}, nil, []Instr{I(OpConst, 0), I(OpLen)}, Value{}, CodeInternal},
		{"set-member-small", []Value{Str("b")}, []SetSpec{{Elems: []Value{Str("a"), Str("b")}}}, []Instr{I(OpConst, 0), I(OpSetMember, 0)}, Bool(true), ""},
		{"set-member-big", []Value{Str("s7")}, []SetSpec{{Elems: strs("s", 50)}}, []Instr{I(OpConst, 0), I(OpSetMember, 0)}, Bool(true), ""},
		{"set-member-big-miss", []Value{Str("t7")}, []SetSpec{{Elems: strs("s", 50)}}, []Instr{I(OpConst, 0), I(OpSetMember, 0)}, Bool(false), ""},
		{"set-member-int", []Value{Int(40)}, []SetSpec{{Elems: ints(50)}}, []Instr{I(OpConst, 0), I(OpSetMember, 0)}, Bool(true), ""},
		{"set-member-kind-miss", []Value{Str("40")}, []SetSpec{{Elems: ints(50)}}, []Instr{I(OpConst, 0), I(OpSetMember, 0)}, Bool(false), ""},
		{"local-field-set-member", []Value{rec(Int(1), Str("s3"))}, []SetSpec{{Elems: strs("s", 50)}}, []Instr{I(OpConst, 0), I(OpStoreLocal, 1), I(OpLocalFieldSetMember, 1, 1, 0)}, Bool(true), ""},
		{"in-list", []Value{Str("b"), list(Str("a"), Str("b"))}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpInList)}, Bool(true), ""},
		{"in-list-miss", []Value{Str("c"), list(Str("a"), Str("b"))}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpInList)}, Bool(false), ""},
		{"in-map", []Value{Str("a"), mp}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpInMap)}, Bool(true), ""},
		{"in-str", []Value{Str("ell"), Str("hello")}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpInStr)}, Bool(true), ""},
		{"map-keys", []Value{mp}, nil, []Instr{I(OpConst, 0), I(OpMapKeys)}, list(Str("a"), Int(2)), ""},
		{"map-values", []Value{mp}, nil, []Instr{I(OpConst, 0), I(OpMapValues)}, list(Int(1), Str("two")), ""},
		{"append-fresh", []Value{Int(1), Int(2)}, nil, []Instr{I(OpMakeList, 0), I(OpConst, 0), I(OpAppend), I(OpConst, 1), I(OpAppend)}, list(Int(1), Int(2)), ""},
		{"append-const-copies", []Value{list(Int(1)), Int(2)}, nil, []Instr{I(OpConst, 0), I(OpConst, 1), I(OpAppend), I(OpPop), I(OpConst, 0)}, list(Int(1)), ""},
		{"fail", []Value{Str("boom")}, nil, []Instr{I(OpConst, 0), I(OpFail)}, Value{}, CodeAssertionFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := straight(t, c.consts, c.sets, c.code...)
			got, err := run(t, p, "main")
			if c.err != "" {
				wantCode(t, err, c.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !Equal(got, c.want) || got.Kind() != c.want.Kind() {
				t.Fatalf("got %s (%s), want %s (%s)", got, got.Kind(), c.want, c.want.Kind())
			}
		})
	}
}

// TestResultKind pins OpInfo.Result: every checked int64 arithmetic
// instruction pushes a value of the kind its table entry names (the
// interpreter reads resultKind, or writes the constant where one case
// serves one opcode).
func TestResultKind(t *testing.T) {
	n := 0
	for op := range numOpcodes {
		info := op.Info()
		if info.Result == KindNil {
			continue
		}
		n++
		y := Int(2)
		if op == OpMulMoneyFloat {
			y = Float(2)
		}
		code := []Instr{I(OpConst, 0)}
		if info.Pop == 2 {
			code = append(code, I(OpConst, 1))
		}
		got := mustRun(t, straight(t, []Value{Int(6), y}, nil, append(code, I(op))...), "main")
		if got.Kind() != info.Result {
			t.Errorf("%s pushed a %s, its table entry says %s", info.Name, got.Kind(), info.Result)
		}
	}
	if n != 20 {
		t.Errorf("%d opcodes with a Result, want the 20 of int64 arithmetic", n)
	}
}

func strs(prefix string, n int) []Value {
	var vs []Value
	for i := range n {
		vs = append(vs, Str(prefix+itoa(i)))
	}
	return vs
}

func ints(n int) []Value {
	var vs []Value
	for i := range n {
		vs = append(vs, Int(int64(i)))
	}
	return vs
}

func itoa(i int) string { return Int(int64(i)).String() }

func TestJumps(t *testing.T) {
	// and(a, b) = a && b, or(a, b) = a || b, coalesce(x, d) = x ?? d,
	// chain(r) = r?.0 via JMP_IF_NIL, sel(c) = if c then 1 else 2.
	p := build(t, []Value{Int(1), Int(2)}, nil, nil, nil,
		fn{name: "and", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpJmpIfFalseOrPop, a.JumpTo("end"))
			a.Emit(OpLoadLocal, 1)
			a.Label("end")
			a.Emit(OpReturn)
		}},
		fn{name: "or", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpJmpIfTrueOrPop, a.JumpTo("end"))
			a.Emit(OpLoadLocal, 1)
			a.Label("end")
			a.Emit(OpReturn)
		}},
		fn{name: "coalesce", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpCoalesce, a.JumpTo("end"))
			a.Emit(OpLoadLocal, 1)
			a.Label("end")
			a.Emit(OpReturn)
		}},
		fn{name: "chain", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpJmpIfNil, a.JumpTo("end"))
			a.Emit(OpField, 0)
			a.Label("end")
			a.Emit(OpReturn)
		}},
		fn{name: "sel", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpJmpIfFalse, a.JumpTo("else"))
			a.Emit(OpConst, 0)
			a.Emit(OpReturn)
			a.Label("else")
			a.Emit(OpConst, 1)
			a.Emit(OpReturn)
		}},
		fn{name: "seltrue", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpJmpIfTrue, a.JumpTo("then"))
			a.Emit(OpConst, 1)
			a.Emit(OpJmp, a.JumpTo("end"))
			a.Label("then")
			a.Emit(OpConst, 0)
			a.Label("end")
			a.Emit(OpReturn)
		}},
	)
	T, F := Bool(true), Bool(false)
	cases := []struct {
		fn   string
		args []Value
		want Value
	}{
		{"and", []Value{T, T}, T}, {"and", []Value{T, F}, F}, {"and", []Value{F, T}, F},
		{"or", []Value{F, F}, F}, {"or", []Value{F, T}, T}, {"or", []Value{T, F}, T},
		{"coalesce", []Value{Nil(), Int(3)}, Int(3)}, {"coalesce", []Value{Int(4), Int(3)}, Int(4)},
		{"chain", []Value{Nil()}, Nil()}, {"chain", []Value{rec(Int(8))}, Int(8)},
		{"sel", []Value{T}, Int(1)}, {"sel", []Value{F}, Int(2)},
		{"seltrue", []Value{T}, Int(1)}, {"seltrue", []Value{F}, Int(2)},
	}
	for _, c := range cases {
		got := mustRun(t, p, c.fn, c.args...)
		if !Equal(got, c.want) {
			t.Errorf("%s%v = %s, want %s", c.fn, c.args, got, c.want)
		}
	}
}

// filterPositive is the lowering of filter(xs, x => x > 0) with FOR_ITER
// and APPEND: locals 0 xs, 1 list (iterated), 2 index, 3 acc, 4 x.
func filterPositive(a *Assembler) {
	a.Emit(OpLoadLocal, 0)
	a.Emit(OpStoreLocal, 1)
	a.Emit(OpConst, 0) // 0
	a.Emit(OpStoreLocal, 2)
	a.Emit(OpMakeList, 0)
	a.Emit(OpStoreLocal, 3)
	a.Label("loop")
	a.Emit(OpForIter, 1, a.JumpTo("done"))
	a.Emit(OpStoreLocal, 4)
	a.Emit(OpLoadLocal, 4)
	a.Emit(OpGtIntConst, 0)
	a.Emit(OpJmpIfFalse, a.JumpTo("loop"))
	a.Emit(OpLoadLocal, 3)
	a.Emit(OpLoadLocal, 4)
	a.Emit(OpAppend)
	a.Emit(OpStoreLocal, 3)
	a.Emit(OpJmp, a.JumpTo("loop"))
	a.Label("done")
	a.Emit(OpLoadLocal, 3)
	a.Emit(OpReturn)
}

func TestIteration(t *testing.T) {
	p := build(t, []Value{Int(0)}, nil, nil, nil, fn{name: "filter", params: 1, locals: 5, asm: filterPositive})
	var in, want []Value
	for i := -10; i < 30; i++ {
		in = append(in, Int(int64(i)))
		if i > 0 {
			want = append(want, Int(int64(i)))
		}
	}
	got := mustRun(t, p, "filter", NewList(in))
	if !Equal(got, NewList(want)) {
		t.Fatalf("got %s", got)
	}
	// The input list is untouched and a second run starts afresh.
	before := slices.Clone(in)
	got2 := mustRun(t, p, "filter", NewList(in[:3]))
	if got2.Len() != 0 {
		t.Fatalf("second run: %s", got2)
	}
	if !Equal(NewList(in), NewList(before)) {
		t.Fatalf("input changed: %s", NewList(in))
	}
	if !Equal(got, NewList(want)) {
		t.Fatalf("first result changed: %s", got)
	}
}

func TestCalls(t *testing.T) {
	// fact(n) = if n <= 1 then 1 else n * fact(n-1)
	p := build(t, []Value{Int(1)}, nil, nil, nil,
		fn{name: "fact", params: 1, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLeIntConst, 0)
			a.Emit(OpJmpIfFalse, a.JumpTo("rec"))
			a.Emit(OpConst, 0)
			a.Emit(OpReturn)
			a.Label("rec")
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpConst, 0)
			a.Emit(OpSubInt)
			a.Emit(OpCall, 0, 1)
			a.Emit(OpMulInt)
			a.Emit(OpReturn)
		}},
	)
	if got := mustRun(t, p, "fact", Int(20)); got.Int() != 2432902008176640000 {
		t.Fatalf("fact(20) = %s", got)
	}
	_, err := run(t, p, "fact", Int(21))
	e := wantCode(t, err, CodeIntOverflow)
	// 21 * fact(20) overflows in the outermost call.
	if len(e.Stack) != 1 || e.Stack[0].Func != "fact" {
		t.Fatalf("stack %v", e.Stack)
	}
}

func TestBuiltins(t *testing.T) {
	bt, err := NewBuiltinTable(
		Builtin{Name: "upper", MinArgs: 1, MaxArgs: 1, Cost: 2, Fn: func(c *Call, args []Value) (Value, error) {
			if err := c.Charge(int64(args[0].Len())); err != nil {
				return Value{}, err
			}
			return c.NewStr(strings.ToUpper(args[0].Str()))
		}},
		Builtin{Name: "sum", MinArgs: 0, MaxArgs: -1, Fn: func(c *Call, args []Value) (Value, error) {
			var s int64
			for _, a := range args {
				s += a.Int()
			}
			return Int(s), nil
		}},
		Builtin{Name: "seed", MinArgs: 0, MaxArgs: 0, Fn: func(c *Call, args []Value) (Value, error) {
			return Int(int64(c.Seed()) + c.Now().Unix() + int64(c.Host().(int))), nil
		}},
		Builtin{Name: "fails", MinArgs: 0, MaxArgs: 0, Fn: func(c *Call, args []Value) (Value, error) {
			return Value{}, errString("no luck")
		}},
		Builtin{Name: "panics", MinArgs: 0, MaxArgs: 0, Fn: func(c *Call, args []Value) (Value, error) {
			var m map[string]int
			m["x"] = 1
			return Value{}, nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	p := build(t, []Value{Str("abc"), Int(1), Int(2)}, nil, bt, []string{"upper", "sum", "seed", "fails", "panics"},
		fn{name: "upper", asm: func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpCallBuiltin, 0, 1)
			a.Emit(OpReturn)
		}},
		fn{name: "sum", asm: func(a *Assembler) {
			a.Emit(OpConst, 1)
			a.Emit(OpConst, 2)
			a.Emit(OpConst, 2)
			a.Emit(OpCallBuiltin, 1, 3)
			a.Emit(OpReturn)
		}},
		fn{name: "seed", asm: func(a *Assembler) {
			a.Emit(OpCallBuiltin, 2, 0)
			a.Emit(OpReturn)
		}},
		fn{name: "fails", asm: func(a *Assembler) {
			a.Emit(OpCallBuiltin, 3, 0)
			a.Emit(OpReturn)
		}},
		fn{name: "panics", asm: func(a *Assembler) {
			a.Emit(OpCallBuiltin, 4, 0)
			a.Emit(OpReturn)
		}},
	)
	m := NewMachine()
	v, st, err := m.RunNamed(t.Context(), p, "upper", nil, Limits{}, Input{})
	if err != nil || v.Str() != "ABC" {
		t.Fatalf("upper: %v %v", v, err)
	}
	if st.Fuel != 3+2+3 || st.Memory != 3+strHeader {
		t.Errorf("stats %+v", st)
	}
	if v := mustRun(t, p, "sum"); v.Int() != 5 {
		t.Errorf("sum = %s", v)
	}
	v, _, err = m.RunNamed(t.Context(), p, "seed", nil, Limits{}, Input{Seed: 7, Now: time.Unix(100, 0), Host: 1000})
	if err != nil || v.Int() != 1107 {
		t.Errorf("seed = %v, %v", v, err)
	}
	_, err = run(t, p, "fails")
	e := wantCode(t, err, CodeBuiltinError)
	if e.Error() != "test.rpl:40:1: fails: no luck" {
		t.Errorf("error %q", e.Error())
	}
	_, err = run(t, p, "panics")
	wantCode(t, err, CodeInternal)
	// The machine is healthy afterwards.
	if v := mustRun(t, p, "sum"); v.Int() != 5 {
		t.Errorf("sum = %s", v)
	}
	// Fuel charged by a builtin counts.
	_, _, err = m.RunNamed(t.Context(), p, "upper", nil, Limits{Fuel: 4}, Input{})
	wantCode(t, err, CodeFuelExhausted)

	// Arity is verified at load.
	_, err = NewProgram(buildSpec(t, nil, nil, []string{"upper"}, fn{name: "f", asm: func(a *Assembler) {
		a.Emit(OpCallBuiltin, 0, 0)
		a.Emit(OpReturn)
	}}), bt)
	if err == nil || !strings.Contains(err.Error(), "want 1") {
		t.Errorf("arity: %v", err)
	}
	_, err = NewProgram(buildSpec(t, nil, nil, []string{"nope"}, fn{name: "f", asm: func(a *Assembler) {
		a.Emit(OpNil)
		a.Emit(OpReturn)
	}}), bt)
	if err == nil || !strings.Contains(err.Error(), "unknown builtin") {
		t.Errorf("unknown builtin: %v", err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestVarCountOperands pins what the verifier's stack pass assumes of a
// variable-count instruction: its count is operand 0 or 1 and no jump
// operand precedes it, so that it decodes into instr.a or instr.b.
func TestVarCountOperands(t *testing.T) {
	for op := range numOpcodes {
		info := op.Info()
		if info.flags&flagVarCount == 0 {
			continue
		}
		if info.CountArg > 1 || info.Branches() {
			t.Errorf("%s: count operand %d (branches %v); the verifier reads a or b", info.Name, info.CountArg, info.Branches())
		}
	}
}
