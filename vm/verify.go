package vm

import (
	"fmt"
	"slices"
)

// InvalidProgramError reports a program rejected by the verifier or the
// decoder. Where names the section, function and code offset or byte
// offset at fault.
type InvalidProgramError struct {
	Where string
	Msg   string
}

func (e *InvalidProgramError) Error() string {
	return "invalid program: " + e.Where + ": " + e.Msg
}

// MaxStackDepth is the deepest operand stack the verifier lets a
// function need.
const MaxStackDepth = 1 << 16

// StackTooDeepError is the verifier's refusal of a function whose operand
// stack would grow deeper than MaxStackDepth: the instruction at PC of
// function Func (named Name) pushes past it, Depth being the deepest the
// stack would get. A compiler reports it at that instruction's source
// position: code that nests literals or calls with that many elements or
// arguments.
type StackTooDeepError struct {
	Func, PC, Depth int
	Name            string
}

func (e *StackTooDeepError) Error() string {
	return fmt.Sprintf("invalid program: function %d %q pc %d: stack too deep (%d)", e.Func, e.Name, e.PC, e.Depth)
}

func verifyErrorf(where, format string, args ...any) error {
	return &InvalidProgramError{Where: where, Msg: fmt.Sprintf(format, args...)}
}

// verifyFunc checks function fi and computes its max stack depth.
//
// Guarantees established for the interpreter: every instruction is a known
// opcode with all its operand bytes present; every constant, local,
// function, builtin and set index is in range; calls pass the callee's
// parameter count and a builtin's accepted arity; every jump targets an
// instruction boundary; the operand stack never underflows and has the same
// height on every path into an instruction; no path runs off the end of the
// code. Value kinds are not tracked: the interpreter checks the kind of every
// value it dereferences, so ill-typed code fails with an internal error
// instead of misbehaving.
func (p *Program) verifyFunc(fi int, spec *FunctionSpec) error {
	f := p.funcs[fi]
	where := func(pc int) string {
		if pc < 0 {
			return fmt.Sprintf("function %d %q", fi, f.name)
		}
		return fmt.Sprintf("function %d %q pc %d", fi, f.name, pc)
	}
	code := f.code
	if f.numParams < 0 || f.numLocals < f.numParams || f.numLocals > MaxLocals {
		return verifyErrorf(where(-1), "bad parameter/local counts %d/%d", f.numParams, f.numLocals)
	}
	if len(code) == 0 {
		return verifyErrorf(where(-1), "empty code")
	}
	if len(code) > MaxCodeSize {
		return verifyErrorf(where(-1), "code too large (%d bytes)", len(code))
	}
	for i := 1; i < len(f.lines); i++ {
		if f.lines[i].PC < f.lines[i-1].PC {
			return verifyErrorf(where(-1), "line table not sorted at entry %d", i)
		}
	}

	// Pass 1: decode every instruction once, check its operands and note
	// where instructions start (index: code offset → instruction, or -1).
	index := make([]int32, len(code))
	for i := range index {
		index[i] = -1
	}
	var ins []instr
	var offs []uint32
	var calls []int32
	var args [3]uint32
	for pc := 0; pc < len(code); {
		op := Opcode(code[pc])
		info := op.Info()
		if info == nil {
			return verifyErrorf(where(pc), "unknown opcode %d", code[pc])
		}
		size := info.Size()
		if pc+size > len(code) {
			return verifyErrorf(where(pc), "%s: truncated operands", info.Name)
		}
		index[pc] = int32(len(ins))
		readOperands(code, pc, info, &args)
		in := instr{op: op}
		var nonJump int
		for i, k := range info.Operands {
			switch {
			case k == ArgJump:
				in.c = args[i] // a code offset for now
			case nonJump == 0:
				in.a = uint16(args[i])
			case nonJump == 1:
				in.b = uint16(args[i])
			default:
				in.c = args[i]
			}
			if k != ArgJump {
				nonJump++
			}
		}
		ins = append(ins, in)
		offs = append(offs, uint32(pc))
		for i, k := range info.Operands {
			a := int(args[i])
			var bad bool
			switch k {
			case ArgConst:
				bad = a >= len(p.consts)
			case ArgLocal:
				bad = a >= f.numLocals || (i == 0 && op.iterates() && a+1 >= f.numLocals)
			case ArgFunc:
				// Every operand that names a function is an edge of the
				// call graph (funcCode.calls), whatever its opcode: the
				// reach of an entry (MakesRecordsFrom) follows them all.
				bad = a >= len(p.funcs)
				if !bad {
					calls = append(calls, int32(a))
				}
			case ArgBuiltin:
				bad = a >= len(p.builtins)
			case ArgSet:
				bad = a >= len(p.sets)
			case ArgArgc:
				switch op {
				case OpCall:
					if callee := p.funcs[args[0]]; a != callee.numParams {
						return verifyErrorf(where(pc), "CALL %q with %d arguments, want %d", callee.name, a, callee.numParams)
					}
				case OpCallBuiltin, OpCallBuiltinTemp:
					b := p.builtins[args[0]]
					if a < b.MinArgs || (b.MaxArgs >= 0 && a > b.MaxArgs) {
						return verifyErrorf(where(pc), "CALL_BUILTIN %q with %d arguments, want %s", b.Name, a, b.arity())
					}
				}
			}
			if bad {
				return verifyErrorf(where(pc), "%s: %s operand %d out of range", info.Name, k, a)
			}
		}
		// Selector operands: a comparison (0 <, 1 <=, 2 >, 3 >=) or a
		// string test (StrStartsWith … StrContains).
		switch op {
		case OpJmpUnlessIntConst:
			if args[0] > 3 {
				return verifyErrorf(where(pc), "%s: comparison %d out of range (0 to 3)", info.Name, args[0])
			}
		case OpStrTestConst, OpJmpUnlessStrConst:
			if args[0] > StrContains {
				return verifyErrorf(where(pc), "%s: string test %d out of range (0 to %d)", info.Name, args[0], StrContains)
			}
		}
		pc += size
	}

	// Every jump, reachable or not, must target an instruction; its
	// operand becomes the index of that instruction.
	for i := range ins {
		if ins[i].op.Info().Branches() {
			t := ins[i].c
			if t >= uint32(len(code)) || index[t] < 0 {
				return verifyErrorf(where(int(offs[i])), "jump target %d is not an instruction", t)
			}
			ins[i].c = uint32(index[t])
		}
	}

	// Pass 2: stack heights by abstract interpretation over the CFG of
	// the decoded instructions.
	height := make([]int32, len(ins))
	for i := range height {
		height[i] = -1
	}
	maxStack, deep := 0, -1 // deep: the pc of an instruction pushing past MaxStackDepth
	work := []int{0}
	height[0] = 0
	merge := func(to, h int) error {
		switch height[to] {
		case -1:
			height[to] = int32(h)
			work = append(work, to)
		case int32(h):
		default:
			return verifyErrorf(where(int(offs[to])), "inconsistent stack height: %d or %d", height[to], h)
		}
		return nil
	}
	for len(work) > 0 {
		i := work[len(work)-1]
		work = work[:len(work)-1]
		h := int(height[i])
		in := &ins[i]
		info := in.op.Info()
		pc := int(offs[i])
		pop := info.Pop
		if info.flags&flagVarCount != 0 {
			// The count is operand 0 or 1, decoded into a or b (no
			// variable-count instruction has a jump operand:
			// TestVarCountOperands).
			count := in.a
			if info.CountArg == 1 {
				count = in.b
			}
			pop += info.CountMul * int(count)
		}
		if info.FallsThrough() {
			if h < pop {
				return verifyErrorf(where(pc), "%s: stack underflow (height %d, pops %d)", info.Name, h, pop)
			}
			nh := h - pop + info.Push
			maxStack = max(maxStack, nh)
			if nh > MaxStackDepth && deep < 0 {
				deep = pc
			}
			if i+1 >= len(ins) {
				return verifyErrorf(where(pc), "%s: execution runs off the end of the code", info.Name)
			}
			if err := merge(i+1, nh); err != nil {
				return err
			}
		}
		if info.Branches() || !info.FallsThrough() {
			jpop, jpush := info.JumpPop, info.JumpPush
			if !info.FallsThrough() {
				jpop = info.Pop
			}
			if h < jpop {
				return verifyErrorf(where(pc), "%s: stack underflow (height %d, pops %d)", info.Name, h, jpop)
			}
			if info.Branches() {
				nh := h - jpop + jpush
				maxStack = max(maxStack, nh)
				if nh > MaxStackDepth && deep < 0 {
					deep = pc
				}
				if err := merge(int(in.c), nh); err != nil {
					return err
				}
			}
		}
	}
	if spec.MaxStack != 0 && spec.MaxStack < maxStack {
		return verifyErrorf(where(-1), "declared MaxStack %d < computed %d", spec.MaxStack, maxStack)
	}
	if maxStack > MaxStackDepth {
		return &StackTooDeepError{Func: fi, PC: max(deep, 0), Depth: maxStack, Name: f.name}
	}
	f.ins, f.offs = ins, offs
	slices.Sort(calls)
	f.calls = slices.Compact(calls)
	f.maxStack = maxStack
	f.frameSize = f.numLocals + maxStack
	return nil
}
