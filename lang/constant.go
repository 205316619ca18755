package lang

import (
	"cmp"
	"math"
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
		return o != nil && (o.Kind == ObjConst || o.Kind == ObjEnum)
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

// foldBinary folds op over two constant scalars of operand type xt. ok is
// false when the operation is not folded; errMsg is set for overflow or
// division by zero.
func foldBinary(op string, xt Type, x, y ConstValue) (v ConstValue, ok bool, errMsg string) {
	switch a := x.(type) {
	case int64:
		b, isInt := y.(int64)
		if !isInt {
			return nil, false, ""
		}
		k := Int
		if bt, isB := xt.(*Basic); isB {
			k = bt.Kind
		}
		switch op {
		case "+":
			r := a + b
			if (r > a) != (b > 0) {
				return nil, false, "constant overflow"
			}
			return r, true, ""
		case "-":
			r := a - b
			if (r < a) != (b > 0) {
				return nil, false, "constant overflow"
			}
			return r, true, ""
		case "*":
			if k == Money || k == Duration {
				return nil, false, "" // money * int is typed by the checker, not folded here
			}
			if a != 0 && b != 0 && (a*b/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64)) {
				return nil, false, "constant overflow"
			}
			return a * b, true, ""
		case "/", "%":
			if b == 0 {
				return nil, false, "division by zero"
			}
			if k != Int {
				return nil, false, ""
			}
			if op == "/" {
				return a / b, true, ""
			}
			return a % b, true, ""
		}
		if v, ok := compareOrdered(op, a, b); ok {
			return v, true, ""
		}
	case float64:
		b, isF := y.(float64)
		if !isF {
			return nil, false, ""
		}
		switch op {
		case "+":
			return a + b, true, ""
		case "-":
			return a - b, true, ""
		case "*":
			return a * b, true, ""
		case "/":
			if b == 0 {
				return nil, false, "division by zero"
			}
			return a / b, true, ""
		}
		if v, ok := compareOrdered(op, a, b); ok {
			return v, true, ""
		}
	case string:
		b, isS := y.(string)
		if !isS {
			return nil, false, ""
		}
		switch op {
		case "+":
			return a + b, true, ""
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
