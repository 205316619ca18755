package vm

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"strings"
	"unsafe"
)

// Instruction sizes (opcode byte plus operands).
const (
	sz0    = 1     // no operands
	sz1    = 1 + 2 // one 2-byte operand
	sz2    = 1 + 4 // two 2-byte operands
	sz3    = 1 + 6 // three 2-byte operands
	szJ    = 1 + 4 // a jump target
	szLJ   = 1 + 6 // a local and a jump target
	szCall = sz2
)

func u16(code []byte, i int) int {
	_ = code[i+1]
	return int(code[i]) | int(code[i+1])<<8
}

func u32(code []byte, i int) int {
	_ = code[i+3]
	return int(uint32(code[i]) | uint32(code[i+1])<<8 | uint32(code[i+2])<<16 | uint32(code[i+3])<<24)
}

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
	defer func() {
		if r := recover(); r != nil {
			// Last line of defence: a bug in the VM or a builtin must not take
			// the process down. The position of the failure is unknown.
			buf := make([]byte, 2048)
			buf = buf[:runtime.Stack(buf, false)]
			result = Value{}
			err = &Error{Code: CodeInternal, Msg: fmt.Sprintf("internal error: %v", r),
				Stack: m.backtrace(fn, -1), Cause: fmt.Errorf("panic: %v\n%s", r, buf)}
		}
	}()

	stack := m.stack
	consts := p.consts
	code := fn.code
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
		switch Opcode(code[pc]) {
		case OpNop:
			pc += sz0

		case OpPop:
			sp--
			pc += sz0

		case OpDup:
			stack[sp] = stack[sp-1]
			sp++
			pc += sz0

		case OpSwap:
			stack[sp-2], stack[sp-1] = stack[sp-1], stack[sp-2]
			pc += sz0

		case OpConst:
			stack[sp] = consts[u16(code, pc+1)]
			sp++
			pc += sz1

		case OpNil:
			stack[sp] = Value{}
			sp++
			pc += sz0

		case OpTrue:
			stack[sp] = Value{k: KindBool, n: 1}
			sp++
			pc += sz0

		case OpFalse:
			stack[sp] = Value{k: KindBool}
			sp++
			pc += sz0

		case OpLoadLocal:
			stack[sp] = stack[bp+u16(code, pc+1)]
			sp++
			pc += sz1

		case OpStoreLocal:
			sp--
			stack[bp+u16(code, pc+1)] = stack[sp]
			pc += sz1

		case OpField:
			r := stack[sp-1]
			i := u16(code, pc+1)
			if r.k != KindRecord || uint64(i) >= r.n {
				err = badField(r, i)
				break loop
			}
			stack[sp-1] = slot(r, i)
			pc += sz1

		case OpLocalField:
			r := stack[bp+u16(code, pc+1)]
			i := u16(code, pc+3)
			if r.k != KindRecord || uint64(i) >= r.n {
				err = badField(r, i)
				break loop
			}
			stack[sp] = slot(r, i)
			sp++
			pc += sz2

		// Int arithmetic, checked.
		case OpAddInt, OpAddMoney, OpAddDur, OpAddTimeDur:
			x, y := int64(stack[sp-2].n), int64(stack[sp-1].n)
			s := x + y
			if (x^s)&(y^s) < 0 {
				err = overflow()
				break loop
			}
			stack[sp-2] = Value{k: addKind[Opcode(code[pc])-OpAddInt], n: uint64(s)}
			sp--
			pc += sz0

		case OpSubInt, OpSubMoney, OpSubDur, OpSubTimeDur, OpSubTime:
			x, y := int64(stack[sp-2].n), int64(stack[sp-1].n)
			d := x - y
			if (x^y)&(x^d) < 0 {
				err = overflow()
				break loop
			}
			stack[sp-2] = Value{k: subKind(Opcode(code[pc])), n: uint64(d)}
			sp--
			pc += sz0

		case OpMulInt, OpMulMoneyInt, OpMulDurInt:
			x, y := int64(stack[sp-2].n), int64(stack[sp-1].n)
			prod, ok := mul64(x, y)
			if !ok {
				err = overflow()
				break loop
			}
			stack[sp-2] = Value{k: mulKind(Opcode(code[pc])), n: uint64(prod)}
			sp--
			pc += sz0

		case OpDivInt, OpDivDurInt:
			x, y := int64(stack[sp-2].n), int64(stack[sp-1].n)
			if y == 0 {
				err = divZero()
				break loop
			}
			if y == -1 && x == math.MinInt64 {
				err = overflow()
				break loop
			}
			k := KindInt
			if Opcode(code[pc]) == OpDivDurInt {
				k = KindDuration
			}
			stack[sp-2] = Value{k: k, n: uint64(x / y)}
			sp--
			pc += sz0

		case OpModInt:
			x, y := int64(stack[sp-2].n), int64(stack[sp-1].n)
			if y == 0 {
				err = divZero()
				break loop
			}
			var r int64
			if y != -1 {
				r = x % y
			}
			stack[sp-2] = Value{k: KindInt, n: uint64(r)}
			sp--
			pc += sz0

		case OpNegInt, OpNegMoney, OpNegDur:
			x := int64(stack[sp-1].n)
			if x == math.MinInt64 {
				err = overflow()
				break loop
			}
			k := KindInt
			switch Opcode(code[pc]) {
			case OpNegMoney:
				k = KindMoney
			case OpNegDur:
				k = KindDuration
			}
			stack[sp-1] = Value{k: k, n: uint64(-x)}
			pc += sz0

		case OpDivMoneyInt:
			x, y := int64(stack[sp-2].n), int64(stack[sp-1].n)
			if y == 0 {
				err = divZero()
				break loop
			}
			q, ok := divRoundHalfEven(x, y)
			if !ok {
				err = overflow()
				break loop
			}
			stack[sp-2] = Value{k: KindMoney, n: uint64(q)}
			sp--
			pc += sz0

		case OpMulMoneyFloat:
			f := float64(int64(stack[sp-2].n)) * math.Float64frombits(stack[sp-1].n)
			f = math.RoundToEven(f)
			if !(f >= -0x1p63 && f < 0x1p63) { // also NaN
				err = overflow()
				break loop
			}
			stack[sp-2] = Value{k: KindMoney, n: uint64(int64(f))}
			sp--
			pc += sz0

		case OpDivMoney, OpDivDur:
			x, y := int64(stack[sp-2].n), int64(stack[sp-1].n)
			if y == 0 {
				err = divZero()
				break loop
			}
			stack[sp-2] = Float(float64(x) / float64(y))
			sp--
			pc += sz0

		// Float arithmetic.
		case OpAddFloat:
			stack[sp-2] = Float(math.Float64frombits(stack[sp-2].n) + math.Float64frombits(stack[sp-1].n))
			sp--
			pc += sz0

		case OpSubFloat:
			stack[sp-2] = Float(math.Float64frombits(stack[sp-2].n) - math.Float64frombits(stack[sp-1].n))
			sp--
			pc += sz0

		case OpMulFloat:
			stack[sp-2] = Float(math.Float64frombits(stack[sp-2].n) * math.Float64frombits(stack[sp-1].n))
			sp--
			pc += sz0

		case OpDivFloat:
			y := math.Float64frombits(stack[sp-1].n)
			if y == 0 {
				err = divZero()
				break loop
			}
			stack[sp-2] = Float(math.Float64frombits(stack[sp-2].n) / y)
			sp--
			pc += sz0

		case OpNegFloat:
			stack[sp-1] = Float(-math.Float64frombits(stack[sp-1].n))
			pc += sz0

		case OpIntToFloat:
			stack[sp-1] = Float(float64(int64(stack[sp-1].n)))
			pc += sz0

		case OpConcat:
			x, y := stack[sp-2], stack[sp-1]
			if x.k != KindString || y.k != KindString {
				err = badOperands("CONCAT", x, y)
				break loop
			}
			n := int64(x.n + y.n)
			if n > 0 && x.n > 0 && y.n > 0 {
				if err = m.alloc(n + strHeader); err != nil {
					break loop
				}
				budget -= n >> 6
			}
			stack[sp-2] = Str(x.str() + y.str())
			sp--
			pc += sz0

		// Comparisons.
		case OpEq:
			stack[sp-2] = Bool(Equal(stack[sp-2], stack[sp-1]))
			sp--
			pc += sz0

		case OpNe:
			stack[sp-2] = Bool(!Equal(stack[sp-2], stack[sp-1]))
			sp--
			pc += sz0

		case OpLtInt:
			stack[sp-2] = Bool(int64(stack[sp-2].n) < int64(stack[sp-1].n))
			sp--
			pc += sz0

		case OpLeInt:
			stack[sp-2] = Bool(int64(stack[sp-2].n) <= int64(stack[sp-1].n))
			sp--
			pc += sz0

		case OpGtInt:
			stack[sp-2] = Bool(int64(stack[sp-2].n) > int64(stack[sp-1].n))
			sp--
			pc += sz0

		case OpGeInt:
			stack[sp-2] = Bool(int64(stack[sp-2].n) >= int64(stack[sp-1].n))
			sp--
			pc += sz0

		case OpLtFloat:
			stack[sp-2] = Bool(math.Float64frombits(stack[sp-2].n) < math.Float64frombits(stack[sp-1].n))
			sp--
			pc += sz0

		case OpLeFloat:
			stack[sp-2] = Bool(math.Float64frombits(stack[sp-2].n) <= math.Float64frombits(stack[sp-1].n))
			sp--
			pc += sz0

		case OpGtFloat:
			stack[sp-2] = Bool(math.Float64frombits(stack[sp-2].n) > math.Float64frombits(stack[sp-1].n))
			sp--
			pc += sz0

		case OpGeFloat:
			stack[sp-2] = Bool(math.Float64frombits(stack[sp-2].n) >= math.Float64frombits(stack[sp-1].n))
			sp--
			pc += sz0

		case OpLtStr, OpLeStr, OpGtStr, OpGeStr:
			x, y := stack[sp-2], stack[sp-1]
			if x.k != KindString || y.k != KindString {
				err = badOperands(Opcode(code[pc]).String(), x, y)
				break loop
			}
			c := strings.Compare(x.str(), y.str())
			var b bool
			switch Opcode(code[pc]) {
			case OpLtStr:
				b = c < 0
			case OpLeStr:
				b = c <= 0
			case OpGtStr:
				b = c > 0
			default:
				b = c >= 0
			}
			stack[sp-2] = Bool(b)
			sp--
			pc += sz0

		case OpNot:
			stack[sp-1] = Bool(stack[sp-1].n == 0)
			pc += sz0

		case OpIsNil:
			stack[sp-1] = Bool(stack[sp-1].k == KindNil)
			pc += sz0

		// Superinstructions: compare with a constant.
		case OpEqConst:
			stack[sp-1] = Bool(Equal(stack[sp-1], consts[u16(code, pc+1)]))
			pc += sz1

		case OpNeConst:
			stack[sp-1] = Bool(!Equal(stack[sp-1], consts[u16(code, pc+1)]))
			pc += sz1

		case OpLtIntConst:
			stack[sp-1] = Bool(int64(stack[sp-1].n) < int64(consts[u16(code, pc+1)].n))
			pc += sz1

		case OpLeIntConst:
			stack[sp-1] = Bool(int64(stack[sp-1].n) <= int64(consts[u16(code, pc+1)].n))
			pc += sz1

		case OpGtIntConst:
			stack[sp-1] = Bool(int64(stack[sp-1].n) > int64(consts[u16(code, pc+1)].n))
			pc += sz1

		case OpGeIntConst:
			stack[sp-1] = Bool(int64(stack[sp-1].n) >= int64(consts[u16(code, pc+1)].n))
			pc += sz1

		// Jumps.
		case OpJmp:
			pc = u32(code, pc+1)

		case OpJmpIfFalse:
			sp--
			if stack[sp].n == 0 {
				pc = u32(code, pc+1)
			} else {
				pc += szJ
			}

		case OpJmpIfTrue:
			sp--
			if stack[sp].n != 0 {
				pc = u32(code, pc+1)
			} else {
				pc += szJ
			}

		case OpJmpIfFalseOrPop:
			if stack[sp-1].n == 0 {
				pc = u32(code, pc+1)
			} else {
				sp--
				pc += szJ
			}

		case OpJmpIfTrueOrPop:
			if stack[sp-1].n != 0 {
				pc = u32(code, pc+1)
			} else {
				sp--
				pc += szJ
			}

		case OpJmpIfNil:
			if stack[sp-1].k == KindNil {
				pc = u32(code, pc+1)
			} else {
				pc += szJ
			}

		case OpCoalesce:
			if stack[sp-1].k != KindNil {
				pc = u32(code, pc+1)
			} else {
				sp--
				pc += szJ
			}

		// Collections.
		case OpMakeList, OpMakeRecord:
			n := u16(code, pc+1)
			if err = m.alloc(int64(n)*valueSize + listHeader); err != nil {
				break loop
			}
			elems := make([]Value, n)
			copy(elems, stack[sp-n:sp])
			sp -= n
			if Opcode(code[pc]) == OpMakeList {
				stack[sp] = Value{k: KindList, p: unsafe.Pointer(&listObj{elems: elems, owner: m, gen: m.gen})}
			} else {
				stack[sp] = NewRecord(elems)
			}
			sp++
			pc += sz1

		case OpMakeMap:
			n := u16(code, pc+1)
			if err = m.alloc(mapBytes(n)); err != nil {
				break loop
			}
			budget -= int64(n)
			keys := make([]Value, n)
			vals := make([]Value, n)
			sp -= 2 * n
			for i := range n {
				keys[i] = stack[sp+2*i]
				vals[i] = stack[sp+2*i+1]
			}
			mo, merr := buildMap(keys, vals)
			if merr != nil {
				sp += 2 * n
				err = &Error{Code: CodeInternal, Msg: "MAKE_MAP: " + merr.Error()}
				break loop
			}
			stack[sp] = Value{k: KindMap, p: unsafe.Pointer(mo)}
			sp++
			pc += sz1

		case OpIndexList:
			l, i := stack[sp-2], stack[sp-1]
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
			stack[sp-2] = elems[i.n]
			sp--
			pc += sz0

		case OpIndexMap:
			mv, k := stack[sp-2], stack[sp-1]
			if mv.k != KindMap {
				err = badOperands("INDEX_MAP", mv, k)
				break loop
			}
			mo := (*mapObj)(mv.p)
			if j := mo.find(k); j >= 0 {
				stack[sp-2] = mo.vals[j]
			} else {
				stack[sp-2] = Value{}
			}
			sp--
			pc += sz0

		case OpLen:
			x := stack[sp-1]
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
			stack[sp-1] = Value{k: KindInt, n: uint64(n)}
			pc += sz0

		case OpSetMember:
			stack[sp-1] = Bool(p.sets[u16(code, pc+1)].has(stack[sp-1]))
			pc += sz1

		case OpLocalFieldSetMember:
			r := stack[bp+u16(code, pc+1)]
			i := u16(code, pc+3)
			if r.k != KindRecord || uint64(i) >= r.n {
				err = badField(r, i)
				break loop
			}
			stack[sp] = Bool(p.sets[u16(code, pc+5)].has(slot(r, i)))
			sp++
			pc += sz3

		case OpInList:
			x, l := stack[sp-2], stack[sp-1]
			if l.k != KindList {
				err = badOperands("IN_LIST", x, l)
				break loop
			}
			elems := (*listObj)(l.p).elems
			budget -= int64(len(elems)) >> 3
			found := false
			for _, e := range elems {
				if Equal(x, e) {
					found = true
					break
				}
			}
			stack[sp-2] = Bool(found)
			sp--
			pc += sz0

		case OpInMap:
			k, mv := stack[sp-2], stack[sp-1]
			if mv.k != KindMap {
				err = badOperands("IN_MAP", k, mv)
				break loop
			}
			stack[sp-2] = Bool((*mapObj)(mv.p).find(k) >= 0)
			sp--
			pc += sz0

		case OpInStr:
			sub, s := stack[sp-2], stack[sp-1]
			if sub.k != KindString || s.k != KindString {
				err = badOperands("IN_STR", sub, s)
				break loop
			}
			budget -= int64(s.n) >> 6
			stack[sp-2] = Bool(strings.Contains(s.str(), sub.str()))
			sp--
			pc += sz0

		case OpAppend:
			l, x := stack[sp-2], stack[sp-1]
			if l.k != KindList {
				err = badOperands("APPEND", l, x)
				break loop
			}
			lo := (*listObj)(l.p)
			n := len(lo.elems)
			if lo.owner == m && lo.gen == m.gen && n < cap(lo.elems) {
				lo.elems = append(lo.elems, x)
			} else {
				newCap := max(4, 2*n)
				if err = m.alloc(int64(newCap) * valueSize); err != nil {
					break loop
				}
				elems := make([]Value, n+1, newCap)
				copy(elems, lo.elems)
				elems[n] = x
				if lo.owner == m && lo.gen == m.gen {
					lo.elems = elems
				} else {
					if err = m.alloc(listHeader); err != nil {
						break loop
					}
					stack[sp-2] = Value{k: KindList, p: unsafe.Pointer(&listObj{elems: elems, owner: m, gen: m.gen})}
				}
			}
			sp--
			pc += sz0

		case OpMapKeys, OpMapValues:
			mv := stack[sp-1]
			if mv.k != KindMap {
				err = badOperands(Opcode(code[pc]).String(), mv)
				break loop
			}
			if err = m.alloc(listHeader); err != nil {
				break loop
			}
			mo := (*mapObj)(mv.p)
			s := mo.keys
			if Opcode(code[pc]) == OpMapValues {
				s = mo.vals
			}
			// Not owned by the run: APPEND copies before writing.
			stack[sp-1] = Value{k: KindList, p: unsafe.Pointer(&listObj{elems: s[:len(s):len(s)]})}
			pc += sz0

		case OpForIter:
			n := bp + u16(code, pc+1)
			l, i := stack[n], stack[n+1]
			if l.k != KindList {
				err = badOperands("FOR_ITER", l)
				break loop
			}
			elems := (*listObj)(l.p).elems
			if i.n >= uint64(len(elems)) {
				pc = u32(code, pc+3)
				break
			}
			stack[sp] = elems[i.n]
			sp++
			stack[n+1] = Value{k: KindInt, n: i.n + 1}
			pc += szLJ

		// Calls.
		case OpCall:
			callee := p.funcs[u16(code, pc+1)]
			argc := u16(code, pc+3)
			if len(m.frames)+1 >= m.lim.MaxDepth {
				err = &Error{Code: CodeStackOverflow,
					Msg: fmt.Sprintf("stack overflow (call depth limit %d)", m.lim.MaxDepth)}
				break loop
			}
			nbp := sp - argc
			if need := nbp + callee.frameSize; need > len(stack) {
				if err = m.grow(need); err != nil {
					break loop
				}
				stack = m.stack
			}
			m.hw = max(m.hw, nbp+callee.frameSize)
			m.frames = append(m.frames, frame{fn: fn, pc: pc, bp: bp})
			m.nc++
			clear(stack[sp : nbp+callee.numLocals])
			fn, code = callee, callee.code
			bp, sp, pc = nbp, nbp+callee.numLocals, 0

		case OpReturn:
			res := stack[sp-1]
			if len(m.frames) == 0 {
				result = res
				break loop
			}
			fr := m.frames[len(m.frames)-1]
			m.frames = m.frames[:len(m.frames)-1]
			sp = bp
			stack[sp] = res
			sp++
			fn, code, bp, pc = fr.fn, fr.fn.code, fr.bp, fr.pc+szCall

		case OpCallBuiltin:
			b := p.builtins[u16(code, pc+1)]
			argc := u16(code, pc+3)
			m.fuel += budget
			budget = 0
			m.call.b = b
			var res Value
			if err = m.call.Charge(b.Cost); err == nil {
				res, err = b.Fn(&m.call, stack[sp-argc:sp:sp])
			}
			if err != nil {
				err = builtinError(b, err)
				break loop
			}
			budget = m.takeFuel()
			sp -= argc
			stack[sp] = res
			sp++
			pc += szCall

		case OpFail:
			msg := stack[sp-1]
			text := "assertion failed"
			if msg.k == KindString {
				text = msg.str()
			} else if msg.k != KindNil {
				text = msg.String()
			}
			err = &Error{Code: CodeAssertionFailed, Msg: text}
			break loop

		default:
			err = &Error{Code: CodeInternal, Msg: fmt.Sprintf("unknown opcode %d", code[pc])}
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

var addKind = [...]Kind{
	OpAddInt - OpAddInt:     KindInt,
	OpAddMoney - OpAddInt:   KindMoney,
	OpAddDur - OpAddInt:     KindDuration,
	OpAddTimeDur - OpAddInt: KindTime,
}

func subKind(op Opcode) Kind {
	switch op {
	case OpSubMoney:
		return KindMoney
	case OpSubDur, OpSubTime:
		return KindDuration
	case OpSubTimeDur:
		return KindTime
	}
	return KindInt
}

func mulKind(op Opcode) Kind {
	switch op {
	case OpMulMoneyInt:
		return KindMoney
	case OpMulDurInt:
		return KindDuration
	}
	return KindInt
}

// mul64 returns x*y and whether it did not overflow.
func mul64(x, y int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(abs64(x)), uint64(abs64(y)))
	neg := (x < 0) != (y < 0)
	if hi != 0 {
		return 0, false
	}
	if neg {
		if lo > 1<<63 {
			return 0, false
		}
		return -int64(lo), true
	}
	if lo >= 1<<63 {
		return 0, false
	}
	return int64(lo), true
}

// abs64 returns |x| as a uint64-compatible bit pattern (|MinInt64| = 1<<63).
func abs64(x int64) uint64 {
	if x < 0 {
		return uint64(-x)
	}
	return uint64(x)
}

// divRoundHalfEven returns x/y rounded to the nearest integer, ties to even.
func divRoundHalfEven(x, y int64) (int64, bool) {
	if y == -1 && x == math.MinInt64 {
		return 0, false
	}
	q, r := x/y, x%y
	if r == 0 {
		return q, true
	}
	ar, ay := abs64(r), abs64(y)
	if 2*ar > ay || (2*ar == ay && q&1 != 0) {
		if (x < 0) != (y < 0) {
			q--
		} else {
			q++
		}
	}
	return q, true
}

func overflow() *Error { return &Error{Code: CodeIntOverflow, Msg: "integer overflow"} }

func divZero() *Error { return &Error{Code: CodeDivisionByZero, Msg: "division by zero"} }

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
