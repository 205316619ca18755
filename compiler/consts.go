package compiler

import (
	"slices"
	"strings"
	"time"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// constValue returns the value of a constant expression, building lists,
// maps and records of constants at compile time.
func (c *compiler) constValue(e lang.Expr) (vm.Value, bool) {
	if c.constMemo == nil {
		c.constMemo = map[lang.Expr]constResult{}
	}
	if r, ok := c.constMemo[e]; ok {
		return r.v, r.ok
	}
	v, ok := c.constValue0(e)
	if ok && !c.constFits(v) {
		ok = false // built at run time
	}
	c.constMemo[e] = constResult{v, ok}
	return v, ok
}

// maxConstValues bounds the values of a constant the compiler folds,
// shared parts counted each time they occur, as the program's encoding
// writes them: a literal of more, such as hundreds of {} of a record type
// of tens of thousands of values (a zero value is shared), is built at
// run time, where the shared parts stay shared; and so is one nested as
// deep as a constant may not be.
const maxConstValues = 1 << 23

// constFits reports whether v may be a constant of the program: at most
// maxConstValues values, nested less than vm.MaxConstDepth deep. Each
// distinct part is measured once per compilation (c.sizes), so
// constants built of constants cost their own size only.
func (c *compiler) constFits(v vm.Value) bool {
	s := c.measure(v)
	return s.values <= maxConstValues && s.depth < vm.MaxConstDepth
}

// constSize is what measure finds: the values v holds, counted up to
// maxConstValues+1, and how deep they nest.
type constSize struct{ values, depth int }

func (c *compiler) measure(v vm.Value) constSize {
	switch v.Kind() {
	case vm.KindList, vm.KindRecord, vm.KindMap:
	default:
		return constSize{values: 1}
	}
	if s, ok := c.sizes[v]; ok {
		return s
	}
	s := constSize{values: 1}
	add := func(x vm.Value) {
		xs := c.measure(x)
		s.values = min(s.values+xs.values, maxConstValues+1)
		s.depth = max(s.depth, xs.depth+1)
	}
	switch v.Kind() {
	case vm.KindList:
		for _, x := range v.List() {
			add(x)
		}
	case vm.KindRecord:
		for _, x := range v.Record() {
			add(x)
		}
	case vm.KindMap:
		m := v.Map()
		for i, k := range m.Keys() {
			add(k)
			add(m.Values()[i])
		}
	}
	if c.sizes == nil {
		c.sizes = map[vm.Value]constSize{}
	}
	c.sizes[v] = s
	return s
}

type constResult struct {
	v  vm.Value
	ok bool
}

func (c *compiler) constValue0(e lang.Expr) (vm.Value, bool) {
	t := c.info.Types[e]
	if v, ok := c.info.Consts[e]; ok && !c.touchesOverride(e) {
		return Scalar(v, t)
	}
	switch e := e.(type) {
	case *lang.CallExpr:
		return c.foldCall(e)
	case *lang.ParenExpr:
		return c.constValue(e.X)
	case *lang.UnaryExpr:
		if v, ok := c.constValue(e.X); ok && e.Op == "!" && v.Kind() == vm.KindBool {
			return vm.Bool(!v.Bool()), true
		}
	case *lang.BinaryExpr:
		return c.foldOperator(e)
	case *lang.Ident:
		return c.objConst(c.info.Uses[e])
	case *lang.SelectorExpr:
		if o := c.info.Uses[e.Sel]; o != nil && (o.Kind == lang.ObjConst || o.Kind == lang.ObjEnum) {
			return c.objConst(o)
		}
	case *lang.ListLit:
		elems := make([]vm.Value, len(e.Elems))
		for i, x := range e.Elems {
			v, ok := c.constValue(x)
			if !ok {
				return vm.Value{}, false
			}
			elems[i] = v
		}
		return vm.NewList(elems), true
	case *lang.BraceLit:
		clock := c.arrivesAtClock(e)
		if clock && c.clockMoves() != nil {
			return vm.Value{}, false // its arrival is now(), at run time
		}
		given := map[string]lang.Expr{}
		for _, en := range e.Entries {
			if id, ok := en.Key.(*lang.Ident); ok {
				given[id.Name] = en.Value
			}
		}
		switch lt := c.info.Lits[e].(type) {
		case *lang.Record:
			if len(given) == 0 && !clock {
				return c.zero(lt), true // {}: one value for every {} of the type
			}
			if !c.folds(lt) {
				return vm.Value{}, false // a Decision's: built at run time, and checked then
			}
			slots := make([]vm.Value, len(lt.Fields))
			for i, fld := range lt.Fields {
				x, ok := given[fld.Name]
				if !ok {
					slots[i] = c.zero(fld.Type)
					if clock && fld.Name == "arrival" {
						slots[i] = vm.TimeOf(TestClock)
					}
					continue
				}
				v, ok := c.constValue(x)
				if !ok {
					return vm.Value{}, false
				}
				slots[i] = v
			}
			return vm.NewRecord(slots), true
		case *lang.Map:
			keys := make([]vm.Value, 0, len(e.Entries))
			vals := make([]vm.Value, 0, len(e.Entries))
			for _, en := range e.Entries {
				var k vm.Value
				if id, ok := en.Key.(*lang.Ident); ok {
					k = vm.Str(id.Name)
				} else if kv, ok := c.constValue(en.Key); ok {
					k = kv
				} else {
					return vm.Value{}, false
				}
				v, ok := c.constValue(en.Value)
				if !ok {
					return vm.Value{}, false
				}
				keys, vals = append(keys, k), append(vals, v)
			}
			m, err := vm.NewMap(keys, vals)
			return m, err == nil
		}
	}
	return vm.Value{}, false
}

// foldOperator evaluates the operators that the checker leaves to the
// compiler because an operand is none, a list, a map or a record: ==, !=,
// in, not in, and &&, || and ?? over such comparisons. The checker folds
// every other operator over constants or reports why it cannot (RPL315).
func (c *compiler) foldOperator(e *lang.BinaryExpr) (vm.Value, bool) {
	x, ok := c.constValue(e.X)
	if !ok {
		return vm.Value{}, false
	}
	if e.Op == "??" && !x.IsNil() {
		return x, true
	}
	y, ok := c.constValue(e.Y)
	if !ok {
		return vm.Value{}, false
	}
	switch e.Op {
	case "??":
		return y, true
	case "==":
		return vm.Bool(vm.Equal(x, y)), true
	case "!=":
		return vm.Bool(!vm.Equal(x, y)), true
	case "in":
		return member(x, y)
	case "not in":
		v, ok := member(x, y)
		return vm.Bool(!v.Bool()), ok
	case "&&", "||":
		if x.Kind() != vm.KindBool || y.Kind() != vm.KindBool {
			return vm.Value{}, false
		}
		if e.Op == "&&" {
			return vm.Bool(x.Bool() && y.Bool()), true
		}
		return vm.Bool(x.Bool() || y.Bool()), true
	}
	return vm.Value{}, false
}

// member reports whether x is an element of the list y, a key of the map y
// or a substring of the string y, as IN_LIST, IN_MAP and IN_STR do.
func member(x, y vm.Value) (vm.Value, bool) {
	switch y.Kind() {
	case vm.KindList:
		return vm.Bool(slices.ContainsFunc(y.List(), func(e vm.Value) bool { return vm.Equal(x, e) })), true
	case vm.KindMap:
		_, found := y.Map().Get(x)
		return vm.Bool(found), true
	case vm.KindString:
		if x.Kind() == vm.KindString {
			return vm.Bool(strings.Contains(y.Str(), x.Str())), true
		}
	}
	return vm.Value{}, false
}

// foldLimits bound the compile-time evaluation of one builtin call; a call
// that needs more (range(1_000_000_000)) is left to run time.
var foldLimits = vm.Limits{Fuel: 100_000, Memory: 1 << 20, MaxDepth: 1}

// foldCall evaluates a call of a pure builtin whose arguments are all
// constant. Calls that fail (to("")) are left to run time, where they
// fail with the policy's position.
func (c *compiler) foldCall(e *lang.CallExpr) (vm.Value, bool) {
	call := c.info.Calls[e]
	if c.opts.Builtins == nil || call == nil || call.Kind != lang.CallBuiltin || !call.Builtin.Pure {
		return vm.Value{}, false
	}
	args := make([]vm.Value, len(call.Args))
	var first lang.Type
	for i, a := range call.Args {
		if a == nil {
			args[i] = vm.Nil() // an omitted optional parameter
			continue
		}
		v, ok := c.constValue(a)
		if !ok {
			return vm.Value{}, false
		}
		args[i] = v
		if i == 0 {
			first = c.info.Types[a]
		}
	}
	return c.foldBudgeted(call.Builtin, args, first)
}

// foldFuel bounds the fuel of all the calls one compilation folds: past
// it, a call is not folded but left to run time, where each evaluation
// is charged its fuel (no language rule needs a call folded: a const's
// value holds none). Without it, each call being bounded by foldLimits
// alone, 2,000 calls len(sort(L)) of a 10,000-element constant L took
// 20 s of folding, where this allows 59 such calls (70,000 fuel each), or
// hundreds of thousands of the usual ones (to("openai:gpt-4o")). It is
// the checker's budget too (lang.FoldFuel).
const foldFuel = lang.FoldFuel

// foldBudgeted is FoldBuiltin charged to the compilation's foldFuel
// (c.out.foldFuel counts what the calls spent), each call given what is
// left of it at most; ok is false for a call not folded, left to run
// time. A call that folds within foldLimits while the budget lasts gives
// what the checker's folding gives.
func (c *compiler) foldBudgeted(b *lang.Builtin, args []vm.Value, first lang.Type) (vm.Value, bool) {
	v, spent, err := FoldBuiltin(c.opts.Builtins, b, args, first, foldFuel-c.out.foldFuel)
	c.out.foldFuel += spent
	return v, err == nil
}

// errNoFuel is FoldBuiltin's error for a call given no fuel.
var errNoFuel = &vm.Error{Code: vm.CodeFuelExhausted, Msg: "fold: no fuel left for folding"}

// FoldBuiltin evaluates a call of the pure builtin b (lang.BuiltinDecl.Pure)
// on constant arguments, as the compiler folds it: args holds one value per
// parameter (none for an omitted optional one), first is the type of the
// first argument (for the shape a builtin that TakesShape is given), and
// the call is bounded by foldLimits and by fuel, past which it fails with
// fuel_exhausted or memory_exceeded; spent is the fuel it spent, all it
// was given when it ran out. The checker's constant evaluation
// (lang.UniverseConfig.Fold, stdlib's) calls it too, so check time and
// compile time fold the same calls to the same values.
func FoldBuiltin(tab *vm.BuiltinTable, b *lang.Builtin, args []vm.Value, first lang.Type, fuel int64) (v vm.Value, spent int64, err error) {
	if fuel <= 0 {
		return vm.Value{}, 0, errNoFuel
	}
	lim := foldLimits
	lim.Fuel = min(lim.Fuel, fuel)
	if shape, ok := shapeArg(b, len(args), first); ok {
		args = append(args[:len(args):len(args)], shape)
	}
	return vm.Fold(tab, b.Key(), args, lim)
}

func (c *compiler) objConst(o *lang.Object) (vm.Value, bool) {
	if o == nil {
		return vm.Value{}, false
	}
	switch o.Kind {
	case lang.ObjEnum:
		return vm.Str(o.Name), true
	case lang.ObjConst:
		if d, ok := c.resolveFunc(o).Decl.(*lang.ConstDecl); ok {
			return c.constValue(d.Value)
		}
	}
	return vm.Value{}, false
}

// Scalar converts a checker constant of a scalar type t (a bool, a
// string or an enum's member, a number, a money, a duration, a time; nil
// for none) to the value the run holds.
func Scalar(v lang.ConstValue, t lang.Type) (vm.Value, bool) {
	if v == nil {
		return vm.Nil(), true
	}
	k := basicKind(lang.Unwrap(t))
	if _, isEnum := lang.Unwrap(t).(*lang.Enum); isEnum {
		s, ok := v.(string)
		return vm.Str(s), ok
	}
	switch x := v.(type) {
	case bool:
		return vm.Bool(x), true
	case string:
		return vm.Str(x), true
	case float64:
		return vm.Float(x), true
	case int64:
		switch k {
		case lang.Money:
			return vm.Money(x), true
		case lang.Duration:
			return vm.Duration(time.Duration(x)), true
		case lang.Time:
			return vm.Time(x), true
		case lang.Float:
			return vm.Float(float64(x)), true
		}
		return vm.Int(x), true
	}
	return vm.Value{}, false
}

// constSet returns the set index for a constant list of strings or ints:
// one set per constant, by the constant itself (constValue gives an
// expression and every use of a const the same value), made and checked
// once.
func (c *compiler) constSet(e lang.Expr) (int, bool) {
	v, ok := c.constValue(e)
	if !ok || v.Kind() != vm.KindList {
		return 0, false
	}
	if i, ok := c.sets[v]; ok {
		return i, true
	}
	elems := v.List()
	if len(elems) == 0 {
		return 0, false
	}
	kind := elems[0].Kind()
	if kind != vm.KindString && kind != vm.KindInt {
		return 0, false
	}
	for _, x := range elems {
		if x.Kind() != kind {
			return 0, false
		}
	}
	c.spec.Sets = append(c.spec.Sets, vm.SetSpec{Elems: elems})
	i := len(c.spec.Sets) - 1
	c.sets[v] = i
	return i, true
}

// zeroValue is the value an omitted record field takes (spec/language.md
// §3): false, 0, "", 0s, $0, the epoch, an enum's first member, none for an
// optional, [] and {}, and a record of its fields' zero values.
func zeroValue(t lang.Type) vm.Value { return zeroOf(t, nil) }

// zero is zeroValue, its records made once per compilation.
func (c *compiler) zero(t lang.Type) vm.Value {
	if c.zeroMemo == nil {
		c.zeroMemo = map[*lang.Record]vm.Value{}
	}
	return zeroOf(t, c.zeroMemo)
}

// zeroOf is zeroValue with, when made is not nil, the zero records made
// so far by type: a record type that several fields have is then made
// once and shared, values being immutable, so a type whose fields
// multiply costs its number of types, not of values.
func zeroOf(t lang.Type, made map[*lang.Record]vm.Value) vm.Value {
	switch t := t.(type) {
	case *lang.Basic:
		switch t.Kind {
		case lang.Bool:
			return vm.Bool(false)
		case lang.Int:
			return vm.Int(0)
		case lang.Float:
			return vm.Float(0)
		case lang.String:
			return vm.Str("")
		case lang.Duration:
			return vm.Duration(0)
		case lang.Money:
			return vm.Money(0)
		case lang.Time:
			return vm.Time(0)
		}
	case *lang.Enum:
		// spec/language.md §3.3: an enum's zero value is its first member
		// ("" is not a member, so no match arm or == would ever see it).
		if len(t.Members) > 0 {
			return vm.Str(t.Members[0])
		}
		return vm.Str("")
	case *lang.List:
		return vm.NewList(nil)
	case *lang.Map:
		m, _ := vm.NewMap(nil, nil)
		return m
	case *lang.Record:
		if v, ok := made[t]; ok {
			return v
		}
		slots := make([]vm.Value, len(t.Fields))
		for i, f := range t.Fields {
			slots[i] = zeroOf(f.Type, made)
		}
		v := vm.NewRecord(slots)
		if made != nil {
			made[t] = v
		}
		return v
	}
	return vm.Nil()
}

// ZeroValue exposes zeroValue to hosts that build inputs.
func ZeroValue(t lang.Type) vm.Value { return zeroValue(t) }

// touchesOverride reports whether e reads a const that a more derived
// policy redeclares, directly or through the consts it reads (the parent's
// `const double = limit * 2` when the child redeclares limit): the checker
// folded it with the parent's value, so the compiler must not use that
// folding.
//
// The answer is kept per expression, and an expression's is made of its
// subexpressions' kept ones: the compiler asks it of every constant
// subexpression it meets, and walking each one's whole tree made a chain
// of 9,000 additions reading an overridden constant take 5 s to compile.
func (c *compiler) touchesOverride(e lang.Expr) bool {
	if c.prog.Main.Extends == nil {
		return false
	}
	if id, ok := e.(*lang.Ident); ok {
		o := c.info.Uses[id]
		return o != nil && o.Kind == lang.ObjConst && c.constTouchesOverride(o)
	}
	if v, ok := c.touchMemo[e]; ok {
		return v
	}
	found := false
	lang.Inspect(e, func(n lang.Node) bool {
		switch x := n.(type) {
		case nil:
		case lang.Expr:
			if found || lang.Node(x) == lang.Node(e) {
				return !found
			}
			found = c.touchesOverride(x)
			return false
		}
		return !found
	})
	if c.touchMemo == nil {
		c.touchMemo = map[lang.Expr]bool{}
	}
	c.touchMemo[e] = found
	return found
}

// constTouchesOverride is touchesOverride for a const's name.
func (c *compiler) constTouchesOverride(o *lang.Object) bool {
	if c.resolveFunc(o) != o {
		return true
	}
	if v, ok := c.overrideMemo[o]; ok {
		return v
	}
	if c.overrideMemo == nil {
		c.overrideMemo = map[*lang.Object]bool{}
	}
	d, ok := o.Decl.(*lang.ConstDecl)
	v := ok && c.touchesOverride(d.Value) // consts do not refer to themselves (the checker)
	c.overrideMemo[o] = v
	return v
}

// constArgs is args as a builtin's ConstFuel takes them: the value of
// each constant scalar, lang.NotConst for the others (a list or map, an
// argument omitted, one a tenant may override).
func (c *compiler) constArgs(args []lang.Expr) []lang.ConstValue {
	vals := make([]lang.ConstValue, len(args))
	for i, a := range args {
		vals[i] = lang.NotConst
		if a == nil {
			continue
		}
		if v, ok := c.info.Consts[a]; ok && !c.touchesOverride(a) {
			vals[i] = v
		}
	}
	return vals
}
