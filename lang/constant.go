package lang

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/rpl-lang/rpl/internal/arith"
)

// ConstValue is the value of a constant scalar expression: int64 for int,
// money (nano-units), duration (nanoseconds) and time; float64; string;
// bool; nil for none. Info.Types tells which.
type ConstValue any

// isConstExpr reports whether e is a constant expression: literals,
// constants, enum members, operators over constants, and lists, maps and
// records of constants.
func (c *checker) isConstExpr(e Expr) bool {
	switch e := e.(type) {
	case *BasicLit:
		return true
	case *Ident:
		o := c.info.Uses[e]
		// A local is not constant. An undefined name, a function, a type
		// or a module is already an error (RPL200, RPL300) that RPL309
		// would only repeat.
		return o == nil || o.Kind != ObjVar
	case *SelectorExpr:
		o := c.info.Uses[e.Sel]
		return o != nil && (o.Kind == ObjConst || o.Kind == ObjEnum)
	case *ParenExpr:
		return c.isConstExpr(e.X)
	case *UnaryExpr:
		return c.isConstExpr(e.X)
	case *BinaryExpr:
		return c.isConstExpr(e.X) && c.isConstExpr(e.Y)
	case *ListLit:
		for _, x := range e.Elems {
			if !c.isConstExpr(x) {
				return false
			}
		}
		return true
	case *BraceLit:
		for _, en := range e.Entries {
			if !c.isConstExpr(en.Value) {
				return false
			}
		}
		return true
	case *BadExpr:
		return true
	}
	return false
}

// constLit evaluates a literal of the given type.
func constLit(lit *BasicLit, t Type) (ConstValue, bool) {
	switch lit.Kind {
	case LitString:
		return lit.Value, true
	case LitBool:
		return lit.Raw == "true", true
	case LitNone:
		return nil, true
	case LitMoney:
		v, err := ParseMoney(lit.Raw)
		return v, err == nil
	case LitDuration:
		v, err := ParseDuration(lit.Raw)
		return int64(v), err == nil
	case LitFloat:
		v, err := ParseFloat(lit.Raw)
		return v, err == nil
	case LitInt:
		v, err := ParseInt(lit.Raw)
		if err != nil {
			return nil, false
		}
		if isBasic(t, Float) {
			return float64(v), true
		}
		return v, true
	}
	return nil, false
}

// foldBinary folds op over two constant scalars of operand types xt and
// yt, computing what the run time computes (spec/language.md §6.2). ok is
// false when the operation is not folded; errMsg is set for overflow
// ("out of the int range") or division by zero (RPL315).
func foldBinary(op string, xt, yt Type, x, y ConstValue) (v ConstValue, ok bool, errMsg string) {
	switch a := x.(type) {
	case int64:
		if b, isInt := y.(int64); isInt {
			return foldInt(op, kindOf(xt), kindOf(yt), a, b)
		}
	case float64:
		if b, isF := y.(float64); isF {
			return foldFloat(op, a, b)
		}
	case string:
		b, isS := y.(string)
		if !isS {
			return nil, false, ""
		}
		switch op {
		case "+":
			if n := len(a) + len(b); n > maxFoldBytes {
				return nil, false, fmt.Sprintf("%d bytes long, past the %d a folded constant string may hold", n, maxFoldBytes)
			}
			return a + b, true, ""
		case "in":
			return strings.Contains(b, a), true, ""
		case "not in":
			return !strings.Contains(b, a), true, ""
		}
		if v, ok := compareOrdered(op, a, b); ok {
			return v, true, ""
		}
	case bool:
		b, isB := y.(bool)
		if !isB {
			return nil, false, ""
		}
		switch op {
		case "&&":
			return a && b, true, ""
		case "||":
			return a || b, true, ""
		case "==":
			return a == b, true, ""
		case "!=":
			return a != b, true, ""
		}
	}
	return nil, false, ""
}

// kindOf is the basic kind of t, Invalid for other types.
func kindOf(t Type) BasicKind {
	if b, ok := t.(*Basic); ok {
		return b.Kind
	}
	return Invalid
}

// msgDivZero is foldBinary's error of a division by zero; its others say
// which range the result is out of (outOfRange).
const msgDivZero = "division by zero"

// outOfRange is the error of a result of kind k out of its range, as the
// machine's says it of the same operation ("... is out of the int
// range").
func outOfRange(k BasicKind) string { return "out of the " + Typ[k].String() + " range" }

// resultKind is the kind of op's result over operands of kinds xk and
// yk: the left operand's, but a duration for a time minus a time.
func resultKind(xk, yk BasicKind) BasicKind {
	if xk == Time && yk == Time {
		return Duration
	}
	return xk
}

// foldInt folds op over the 64-bit integers behind int, money (nano-units),
// duration (nanoseconds) and time operands of kinds xk and yk.
func foldInt(op string, xk, yk BasicKind, a, b int64) (ConstValue, bool, string) {
	switch op {
	case "+":
		if r := a + b; (a^r)&(b^r) >= 0 {
			return r, true, ""
		}
		return nil, false, outOfRange(resultKind(xk, yk))
	case "-":
		if r := a - b; (a^b)&(a^r) >= 0 {
			return r, true, ""
		}
		return nil, false, outOfRange(resultKind(xk, yk))
	case "*":
		if r, ok := arith.Mul(a, b); ok {
			return r, true, ""
		}
		return nil, false, outOfRange(resultKind(xk, yk))
	case "/", "%":
		if b == 0 {
			return nil, false, msgDivZero
		}
		return divInt(op, xk, yk, a, b)
	}
	if v, ok := compareOrdered(op, a, b); ok {
		return v, true, ""
	}
	return nil, false, ""
}

// divInt folds a / b and a % b for b != 0: int and duration by int
// truncate toward zero, money by int rounds half to even, money by money
// gives the float ratio (arith.Ratio, as the machine's DIV_MONEY).
func divInt(op string, xk, yk BasicKind, a, b int64) (ConstValue, bool, string) {
	switch {
	case op == "%":
		if b == -1 {
			return int64(0), true, ""
		}
		return a % b, true, ""
	case xk == Money && yk == Money:
		return arith.Ratio(a, b), true, ""
	case a == math.MinInt64 && b == -1:
		return nil, false, outOfRange(xk)
	case xk == Money:
		q, _ := arith.DivRoundHalfEven(a, b) // MinInt64 / -1 is ruled out above
		return q, true, ""
	}
	return a / b, true, ""
}

// foldFloat folds op over two floats. A result that overflows to infinity
// is an error in a constant (spec/language.md §5.2), as a float literal
// that overflows is (§2.5).
func foldFloat(op string, a, b float64) (ConstValue, bool, string) {
	if r, ok := runFloat(op, a, b); ok {
		if math.IsInf(r, 0) {
			return nil, false, outOfRange(Float)
		}
		return r, true, ""
	}
	if op == "/" {
		return nil, false, msgDivZero
	}
	if v, ok := compareOrdered(op, a, b); ok {
		return v, true, ""
	}
	return nil, false, ""
}

// compareOrdered folds a comparison operator over two ordered constants.
func compareOrdered[T cmp.Ordered](op string, a, b T) (ConstValue, bool) {
	switch op {
	case "==":
		return a == b, true
	case "!=":
		return a != b, true
	case "<":
		return a < b, true
	case "<=":
		return a <= b, true
	case ">":
		return a > b, true
	case ">=":
		return a >= b, true
	}
	return nil, false
}
