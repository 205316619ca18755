package vm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestFailMessageBounded: the message of a failed expectation or FAIL
// shows each value in at most a few KB. `expect big(10) == big(11)` over a
// 7-level shared nest made a 68 MB message (447 MB allocated); here 10^6
// leaves would be 3.9 MB each.
func TestFailMessageBounded(t *testing.T) {
	p := build(t, []Value{Str("==")}, nil, nil, nil,
		fn{name: "expect", params: 2, asm: func(a *Assembler) {
			a.Emit(OpNil) // no message
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 1)
			a.Emit(OpExpectFail, 2, 0)
			a.Emit(OpTrue)
			a.Emit(OpReturn)
		}},
		fn{name: "fail", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpFail)
		}},
		fn{name: "message", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 1) // a string message
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpExpectFail, 1, 0)
			a.Emit(OpTrue)
			a.Emit(OpReturn)
		}},
	)
	big := sharedNest(6)
	for _, entry := range []string{"expect", "fail"} {
		_, _, err := NewMachine().RunNamed(context.Background(), p, entry, []Value{big, sharedNest(5)}, Limits{Memory: 1 << 20}, Input{})
		e := wantCode(t, err, CodeAssertionFailed)
		if n := len(e.Msg); n > 2*MaxFailValue+600 {
			t.Errorf("%s: message of %d bytes: %.100s…", entry, n, e.Msg)
		}
		want := "[[[[[[0, 1, 2" // FAIL: the value
		if entry == "expect" {
			want = "expected [[[[[0, 1, 2" // 5 levels, then got the 6
			if !strings.Contains(e.Msg, "...], ...], ...], ...], ...], got [[[[[[0, 1, 2") {
				t.Errorf("%s: message %.100s…", entry, e.Msg)
			}
		}
		if !strings.HasPrefix(e.Msg, want) {
			t.Errorf("%s: message %.100s…", entry, e.Msg)
		}
		if !strings.HasSuffix(e.Msg, "...], ...], ...], ...], ...], ...]") {
			t.Errorf("%s: message ends %q", entry, e.Msg[max(0, len(e.Msg)-40):])
		}
	}
	long := Str(strings.Repeat("é", 10000))
	_, _, err := NewMachine().RunNamed(context.Background(), p, "message", []Value{Int(1), long}, Limits{}, Input{})
	e := wantCode(t, err, CodeAssertionFailed)
	if n := len(e.Msg); n > 2*MaxFailValue+20 || !strings.HasSuffix(e.Msg, "é...: got 1") {
		t.Errorf("message of %d bytes ending %q", n, e.Msg[max(0, len(e.Msg)-20):])
	}
}

// TestExpectFailChargesMemory: each recorded failure is charged to the
// memory limit, so a loop of failing expectations stops with
// memory_exhausted instead of piling up messages.
func TestExpectFailChargesMemory(t *testing.T) {
	p := build(t, []Value{Str("==")}, nil, nil, nil,
		fn{name: "loop", params: 1, asm: func(a *Assembler) {
			a.Label("top")
			a.Emit(OpNil)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpExpectFail, 2, 0)
			a.Emit(OpJmp, a.JumpTo("top"))
		}})
	_, st, err := NewMachine().RunNamed(context.Background(), p, "loop", []Value{sharedNest(4)}, Limits{Fuel: 5000, Memory: 1 << 20}, Input{})
	var e *Error
	if !errors.As(err, &e) || len(e.Also) == 0 {
		t.Fatalf("error %v", err)
	}
	if last := e.Also[len(e.Also)-1]; last.Code != CodeMemoryExhausted {
		t.Errorf("the run ended with %v, want memory_exhausted", last)
	}
	if n := len(e.Also); n > (1<<20)/MaxFailValue {
		t.Errorf("%d failures recorded in 1 MB", n)
	}
	if st.Memory < 1<<20 {
		t.Errorf("memory %d", st.Memory)
	}
}

func TestStringMax(t *testing.T) {
	m, _ := NewMap([]Value{Str("a"), Int(2)}, []Value{NewList([]Value{Int(1), Str("xyz")}), Nil()})
	v := NewList([]Value{m, NewRecord([]Value{Bool(true), Float(1)})})
	full := `[{2: none, "a": [1, "xyz"]}, {true, 1.0}]` // keys ascending, ints first
	if s := v.String(); s != full {
		t.Fatalf("String %s", s)
	}
	for max := 0; max <= len(full)+1; max++ {
		s := v.stringMax(max, nil)
		if max >= len(full) && s != full {
			t.Errorf("stringMax(%d) = %s", max, s)
		}
		if len(s) > max+24 { // "..." and closing brackets of 3 levels
			t.Errorf("stringMax(%d) = %s", max, s)
		}
	}
	if s := v.stringMax(12, nil); s != `[{2: none, "a": ...}, ...]` {
		t.Errorf("stringMax(12) = %s", s)
	}
}

// MUL_MONEY_FLOAT whose product is NaN or out of the money range says so,
// with the operands, as the other operations do ("$3.00 * 1e+10"; it was
// "$3.00 times 1e+10", and the float as %v wrote it: 2 for 2.0): it said
// "integer overflow" of $3 times NaN, and of $3 times 1e10.
func TestMulMoneyFloatMessages(t *testing.T) {
	for _, c := range []struct {
		x   Value
		f   float64
		msg string
	}{
		{Money(3e9), math.NaN(), "$3.00 * NaN is NaN, which has no money value"},
		{Money(0), math.Inf(1), "$0.00 * +Inf is NaN, which has no money value"},
		{Money(-3e9), math.Inf(1), "-$3.00 * +Inf is out of the money range"},
		{Money(3e9), 1e10, "$3.00 * 1e+10 is out of the money range"},
		{Money(-3e9), 1e10, "-$3.00 * 1e+10 is out of the money range"},
		{Money(math.MaxInt64), 1.0000001, "$9223372036.854775807 * 1.0000001 is out of the money range"},
		{Money(-3e9), -1e10, "-$3.00 * (-1e+10) is out of the money range"},
		{Money(5e18), 2, "$5000000000.00 * 2.0 is out of the money range"},
	} {
		p := one(t, []Value{c.x, Float(c.f)}, func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpConst, 1)
			a.Emit(OpMulMoneyFloat)
			a.Emit(OpReturn)
		})
		_, err := run(t, p, "main")
		if e := wantCode(t, err, CodeIntOverflow); e.Msg != c.msg {
			t.Errorf("%s times %v: message %q, want %q", c.x, c.f, e.Msg, c.msg)
		}
	}
}

// EXPECT_FAIL writes a map's keys in ascending order, which sorts all of
// them however little of the map the message shows: each key's bytes
// cost their log2(n) comparisons, besides 1 per 8 comparisons. Only the
// comparisons were charged: a map of 256 keys of 1 KiB sharing a prefix,
// as got and want, cost 582 fuel for some 4 MB compared.
func TestExpectFailChargesMapKeys(t *testing.T) {
	const n = 256
	prefix := strings.Repeat("e", 1000)
	var keys, vals []Value
	for i := range n {
		keys, vals = append(keys, Str(fmt.Sprintf("%s%024d", prefix, i*97%n))), append(vals, Int(1))
	}
	m, err := NewMap(keys, vals)
	if err != nil {
		t.Fatal(err)
	}
	p := build(t, []Value{Str("==")}, nil, nil, nil,
		fn{name: "main", params: 1, asm: func(a *Assembler) {
			a.Emit(OpNil)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpExpectFail, 2, 0)
			a.Emit(OpTrue)
			a.Emit(OpReturn)
		}})
	_, st, _ := NewMachine().RunNamed(context.Background(), p, "main", []Value{m}, Limits{}, Input{})
	// Twice (got and want): the keys' bytes 9 times each.
	if want := int64(2 * n * 9 * (1024 >> strFuelShift)); st.Fuel < want {
		t.Errorf("EXPECT_FAIL of a map of %d long keys: %d fuel, want at least %d", n, st.Fuel, want)
	}
}

// An arithmetic overflow or division by zero names the operation, its
// operands and the range its result is out of; they said only "integer
// overflow" and "division by zero". The codes are as before.
func TestArithMessages(t *testing.T) {
	for _, c := range []struct {
		x, y Value
		op   Opcode
		code Code
		msg  string
	}{
		{Int(math.MaxInt64), Int(1), OpAddInt, CodeIntOverflow, "9223372036854775807 + 1 is out of the int range"},
		{Int(math.MinInt64), Int(1), OpSubInt, CodeIntOverflow, "-9223372036854775808 - 1 is out of the int range"},
		{Int(math.MaxInt64), Int(-1), OpSubInt, CodeIntOverflow, "9223372036854775807 - (-1) is out of the int range"},
		{Int(math.MinInt64), Int(-1), OpDivInt, CodeIntOverflow, "-9223372036854775808 / (-1) is out of the int range"},
		{Int(math.MinInt64), Value{}, OpNegInt, CodeIntOverflow, "-(-9223372036854775808) is out of the int range"},
		{Money(math.MaxInt64), Int(2), OpMulMoneyInt, CodeIntOverflow, "$9223372036.854775807 * 2 is out of the money range"},
		{Money(math.MinInt64), Int(-1), OpDivMoneyInt, CodeIntOverflow, "-$9223372036.854775808 / (-1) is out of the money range"},
		{Money(math.MaxInt64), Money(1), OpAddMoney, CodeIntOverflow, "$9223372036.854775807 + $0.000000001 is out of the money range"},
		{Duration(math.MaxInt64), Int(2), OpMulDurInt, CodeIntOverflow, "106751d23h47m16s854ms775us807ns * 2 is out of the duration range"},
		{Duration(math.MinInt64), Value{}, OpNegDur, CodeIntOverflow, "-(-106751d23h47m16s854ms775us808ns) is out of the duration range"},
		{Time(math.MaxInt64), Duration(1), OpAddTimeDur, CodeIntOverflow, `time("2262-04-11T23:47:16.854775807Z") + 1ns is out of the time range`},
		{Time(math.MaxInt64), Time(-1), OpSubTime, CodeIntOverflow, `time("2262-04-11T23:47:16.854775807Z") - time("1969-12-31T23:59:59.999999999Z") is out of the duration range`},
		{Int(5), Int(0), OpDivInt, CodeDivisionByZero, "division by zero: 5 / 0"},
		{Int(-5), Int(0), OpModInt, CodeDivisionByZero, "division by zero: -5 % 0"},
		{Money(15e8), Int(0), OpDivMoneyInt, CodeDivisionByZero, "division by zero: $1.50 / 0"},
		{Money(15e8), Money(0), OpDivMoney, CodeDivisionByZero, "division by zero: $1.50 / $0.00"},
		{Duration(1e9), Int(0), OpDivDurInt, CodeDivisionByZero, "division by zero: 1s / 0"},
		{Duration(1e9), Duration(0), OpDivDur, CodeDivisionByZero, "division by zero: 1s / 0s"},
		{Float(1), Float(math.Copysign(0, -1)), OpDivFloat, CodeDivisionByZero, "division by zero: 1.0 / (-0.0)"},
	} {
		consts := []Value{c.x, c.y}
		code := []Instr{I(OpConst, 0), I(OpConst, 1), I(c.op)}
		if c.y.Kind() == KindNil {
			consts, code = consts[:1], []Instr{I(OpConst, 0), I(c.op)}
		}
		_, err := run(t, straight(t, consts, nil, code...), "main")
		if e := wantCode(t, err, c.code); e.Msg != c.msg {
			t.Errorf("%s of %s, %s: message %q, want %q", c.op, c.x, c.y, e.Msg, c.msg)
		}
	}
}
