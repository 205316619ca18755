package vm

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unsafe"

	"github.com/rpl-lang/rpl/internal/arith"
	"github.com/rpl-lang/rpl/internal/money"
)

// slot returns slot i of record r (r.k == KindRecord, i < r.n checked by
// the caller).
func slot(r Value, i int) Value {
	return *(*Value)(unsafe.Add(r.p, uintptr(i)*unsafe.Sizeof(Value{})))
}

// exec is the interpreter: one loop, one switch. The verifier guarantees
// operand indexes, jump targets and stack heights; kinds are checked
// wherever a value is dereferenced. Every failure sets err and breaks the
// loop with pc at the failing instruction.
func (m *Machine) exec(p *Program, fn *funcCode) (result Value, err error) {
	stack := valsOf(m.stack)
	consts := valsOf(p.consts)
	ins := instrsOf(fn.ins)
	pc, bp := 0, 0
	sp := fn.numLocals
	budget := m.takeFuel()

loop:
	for {
		budget--
		if budget < 0 {
			if budget, err = m.refuel(budget); err != nil {
				break loop
			}
		}
		in := ins.at(pc)
		switch in.op {
		case OpNop:
			pc++

		case OpPop:
			sp--
			pc++

		case OpDup:
			m.fresh = nil // a copy: see Call.Reusable
			*stack.at(sp) = *stack.at(sp - 1)
			sp++
			pc++

		case OpSwap:
			*stack.at(sp - 2), *stack.at(sp - 1) = *stack.at(sp - 1), *stack.at(sp - 2)
			pc++

		case OpConst:
			*stack.at(sp) = *consts.at(int(in.a))
			sp++
			pc++

		case OpNil:
			*stack.at(sp) = Value{}
			sp++
			pc++

		case OpTrue:
			*stack.at(sp) = Value{k: KindBool, n: 1}
			sp++
			pc++

		case OpFalse:
			*stack.at(sp) = Value{k: KindBool}
			sp++
			pc++

		case OpLoadLocal:
			*stack.at(sp) = *stack.at(bp + int(in.a))
			sp++
			pc++

		case OpStoreLocal:
			m.fresh = nil
			sp--
			*stack.at(bp + int(in.a)) = *stack.at(sp)
			pc++

		case OpField:
			r := *stack.at(sp - 1)
			i := int(in.a)
			if r.k != KindRecord || uint64(i) >= r.n {
				err = badField(r, i)
				break loop
			}
			*stack.at(sp - 1) = slot(r, i)
			pc++

		case OpLocalField, OpLocalFieldSetMember:
			// LOCAL_FIELD_SET_MEMBER also tests the field against set c.
			r := *stack.at(bp + int(in.a))
			i := int(in.b)
			if r.k != KindRecord || uint64(i) >= r.n {
				err = badField(r, i)
				break loop
			}
			v := slot(r, i)
			if in.op == OpLocalFieldSetMember {
				budget -= KeyFuel(v)
				v = Bool(p.sets[int(in.c)].has(v))
			}
			*stack.at(sp) = v
			sp++
			pc++

		case OpLocalField2:
			r := *stack.at(bp + int(in.a))
			i, j := int(in.b), int(in.c)
			if r.k != KindRecord || uint64(i) >= r.n {
				err = badField(r, i)
				break loop
			}
			r = slot(r, i)
			if r.k != KindRecord || uint64(j) >= r.n {
				err = badField(r, j)
				break loop
			}
			*stack.at(sp) = slot(r, j)
			sp++
			pc++

		// Int arithmetic, checked.
		case OpAddInt, OpAddMoney, OpAddDur, OpAddTimeDur:
			x, y := int64(stack.at(sp-2).n), int64(stack.at(sp-1).n)
			s := x + y
			if (x^s)&(y^s) < 0 {
				err = overflow(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			*stack.at(sp - 2) = Value{k: resultKind[in.op], n: uint64(s)}
			sp--
			pc++

		case OpSubInt, OpSubMoney, OpSubDur, OpSubTimeDur, OpSubTime:
			x, y := int64(stack.at(sp-2).n), int64(stack.at(sp-1).n)
			d := x - y
			if (x^y)&(x^d) < 0 {
				err = overflow(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			*stack.at(sp - 2) = Value{k: resultKind[in.op], n: uint64(d)}
			sp--
			pc++

		case OpMulInt, OpMulMoneyInt, OpMulDurInt:
			x, y := int64(stack.at(sp-2).n), int64(stack.at(sp-1).n)
			prod, ok := arith.Mul(x, y)
			if !ok {
				err = overflow(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			*stack.at(sp - 2) = Value{k: resultKind[in.op], n: uint64(prod)}
			sp--
			pc++

		case OpDivInt, OpDivDurInt:
			x, y := int64(stack.at(sp-2).n), int64(stack.at(sp-1).n)
			if y == 0 {
				err = divZero(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			if y == -1 && x == math.MinInt64 {
				err = overflow(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			*stack.at(sp - 2) = Value{k: resultKind[in.op], n: uint64(x / y)}
			sp--
			pc++

		case OpModInt:
			x, y := int64(stack.at(sp-2).n), int64(stack.at(sp-1).n)
			if y == 0 {
				err = divZero(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			var r int64
			if y != -1 {
				r = x % y
			}
			*stack.at(sp - 2) = Value{k: KindInt, n: uint64(r)}
			sp--
			pc++

		case OpNegInt, OpNegMoney, OpNegDur:
			x := int64(stack.at(sp - 1).n)
			if x == math.MinInt64 {
				err = overflow(in.op, *stack.at(sp - 1), Value{})
				break loop
			}
			*stack.at(sp - 1) = Value{k: resultKind[in.op], n: uint64(-x)}
			pc++

		case OpDivMoneyInt:
			x, y := int64(stack.at(sp-2).n), int64(stack.at(sp-1).n)
			if y == 0 {
				err = divZero(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			q, ok := arith.DivRoundHalfEven(x, y)
			if !ok {
				err = overflow(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			*stack.at(sp - 2) = Value{k: KindMoney, n: uint64(q)}
			sp--
			pc++

		case OpMulMoneyFloat:
			r, ok := mulMoneyFloat(int64(stack.at(sp-2).n), math.Float64frombits(stack.at(sp-1).n))
			if !ok {
				err = mulMoneyFloatError(int64(stack.at(sp-2).n), math.Float64frombits(stack.at(sp-1).n))
				break loop
			}
			*stack.at(sp - 2) = Value{k: KindMoney, n: uint64(r)}
			sp--
			pc++

		case OpDivMoney, OpDivDur:
			x, y := int64(stack.at(sp-2).n), int64(stack.at(sp-1).n)
			if y == 0 {
				err = divZero(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			*stack.at(sp - 2) = Float(arith.Ratio(x, y))
			sp--
			pc++

		// Float arithmetic.
		case OpAddFloat:
			*stack.at(sp - 2) = Float(math.Float64frombits(stack.at(sp-2).n) + math.Float64frombits(stack.at(sp-1).n))
			sp--
			pc++

		case OpSubFloat:
			*stack.at(sp - 2) = Float(math.Float64frombits(stack.at(sp-2).n) - math.Float64frombits(stack.at(sp-1).n))
			sp--
			pc++

		case OpMulFloat:
			*stack.at(sp - 2) = Float(math.Float64frombits(stack.at(sp-2).n) * math.Float64frombits(stack.at(sp-1).n))
			sp--
			pc++

		case OpDivFloat:
			y := math.Float64frombits(stack.at(sp - 1).n)
			if y == 0 {
				err = divZero(in.op, *stack.at(sp - 2), *stack.at(sp - 1))
				break loop
			}
			*stack.at(sp - 2) = Float(math.Float64frombits(stack.at(sp-2).n) / y)
			sp--
			pc++

		case OpNegFloat:
			*stack.at(sp - 1) = Float(-math.Float64frombits(stack.at(sp - 1).n))
			pc++

		case OpIntToFloat:
			*stack.at(sp - 1) = Float(float64(int64(stack.at(sp - 1).n)))
			pc++

		case OpConcat:
			x, y := *stack.at(sp - 2), *stack.at(sp - 1)
			if x.k != KindString || y.k != KindString {
				err = badOperands("CONCAT", x, y)
				break loop
			}
			n := int64(x.n + y.n)
			if n > 0 && x.n > 0 && y.n > 0 {
				if err = m.alloc(n + strHeader); err != nil {
					break loop
				}
				if budget, err = m.spend(budget, strFuel(uint64(n))); err != nil {
					break loop
				}
			}
			*stack.at(sp - 2) = Str(x.str() + y.str())
			sp--
			pc++

		// Comparisons.
		case OpEq, OpNe:
			x, y := *stack.at(sp - 2), *stack.at(sp - 1)
			var eq bool
			var fuel int64
			if x.k < KindList {
				eq, fuel = equalFuel(x, y)
				budget -= fuel
			} else if eq, budget, err = m.equalDeep(x, y, budget); err != nil {
				break loop
			}
			*stack.at(sp - 2) = Bool(eq == (in.op == OpEq))
			sp--
			pc++

		case OpLtInt:
			*stack.at(sp - 2) = Bool(int64(stack.at(sp-2).n) < int64(stack.at(sp-1).n))
			sp--
			pc++

		case OpLeInt:
			*stack.at(sp - 2) = Bool(int64(stack.at(sp-2).n) <= int64(stack.at(sp-1).n))
			sp--
			pc++

		case OpGtInt:
			*stack.at(sp - 2) = Bool(int64(stack.at(sp-2).n) > int64(stack.at(sp-1).n))
			sp--
			pc++

		case OpGeInt:
			*stack.at(sp - 2) = Bool(int64(stack.at(sp-2).n) >= int64(stack.at(sp-1).n))
			sp--
			pc++

		case OpLtFloat:
			*stack.at(sp - 2) = Bool(math.Float64frombits(stack.at(sp-2).n) < math.Float64frombits(stack.at(sp-1).n))
			sp--
			pc++

		case OpLeFloat:
			*stack.at(sp - 2) = Bool(math.Float64frombits(stack.at(sp-2).n) <= math.Float64frombits(stack.at(sp-1).n))
			sp--
			pc++

		case OpGtFloat:
			*stack.at(sp - 2) = Bool(math.Float64frombits(stack.at(sp-2).n) > math.Float64frombits(stack.at(sp-1).n))
			sp--
			pc++

		case OpGeFloat:
			*stack.at(sp - 2) = Bool(math.Float64frombits(stack.at(sp-2).n) >= math.Float64frombits(stack.at(sp-1).n))
			sp--
			pc++

		case OpBeforeFloat:
			*stack.at(sp - 2) = Bool(floatBefore(math.Float64frombits(stack.at(sp-2).n), math.Float64frombits(stack.at(sp-1).n)))
			sp--
			pc++

		case OpAfterFloat:
			*stack.at(sp - 2) = Bool(floatBefore(math.Float64frombits(stack.at(sp-1).n), math.Float64frombits(stack.at(sp-2).n)))
			sp--
			pc++

		case OpBefore, OpAfter:
			x, y := *stack.at(sp - 2), *stack.at(sp - 1)
			if in.op == OpAfter {
				x, y = y, x
			}
			var c int
			if x.k != y.k || x.k < KindList && x.k != KindString {
				c = Compare(x, y)
			} else if c, budget, err = m.compareDeep(x, y, budget); err != nil {
				break loop
			}
			*stack.at(sp - 2) = Bool(c < 0)
			sp--
			pc++

		case OpLtStr, OpLeStr, OpGtStr, OpGeStr:
			x, y := *stack.at(sp - 2), *stack.at(sp - 1)
			if x.k != KindString || y.k != KindString {
				err = badOperands(in.op.String(), x, y)
				break loop
			}
			// compareStr by hand: no call more than strings.Compare's
			// for short strings.
			var c int
			if costlyCompare(x, y) {
				var fuel int64
				c, fuel = compareLong(x.str(), y.str())
				budget -= fuel
			} else {
				c = strings.Compare(x.str(), y.str())
			}
			var b bool
			in := ins.at(pc)
			switch in.op {
			case OpLtStr:
				b = c < 0
			case OpLeStr:
				b = c <= 0
			case OpGtStr:
				b = c > 0
			default:
				b = c >= 0
			}
			*stack.at(sp - 2) = Bool(b)
			sp--
			pc++

		case OpNot:
			*stack.at(sp - 1) = Bool(stack.at(sp-1).n == 0)
			pc++

		case OpIsNil:
			*stack.at(sp - 1) = Bool(stack.at(sp-1).k == KindNil)
			pc++

		// Superinstructions: compare with a constant.
		case OpEqConst, OpNeConst:
			x, k := *stack.at(sp - 1), *consts.at(int(in.a))
			var eq bool
			var fuel int64
			if x.k < KindList {
				eq, fuel = equalFuel(x, k)
				budget -= fuel
			} else if eq, budget, err = m.equalDeep(x, k, budget); err != nil {
				break loop
			}
			*stack.at(sp - 1) = Bool(eq == (in.op == OpEqConst))
			pc++

		case OpLtIntConst:
			*stack.at(sp - 1) = Bool(int64(stack.at(sp-1).n) < int64(consts.at(int(in.a)).n))
			pc++

		case OpLeIntConst:
			*stack.at(sp - 1) = Bool(int64(stack.at(sp-1).n) <= int64(consts.at(int(in.a)).n))
			pc++

		case OpGtIntConst:
			*stack.at(sp - 1) = Bool(int64(stack.at(sp-1).n) > int64(consts.at(int(in.a)).n))
			pc++

		case OpGeIntConst:
			*stack.at(sp - 1) = Bool(int64(stack.at(sp-1).n) >= int64(consts.at(int(in.a)).n))
			pc++

		// Jumps.
		case OpJmp:
			pc = int(in.c)

		case OpJmpIfFalse:
			sp--
			if stack.at(sp).n == 0 {
				pc = int(in.c)
			} else {
				pc++
			}

		case OpJmpIfNeConst, OpJmpIfEqConst:
			sp--
			x, k := *stack.at(sp), *consts.at(int(in.a))
			var eq bool
			var fuel int64
			if x.k < KindList {
				eq, fuel = equalFuel(x, k)
				budget -= fuel
			} else if eq, budget, err = m.equalDeep(x, k, budget); err != nil {
				break loop
			}
			if eq == (in.op == OpJmpIfEqConst) {
				pc = int(in.c)
			} else {
				pc++
			}

		case OpJmpUnlessIntConst:
			sp--
			x, k := int64(stack.at(sp).n), int64(consts.at(int(in.b)).n)
			var ok bool
			switch in.a {
			case 0:
				ok = x < k
			case 1:
				ok = x <= k
			case 2:
				ok = x > k
			case 3:
				ok = x >= k
			default:
				err = &Error{Code: CodeInternal, Msg: fmt.Sprintf("JMP_UNLESS_INT_CONST: no comparison %d", in.a)}
				break loop
			}
			if ok {
				pc++
			} else {
				pc = int(in.c)
			}

		case OpStrTestConst, OpJmpUnlessStrConst:
			sp--
			var ok bool
			var fuel int64
			if ok, fuel, err = m.strTest(in.op, int(in.a), *stack.at(sp), *consts.at(int(in.b))); err != nil {
				break loop
			}
			budget -= fuel
			switch {
			case in.op == OpStrTestConst:
				*stack.at(sp) = Bool(ok)
				sp++
				pc++
			case ok:
				pc++
			default:
				pc = int(in.c)
			}

		case OpJmpIfTrue:
			sp--
			if stack.at(sp).n != 0 {
				pc = int(in.c)
			} else {
				pc++
			}

		case OpJmpIfFalseOrPop:
			if stack.at(sp-1).n == 0 {
				pc = int(in.c)
			} else {
				sp--
				pc++
			}

		case OpJmpIfTrueOrPop:
			if stack.at(sp-1).n != 0 {
				pc = int(in.c)
			} else {
				sp--
				pc++
			}

		case OpJmpIfNil:
			if stack.at(sp-1).k == KindNil {
				pc = int(in.c)
			} else {
				pc++
			}

		case OpCoalesce:
			if stack.at(sp-1).k != KindNil {
				pc = int(in.c)
			} else {
				sp--
				pc++
			}

		// Collections.
		case OpMakeList, OpMakeRecord:
			m.fresh = nil
			n := int(in.a)
			if err = m.alloc(int64(n)*valueSize + listHeader); err != nil {
				break loop
			}
			if in.op == OpMakeList {
				elems := make([]Value, n)
				copy(elems, stack.slice(sp-n, sp))
				sp -= n
				*stack.at(sp) = Value{k: KindList, p: unsafe.Pointer(&listObj{elems: elems, owner: m, gen: m.gen, room: n})}
			} else {
				elems := m.in.Arena.Values(n)
				copy(elems, stack.slice(sp-n, sp))
				sp -= n
				*stack.at(sp) = NewRecord(elems)
			}
			sp++
			pc++

		case OpListCap:
			c := *stack.at(sp - 1)
			if c.k != KindInt {
				err = badOperands("LIST_CAP", c)
				break loop
			}
			n := min(max(int64(c.n), 0), MaxAlloc) // more is refused, without overflowing
			if err = m.alloc(n*valueSize + listHeader); err != nil {
				break loop
			}
			if budget, err = m.spend(budget, ListCapFuel(n)); err != nil { // it clears them
				break loop
			}
			*stack.at(sp - 1) = Value{k: KindList, p: unsafe.Pointer(m.newList(int(n)))}
			pc++

		case OpMakeMap:
			m.fresh = nil
			n := int(in.a)
			if err = m.alloc(mapBytes(n)); err != nil {
				break loop
			}
			budget -= int64(n)
			kv := m.in.Arena.Values(2 * n)
			keys, vals := kv[:n:n], kv[n:]
			sp -= 2 * n
			for i := range n {
				keys[i] = *stack.at(sp + 2*i)
				vals[i] = *stack.at(sp + 2*i + 1)
			}
			if budget, err = m.spend(budget, MapKeysFuel(keys)); err != nil { // the keys compared or hashed
				break loop
			}
			mo, merr := buildMap(m.in.Arena, keys, vals, m)
			if merr != nil {
				sp += 2 * n
				if e, ok := merr.(*Error); ok { // the deadline's or the context's
					err = e
				} else { // errMapKey
					err = badOperands("MAKE_MAP", badKey(keys))
				}
				break loop
			}
			*stack.at(sp) = Value{k: KindMap, p: unsafe.Pointer(mo)}
			sp++
			pc++

		case OpIndexList:
			l, i := *stack.at(sp - 2), *stack.at(sp - 1)
			if l.k != KindList || i.k != KindInt {
				err = badOperands("INDEX_LIST", l, i)
				break loop
			}
			elems := (*listObj)(l.p).elems
			if i.n >= uint64(len(elems)) {
				err = &Error{Code: CodeIndexOutOfRange,
					Msg: fmt.Sprintf("index %d out of range [0, %d)", int64(i.n), len(elems))}
				break loop
			}
			*stack.at(sp - 2) = elems[i.n]
			sp--
			pc++

		case OpIndexMap:
			mv, k := *stack.at(sp - 2), *stack.at(sp - 1)
			if mv.k != KindMap {
				err = badOperands("INDEX_MAP", mv, k)
				break loop
			}
			mo := (*mapObj)(mv.p)
			var j int
			if f := KeyFuel(k); f > 0 {
				var fuel int64
				j, fuel = mo.findFuel(k, f)
				budget -= fuel
			} else {
				j = mo.find(k)
			}
			if j >= 0 {
				*stack.at(sp - 2) = mo.vals[j]
			} else {
				*stack.at(sp - 2) = Value{}
			}
			sp--
			pc++

		case OpLen:
			x := *stack.at(sp - 1)
			var n int
			switch x.k {
			case KindString, KindRecord:
				n = int(x.n)
			case KindList:
				n = len((*listObj)(x.p).elems)
			case KindMap:
				n = len((*mapObj)(x.p).keys)
			default:
				err = badOperands("LEN", x)
				break loop
			}
			*stack.at(sp - 1) = Value{k: KindInt, n: uint64(n)}
			pc++

		case OpSetMember:
			v := *stack.at(sp - 1)
			budget -= KeyFuel(v)
			*stack.at(sp - 1) = Bool(p.sets[int(in.a)].has(v))
			pc++

		case OpJmpUnlessMember:
			sp--
			v := *stack.at(sp)
			budget -= KeyFuel(v)
			if p.sets[int(in.a)].has(v) {
				pc++
			} else {
				pc = int(in.c)
			}

		case OpInList:
			x, l := *stack.at(sp - 2), *stack.at(sp - 1)
			if l.k != KindList {
				err = badOperands("IN_LIST", x, l)
				break loop
			}
			elems := (*listObj)(l.p).elems
			if budget, err = m.spend(budget, int64(len(elems))>>3); err != nil {
				break loop
			}
			found := false
			if x.k >= KindList || x.k == KindString && strFuel(x.n) > 0 {
				if found, budget, err = m.inListDeep(x, elems, budget); err != nil {
					break loop
				}
			} else {
				for _, e := range elems {
					if Equal(x, e) {
						found = true
						break
					}
				}
			}
			*stack.at(sp - 2) = Bool(found)
			sp--
			pc++

		case OpInMap:
			k, mv := *stack.at(sp - 2), *stack.at(sp - 1)
			if mv.k != KindMap {
				err = badOperands("IN_MAP", k, mv)
				break loop
			}
			mo := (*mapObj)(mv.p)
			var j int
			if f := KeyFuel(k); f > 0 {
				var fuel int64
				j, fuel = mo.findFuel(k, f)
				budget -= fuel
			} else {
				j = mo.find(k)
			}
			*stack.at(sp - 2) = Bool(j >= 0)
			sp--
			pc++

		case OpInStr:
			sub, s := *stack.at(sp - 2), *stack.at(sp - 1)
			if sub.k != KindString || s.k != KindString {
				err = badOperands("IN_STR", sub, s)
				break loop
			}
			if budget, err = m.spend(budget, InStrFuel(s.n, sub.n)); err != nil {
				break loop
			}
			var f Finder
			if f, err = m.finder(sub.str(), s.str()); err != nil {
				break loop
			}
			var i int
			if i, err = m.index(f, s.str()); err != nil {
				break loop
			}
			*stack.at(sp - 2) = Bool(i >= 0)
			sp--
			pc++

		case OpAppend:
			m.fresh = nil
			if budget, err = m.appendTo(stack.at(sp-2), *stack.at(sp - 1), budget); err != nil {
				break loop
			}
			sp--
			pc++

		case OpAppendLocal:
			m.fresh = nil
			sp--
			if budget, err = m.appendTo(stack.at(bp+int(in.a)), *stack.at(sp), budget); err != nil {
				break loop
			}
			pc++

		case OpMapKeys, OpMapValues:
			mv := *stack.at(sp - 1)
			if mv.k != KindMap {
				err = badOperands(in.op.String(), mv)
				break loop
			}
			if err = m.alloc(listHeader); err != nil {
				break loop
			}
			mo := (*mapObj)(mv.p)
			s := mo.keys
			if in.op == OpMapValues {
				s = mo.vals
			}
			// Not owned by the run: APPEND copies before writing.
			*stack.at(sp - 1) = Value{k: KindList, p: unsafe.Pointer(&listObj{elems: s[:len(s):len(s)]})}
			pc++

		case OpForIter, OpForIterLocal, OpNextLocal:
			// The next element of the list in local a: FOR_ITER pushes it,
			// the others store it in local b. FOR_ITER* jump to c when the
			// list is exhausted, NEXT_LOCAL jumps back to c while it is not.
			n := bp + int(in.a)
			l, i := *stack.at(n), *stack.at(n + 1)
			if l.k != KindList {
				err = badOperands(in.op.String(), l)
				break loop
			}
			elems := (*listObj)(l.p).elems
			more := i.n < uint64(len(elems))
			if more {
				if in.op == OpForIter {
					*stack.at(sp) = elems[i.n]
					sp++
				} else {
					*stack.at(bp + int(in.b)) = elems[i.n]
				}
				*stack.at(n + 1) = Value{k: KindInt, n: i.n + 1}
			}
			if more == (in.op == OpNextLocal) {
				pc = int(in.c)
			} else {
				pc++
			}

		case OpNextRange:
			n := bp + int(in.a)
			l, i := *stack.at(n), *stack.at(n + 1)
			if l.k != KindInt {
				err = badOperands(in.op.String(), l)
				break loop
			}
			if int64(i.n) >= int64(l.n) {
				pc++
				break
			}
			*stack.at(bp + int(in.b)) = Value{k: KindInt, n: i.n}
			*stack.at(n + 1) = Value{k: KindInt, n: i.n + 1}
			pc = int(in.c)

		// Calls.
		case OpCall:
			m.fresh = nil
			callee := p.funcs[int(in.a)]
			argc := int(in.b)
			if len(m.frames)+1 >= m.lim.MaxDepth {
				err = &Error{Code: CodeStackOverflow,
					Msg: fmt.Sprintf("stack overflow (call depth limit %d)", m.lim.MaxDepth)}
				break loop
			}
			nbp := sp - argc
			need := nbp + callee.frameSize
			if !m.stackFits(need) {
				err = m.stackError(need)
				break loop
			}
			// The fuel of the locals it clears, before it does: a call
			// that would take the run past its limit fails here.
			if f := CallFuel(callee.numLocals); f > 0 {
				if budget, err = m.spend(budget, f); err != nil {
					break loop
				}
			}
			if need > len(m.stack) {
				if err = m.grow(need); err != nil {
					break loop
				}
				stack = valsOf(m.stack)
			}
			m.hw = max(m.hw, nbp+callee.frameSize)
			m.frames = append(m.frames, frame{fn: fn, pc: pc, bp: bp})
			m.nc++
			for i := sp; i < nbp+callee.numLocals; i++ {
				*stack.at(i) = Value{}
			}
			fn, ins = callee, instrsOf(callee.ins)
			bp, sp, pc = nbp, nbp+callee.numLocals, 0

		case OpReturn:
			res := *stack.at(sp - 1)
			if len(m.frames) == 0 {
				result = res
				break loop
			}
			fr := m.frames[len(m.frames)-1]
			m.frames = m.frames[:len(m.frames)-1]
			sp = bp
			*stack.at(sp) = res
			sp++
			fn, ins, bp, pc = fr.fn, instrsOf(fr.fn.ins), fr.bp, fr.pc+1

		case OpCallBuiltin, OpCallBuiltinTemp:
			b := p.builtins[int(in.a)]
			argc := int(in.b)
			// The builtin charges the reserve: the chunk goes back to it
			// for the call, and what is left of it comes back after, no
			// more, so that the context and the deadline are still
			// checked every CheckEvery instructions in a loop that calls
			// builtins (a fresh chunk per call would never reach refuel).
			left := budget
			m.fuel += budget
			budget = 0
			m.call.b, m.call.steps = b, 0 // Pace counts the steps of this call
			// The first argument may be refined in place when it is the
			// record the builtin just before made (and nothing else holds).
			m.call.reusable = in.op == OpCallBuiltinTemp && argc > 0 && m.fresh != nil &&
				stack.at(sp-argc).k == KindRecord && stack.at(sp-argc).p == m.fresh
			m.fresh = nil
			if !b.Pure {
				m.impure = true
			}
			var res Value
			if err = m.call.Charge(b.Cost); err == nil {
				res, err = b.Fn(&m.call, stack.slice(sp-argc, sp))
			}
			if err != nil {
				err = builtinError(b, err)
				break loop
			}
			budget = min(left, m.fuel)
			m.fuel -= budget
			sp -= argc
			*stack.at(sp) = res
			sp++
			pc++

		case OpFail:
			text, fuel := failText(*stack.at(sp - 1), budget+m.fuel)
			if budget -= fuel; budget < 0 {
				m.fuel += budget // fuel is at most what there is
				budget = 0
			}
			err = &Error{Code: CodeAssertionFailed, Msg: text}
			break loop

		// Test support and instrumentation, never in normal programs: the
		// work is out of line.
		case OpExpectFail:
			n := int(in.a)
			sp -= n + 1
			var fuel int64
			if fuel, err = m.expectFail(*stack.at(sp), stack.slice(sp+1, sp+1+n), *consts.at(int(in.b)), fn, pc, budget+m.fuel); err != nil {
				break loop
			}
			if budget, err = m.spend(budget, fuel); err != nil {
				break loop
			}
			pc++

		case OpCover:
			m.cover(int(in.a))
			pc++

		case OpTrace:
			m.fresh = nil
			m.trace(int(in.a), *stack.at(sp - 1))
			pc++

		default:
			err = &Error{Code: CodeInternal, Msg: fmt.Sprintf("unknown opcode %d", in.op)}
			break loop
		}
	}
	m.fuel += max(budget, 0)
	if err != nil {
		e, ok := err.(*Error)
		if !ok {
			e = &Error{Code: CodeInternal, Msg: err.Error(), Cause: err}
		}
		if e.Stack == nil {
			e.Stack = m.backtrace(fn, pc)
		}
		return Value{}, e
	}
	return result, nil
}

// mulMoneyFloat returns x*f rounded half to even and whether it fits:
// the nanos x times f as written, its shortest decimal form (the one
// string(f) gives, which money(f) reads too), exactly, rounded once at the
// nano (money.Magnitude). So $1 * f is money(f): $1 * 0.0000000035 is
// $0.000000004. It was the product with f's binary value, which rounded
// it the other way where f is a decimal half of a nano: 0.0000000035 is
// 3.4999999999999999e-9, and $1 times it gave $0.000000003. Before, it was
// float64(x) * f rounded, which rounded x past 2^53 nanos (9,007,199
// units) and the product before the half.
//
//go:noinline
func mulMoneyFloat(x int64, f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	if x == 0 || f == 0 {
		return 0, true
	}
	var fb [32]byte
	digits, point, _ := money.Shortest(fb[:0], f)
	var d uint64 // f's digits, at most 17
	for _, c := range digits {
		d = d*10 + uint64(c-'0')
	}
	// x·f in nanos is P·10^(point-nd), P = |x|·d below 2^63·10^17 <
	// 2^120; as an amount of units, P's digits with the point nd+9-point
	// from their end.
	hi, lo := bits.Mul64(arith.Abs(x), d)
	var pb [40]byte
	p := appendUint128(pb[:0], hi, lo)
	q, prob := money.Magnitude(p, len(p)+point-len(digits)-9, true)
	if prob != money.OK {
		return 0, false
	}
	if (x < 0) != (f < 0) {
		if q > 1<<63 {
			return 0, false
		}
		return -int64(q), true // -(1<<63) wraps to itself
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	return int64(q), true
}

// appendUint128 appends the decimal digits of hi:lo, which is below
// 10^19·2^64 (hi below 10^19).
func appendUint128(b []byte, hi, lo uint64) []byte {
	if hi == 0 {
		return strconv.AppendUint(b, lo, 10)
	}
	q, r := bits.Div64(hi, lo, 1e19)
	b = strconv.AppendUint(b, q, 10)
	var d [19]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + r%10)
		r /= 10
	}
	return append(b, d[:]...)
}

// mulMoneyFloatError is the error of MUL_MONEY_FLOAT of x and f whose
// product has no money value: int_overflow, which says so of a NaN
// product (f NaN, or 0 times an infinity) and of one out of the money
// range, infinite or finite, naming both operands as the other
// operations do ("$3.00 * 1e+10 is out of the money range").
func mulMoneyFloatError(x int64, f float64) *Error {
	if !math.IsNaN(float64(x) * f) {
		return overflow(OpMulMoneyFloat, Money(x), Float(f))
	}
	return &Error{Code: CodeIntOverflow, Msg: operation(OpMulMoneyFloat, Money(x), Float(f)) + " is NaN, which has no money value"}
}

// overflow is the int_overflow error of op on x and y (x alone for a
// negation), naming the operation and the range its result is out of:
// "9223372036854775807 + 1 is out of the int range", "-(-$9223372036.854775808)
// is out of the money range". It is made only once the operation fails.
//
//go:noinline
func overflow(op Opcode, x, y Value) *Error {
	return &Error{Code: CodeIntOverflow, Msg: operation(op, x, y) + " is out of the " + resultKind[op].String() + " range"}
}

// divZero is the division_by_zero error of op on x and y: "division by
// zero: 5 / 0", "division by zero: $1.50 / $0.00".
//
//go:noinline
func divZero(op Opcode, x, y Value) *Error {
	return &Error{Code: CodeDivisionByZero, Msg: "division by zero: " + operation(op, x, y)}
}

// operation writes the arithmetic op on x and y as the source would:
// "x + y", a negative right operand in parentheses ("1 - (-2)"), and a
// negation as "-(x)".
func operation(op Opcode, x, y Value) string {
	var sym string
	switch op {
	case OpNegInt, OpNegMoney, OpNegDur:
		return "-(" + x.String() + ")"
	case OpAddInt, OpAddMoney, OpAddDur, OpAddTimeDur:
		sym = " + "
	case OpSubInt, OpSubMoney, OpSubDur, OpSubTimeDur, OpSubTime:
		sym = " - "
	case OpMulInt, OpMulMoneyInt, OpMulDurInt, OpMulMoneyFloat:
		sym = " * "
	case OpModInt:
		sym = " % "
	default: // the divisions
		sym = " / "
	}
	ys := y.String()
	switch {
	case y.k == KindFloat && math.Signbit(y.Float()),
		(y.k == KindInt || y.k == KindMoney || y.k == KindDuration) && int64(y.n) < 0:
		ys = "(" + ys + ")"
	}
	return x.String() + sym + ys
}

func badField(r Value, i int) *Error {
	if r.k != KindRecord {
		return &Error{Code: CodeInternal, Msg: fmt.Sprintf("ill-typed code: field %d of a %s", i, r.k)}
	}
	return &Error{Code: CodeInternal, Msg: fmt.Sprintf("ill-typed code: field %d of a record of %d slots", i, r.n)}
}

func badOperands(op string, vs ...Value) *Error {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.k.String())
	}
	return &Error{Code: CodeInternal, Msg: fmt.Sprintf("ill-typed code: %s on %s", op, b.String())}
}

func builtinError(b *Builtin, err error) *Error {
	if e, ok := err.(*Error); ok {
		c := *e // the builtin may return a shared *Error; the caller adds the stack
		c.Stack = nil
		return &c
	}
	return &Error{Code: CodeBuiltinError, Msg: b.Name + ": " + err.Error(), Cause: err}
}

// appendTo appends x to the list *l: in place when this run made the list
// and it has room (the capacity charged for it), else into a new backing
// array (charged); a list the run does not own is copied first, so
// constants and inputs are never written. A reused list (recycle.go) may
// have more capacity than its room: growth past its room is charged all
// the same, and stays in place when the capacity holds it. It returns the
// fuel of growing the list beyond the instruction's (ListCapFuel of the
// new room, which is cleared), taken from budget before the list grows;
// it returns the budget left.
func (m *Machine) appendTo(l *Value, x Value, budget int64) (int64, error) {
	if l.k != KindList {
		return 0, badOperands("APPEND", *l, x)
	}
	lo := (*listObj)(l.p)
	n := len(lo.elems)
	owned := lo.owner == m && lo.gen == m.gen
	if owned && n < lo.room {
		lo.elems = append(lo.elems, x)
		return budget, nil
	}
	newCap := max(4, 2*n)
	if err := m.alloc(int64(newCap) * valueSize); err != nil {
		return 0, err
	}
	budget, err := m.spend(budget, ListCapFuel(int64(newCap)))
	if err != nil {
		return 0, err
	}
	if owned && newCap <= cap(lo.elems) {
		lo.elems = append(lo.elems, x)
		lo.room = newCap
		return budget, nil
	}
	elems := make([]Value, n+1, newCap)
	copy(elems, lo.elems)
	elems[n] = x
	if owned {
		lo.elems, lo.room = elems, newCap
		return budget, nil
	}
	if err := m.alloc(listHeader); err != nil {
		return 0, err
	}
	*l = Value{k: KindList, p: unsafe.Pointer(&listObj{elems: elems, owner: m, gen: m.gen, room: newCap})}
	return budget, nil
}

// String tests of STR_TEST_CONST and JMP_UNLESS_STR_CONST.
const (
	StrStartsWith = iota
	StrEndsWith
	StrContains
)

// strTest applies the string test op to s and the constant k, and
// returns the fuel it costs beyond its instruction (StrTestFuel).
func (m *Machine) strTest(code Opcode, op int, s, k Value) (bool, int64, error) {
	if s.k != KindString || k.k != KindString {
		return false, 0, badOperands(code.String(), s, k)
	}
	var ok bool
	switch op {
	case StrStartsWith:
		ok = strings.HasPrefix(s.str(), k.str())
	case StrEndsWith:
		ok = strings.HasSuffix(s.str(), k.str())
	case StrContains:
		f, err := m.finder(k.str(), s.str()) // k is a constant: its table is the program's
		if err != nil {
			return false, 0, err
		}
		i, err := m.index(f, s.str())
		if err != nil {
			return false, 0, err
		}
		ok = i >= 0
	default:
		return false, 0, &Error{Code: CodeInternal, Msg: fmt.Sprintf("%s: no string test %d", code, op)}
	}
	return ok, StrTestFuel(op, s.n, k.n), nil
}

// InStrFuel is the fuel of IN_STR beyond its instruction, searching an
// sLen-byte string for a subLen-byte one: 1 per 16 bytes of both, as
// contains charges (the builtin, and STR_TEST_CONST's: StrTestFuel). It
// was 1 per 64 bytes of the string searched, at which a search for a
// pattern of 64 bytes or more (Knuth–Morris–Pratt, Finder) took 100 ns a
// fuel, and one of 63 bytes almost found at every byte 50.
func InStrFuel(sLen, subLen uint64) int64 { return int64((sLen + subLen) >> 4) }

// StrTestFuel is the fuel of the string test op (STR_TEST_CONST,
// JMP_UNLESS_STR_CONST) of an sLen-byte string against a kLen-byte
// constant beyond its instruction: what the builtin it stands for
// (starts_with, ends_with, contains) would charge. With sLen 0, it is
// what the static cost bound counts.
func StrTestFuel(op int, sLen, kLen uint64) int64 {
	if op == StrContains {
		return 1 + int64((sLen+kLen)>>4)
	}
	return int64(kLen >> 4)
}
