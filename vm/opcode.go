package vm

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Opcode is one bytecode instruction. An instruction is the opcode byte
// followed by its operands, little-endian: 2 bytes each, except jump targets
// (4 bytes, an absolute offset into the function's code).
//
// The table opcodeTable below is the single source of truth for every
// opcode: its name, operands, stack effect and stack picture. The verifier,
// the disassembler, the assembler and the encoder all derive from it.
type Opcode uint8

// The opcodes. The stack pictures (before ; after, top of stack on the
// right) are in opcodeTable.
const (
	OpNop Opcode = iota
	OpPop
	OpDup
	OpSwap
	OpConst
	OpNil
	OpTrue
	OpFalse
	OpLoadLocal
	OpStoreLocal
	OpField
	OpLocalField

	OpAddInt
	OpSubInt
	OpMulInt
	OpDivInt
	OpModInt
	OpNegInt
	OpAddFloat
	OpSubFloat
	OpMulFloat
	OpDivFloat
	OpNegFloat
	OpAddMoney
	OpSubMoney
	OpNegMoney
	OpMulMoneyInt
	OpDivMoneyInt
	OpMulMoneyFloat
	OpDivMoney
	OpAddDur
	OpSubDur
	OpNegDur
	OpMulDurInt
	OpDivDurInt
	OpDivDur
	OpAddTimeDur
	OpSubTimeDur
	OpSubTime
	OpConcat
	OpIntToFloat

	OpEq
	OpNe
	OpLtInt
	OpLeInt
	OpGtInt
	OpGeInt
	OpLtFloat
	OpLeFloat
	OpGtFloat
	OpGeFloat
	OpLtStr
	OpLeStr
	OpGtStr
	OpGeStr
	OpNot
	OpIsNil

	OpJmp
	OpJmpIfFalse
	OpJmpIfTrue
	OpJmpIfFalseOrPop
	OpJmpIfTrueOrPop
	OpJmpIfNil
	OpCoalesce

	OpMakeList
	OpMakeMap
	OpMakeRecord
	OpIndexList
	OpIndexMap
	OpLen
	OpSetMember
	OpInList
	OpInMap
	OpInStr
	OpAppend
	OpMapKeys
	OpMapValues
	OpForIter

	OpCall
	OpCallBuiltin
	OpReturn
	OpFail

	// Superinstructions.
	OpEqConst
	OpNeConst
	OpLtIntConst
	OpLeIntConst
	OpGtIntConst
	OpGeIntConst
	OpLocalFieldSetMember

	// Test support and instrumentation: emitted only in test blocks and in
	// programs compiled with coverage or tracing (see probes.go).
	OpExpectFail
	OpCover
	OpTrace

	// Lists built by lowered map and filter.
	OpListCap

	// Superinstructions for rule conditions: a nested field read, and
	// comparisons with a constant fused with the jump of an if.
	OpLocalField2
	OpJmpIfNeConst
	OpJmpIfEqConst
	OpJmpUnlessIntConst

	// Loops of the lowered higher-order builtins.
	OpForIterLocal
	OpAppendLocal

	// Bottom-tested loops (the compiler's current form: one dispatch
	// fewer per element than FOR_ITER_LOCAL … JMP), over a list and over
	// range(n) without making the list.
	OpNextLocal
	OpNextRange

	// String tests against a constant (starts_with, ends_with, contains
	// with a literal), as a value and fused with a condition's jump.
	OpStrTestConst
	OpJmpUnlessStrConst

	// Membership in a constant set fused with a condition's jump.
	OpJmpUnlessMember

	// CALL_BUILTIN whose first argument is the value the instruction
	// before it left: the direct result of a builtin call (Call.Reusable).
	OpCallBuiltinTemp

	// The comparison of lowered min_by and max_by on float keys: the
	// order of sort (Compare), where NaN orders first, not IEEE's.
	OpBeforeFloat
	OpAfterFloat

	// The comparison of lowered min_by and max_by on keys that neither the
	// int-like, string nor float comparisons order (enums, optionals,
	// lists, maps, records): Compare, as sort, charged as EQ.
	OpBefore
	OpAfter

	numOpcodes
)

// OperandKind says what an operand indexes or means.
type OperandKind uint8

// Operand kinds. All are 2 bytes wide except ArgJump (4 bytes).
const (
	ArgConst   OperandKind = iota + 1 // index into Constants
	ArgLocal                          // local variable slot of the current function
	ArgSlot                           // record field slot
	ArgCount                          // element count (MAKE_*)
	ArgFunc                           // index into Functions
	ArgArgc                           // number of call arguments
	ArgBuiltin                        // index into Builtins
	ArgSet                            // index into Sets
	ArgJump                           // absolute code offset in the function
)

func (k OperandKind) width() int {
	if k == ArgJump {
		return 4
	}
	return 2
}

var operandKindNames = [...]string{
	ArgConst: "const", ArgLocal: "local", ArgSlot: "slot", ArgCount: "count",
	ArgFunc: "func", ArgArgc: "argc", ArgBuiltin: "builtin", ArgSet: "set", ArgJump: "jump",
}

func (k OperandKind) String() string {
	if int(k) < len(operandKindNames) && operandKindNames[k] != "" {
		return operandKindNames[k]
	}
	return "operand(" + strconv.Itoa(int(k)) + ")"
}

// Flags of an opcode.
const (
	flagBranch   = 1 << iota // may jump to its ArgJump operand
	flagNoFall               // never falls through (JMP, RETURN, FAIL)
	flagVarCount             // pops countMul × (value of operand countArg) more
)

// OpInfo describes an opcode. Stack effect: on fall-through the instruction
// pops Pop values (plus CountMul × the value of operand CountArg for
// variable-count instructions) and pushes Push; when it jumps, it pops
// JumpPop and pushes JumpPush instead.
type OpInfo struct {
	Name     string
	Operands []OperandKind
	Pop      int
	Push     int
	JumpPop  int
	JumpPush int
	CountArg int // operand index holding a count (flagVarCount)
	CountMul int
	Picture  string // stack picture: before ; after
	// Result is the kind of the value a checked int64 arithmetic
	// instruction (ADD_INT … SUB_TIME, the int64 ones) pushes; KindNil
	// for every other instruction. The interpreter tags its results with
	// it (resultKind).
	Result Kind
	flags  uint8
}

// Size returns the encoded size of the instruction in bytes.
func (o *OpInfo) Size() int {
	n := 1
	for _, k := range o.Operands {
		n += k.width()
	}
	return n
}

// Branches reports whether the instruction may jump.
func (o *OpInfo) Branches() bool { return o.flags&flagBranch != 0 }

// FallsThrough reports whether execution may continue at the next
// instruction.
func (o *OpInfo) FallsThrough() bool { return o.flags&flagNoFall == 0 }

func op(name, picture string, pop, push int, operands ...OperandKind) OpInfo {
	return OpInfo{Name: name, Picture: picture, Pop: pop, Push: push, Operands: operands}
}

func jop(name, picture string, pop, push, jpop, jpush int, operands ...OperandKind) OpInfo {
	o := op(name, picture, pop, push, operands...)
	o.JumpPop, o.JumpPush = jpop, jpush
	o.flags |= flagBranch
	return o
}

func varop(name, picture string, pop, push, countArg, mul int, operands ...OperandKind) OpInfo {
	o := op(name, picture, pop, push, operands...)
	o.CountArg, o.CountMul = countArg, mul
	o.flags |= flagVarCount
	return o
}

func nofall(o OpInfo) OpInfo { o.flags |= flagNoFall; return o }

// iop is an op of checked int64 arithmetic whose result is of kind k.
func iop(name, picture string, pop int, k Kind) OpInfo {
	o := op(name, picture, pop, 1)
	o.Result = k
	return o
}

// opcodeTable is the single source of truth. "Int-like" means Int,
// Duration, Money or Time: they share the int64 representation, so the
// _INT comparisons order all four.
var opcodeTable = [numOpcodes]OpInfo{
	OpNop:        op("NOP", "- ; -", 0, 0),
	OpPop:        op("POP", "x ; -", 1, 0),
	OpDup:        op("DUP", "x ; x x", 1, 2),
	OpSwap:       op("SWAP", "x y ; y x", 2, 2),
	OpConst:      op("CONST", "- ; constants[k]", 0, 1, ArgConst),
	OpNil:        op("NIL", "- ; none", 0, 1),
	OpTrue:       op("TRUE", "- ; true", 0, 1),
	OpFalse:      op("FALSE", "- ; false", 0, 1),
	OpLoadLocal:  op("LOAD_LOCAL", "- ; locals[n]", 0, 1, ArgLocal),
	OpStoreLocal: op("STORE_LOCAL", "x ; -   (locals[n] = x)", 1, 0, ArgLocal),
	OpField:      op("FIELD", "record ; record.slots[s]", 1, 1, ArgSlot),
	OpLocalField: op("LOCAL_FIELD", "- ; locals[n].slots[s]", 0, 1, ArgLocal, ArgSlot),

	OpAddInt:        iop("ADD_INT", "x y ; x+y   (int_overflow)", 2, KindInt),
	OpSubInt:        iop("SUB_INT", "x y ; x-y   (int_overflow)", 2, KindInt),
	OpMulInt:        iop("MUL_INT", "x y ; x*y   (int_overflow)", 2, KindInt),
	OpDivInt:        iop("DIV_INT", "x y ; x/y   truncated (division_by_zero, int_overflow)", 2, KindInt),
	OpModInt:        iop("MOD_INT", "x y ; x%y   sign of x (division_by_zero)", 2, KindInt),
	OpNegInt:        iop("NEG_INT", "x ; -x   (int_overflow)", 1, KindInt),
	OpAddFloat:      op("ADD_FLOAT", "x y ; x+y", 2, 1),
	OpSubFloat:      op("SUB_FLOAT", "x y ; x-y", 2, 1),
	OpMulFloat:      op("MUL_FLOAT", "x y ; x*y", 2, 1),
	OpDivFloat:      op("DIV_FLOAT", "x y ; x/y   (division_by_zero if y == 0)", 2, 1),
	OpNegFloat:      op("NEG_FLOAT", "x ; -x", 1, 1),
	OpAddMoney:      iop("ADD_MONEY", "money money ; money   (int_overflow)", 2, KindMoney),
	OpSubMoney:      iop("SUB_MONEY", "money money ; money   (int_overflow)", 2, KindMoney),
	OpNegMoney:      iop("NEG_MONEY", "money ; money   (int_overflow)", 1, KindMoney),
	OpMulMoneyInt:   iop("MUL_MONEY_INT", "money int ; money   (int_overflow)", 2, KindMoney),
	OpDivMoneyInt:   iop("DIV_MONEY_INT", "money int ; money   rounded half to even (division_by_zero, int_overflow)", 2, KindMoney),
	OpMulMoneyFloat: iop("MUL_MONEY_FLOAT", "money float ; money   rounded half to even (int_overflow)", 2, KindMoney),
	OpDivMoney:      op("DIV_MONEY", "money money ; float   ratio, rounded once (division_by_zero)", 2, 1),
	OpAddDur:        iop("ADD_DUR", "dur dur ; dur   (int_overflow)", 2, KindDuration),
	OpSubDur:        iop("SUB_DUR", "dur dur ; dur   (int_overflow)", 2, KindDuration),
	OpNegDur:        iop("NEG_DUR", "dur ; dur   (int_overflow)", 1, KindDuration),
	OpMulDurInt:     iop("MUL_DUR_INT", "dur int ; dur   (int_overflow)", 2, KindDuration),
	OpDivDurInt:     iop("DIV_DUR_INT", "dur int ; dur   truncated (division_by_zero, int_overflow)", 2, KindDuration),
	OpDivDur:        op("DIV_DUR", "dur dur ; float   ratio, rounded once (division_by_zero)", 2, 1),
	OpAddTimeDur:    iop("ADD_TIME_DUR", "time dur ; time   (int_overflow)", 2, KindTime),
	OpSubTimeDur:    iop("SUB_TIME_DUR", "time dur ; time   (int_overflow)", 2, KindTime),
	OpSubTime:       iop("SUB_TIME", "time time ; dur   (int_overflow)", 2, KindDuration),
	OpConcat:        op("CONCAT", "string string ; string   (memory)", 2, 1),
	OpIntToFloat:    op("INT_TO_FLOAT", "int ; float", 1, 1),

	OpEq:      op("EQ", "x y ; x==y   deep equality", 2, 1),
	OpNe:      op("NE", "x y ; x!=y   deep equality", 2, 1),
	OpLtInt:   op("LT_INT", "x y ; x<y   int-like", 2, 1),
	OpLeInt:   op("LE_INT", "x y ; x<=y   int-like", 2, 1),
	OpGtInt:   op("GT_INT", "x y ; x>y   int-like", 2, 1),
	OpGeInt:   op("GE_INT", "x y ; x>=y   int-like", 2, 1),
	OpLtFloat: op("LT_FLOAT", "x y ; x<y", 2, 1),
	OpLeFloat: op("LE_FLOAT", "x y ; x<=y", 2, 1),
	OpGtFloat: op("GT_FLOAT", "x y ; x>y", 2, 1),
	OpGeFloat: op("GE_FLOAT", "x y ; x>=y", 2, 1),
	OpLtStr:   op("LT_STR", "x y ; x<y   bytewise", 2, 1),
	OpLeStr:   op("LE_STR", "x y ; x<=y   bytewise", 2, 1),
	OpGtStr:   op("GT_STR", "x y ; x>y   bytewise", 2, 1),
	OpGeStr:   op("GE_STR", "x y ; x>=y   bytewise", 2, 1),
	OpNot:     op("NOT", "bool ; !bool", 1, 1),
	OpIsNil:   op("IS_NIL", "x ; x==none", 1, 1),

	OpJmp:             nofall(jop("JMP", "- ; -   goto t", 0, 0, 0, 0, ArgJump)),
	OpJmpIfFalse:      jop("JMP_IF_FALSE", "cond ; -   goto t if !cond", 1, 0, 1, 0, ArgJump),
	OpJmpIfTrue:       jop("JMP_IF_TRUE", "cond ; -   goto t if cond", 1, 0, 1, 0, ArgJump),
	OpJmpIfFalseOrPop: jop("JMP_IF_FALSE_OR_POP", "cond ; cond (goto t if !cond) | - (else)   for &&", 1, 0, 0, 0, ArgJump),
	OpJmpIfTrueOrPop:  jop("JMP_IF_TRUE_OR_POP", "cond ; cond (goto t if cond) | - (else)   for ||", 1, 0, 0, 0, ArgJump),
	OpJmpIfNil:        jop("JMP_IF_NIL", "x ; x   goto t if x is none   for ?.", 1, 1, 1, 1, ArgJump),
	OpCoalesce:        jop("COALESCE", "x ; x (goto t if x is not none) | - (else)   for ??", 1, 0, 0, 0, ArgJump),

	OpMakeList:   varop("MAKE_LIST", "x1 … xn ; [x1, …, xn]   (memory)", 0, 1, 0, 1, ArgCount),
	OpMakeMap:    varop("MAKE_MAP", "k1 v1 … kn vn ; {k1: v1, …}   (memory; keys string or int)", 0, 1, 0, 2, ArgCount),
	OpMakeRecord: varop("MAKE_RECORD", "x1 … xn ; {x1, …, xn}   (memory)", 0, 1, 0, 1, ArgCount),
	OpIndexList:  op("INDEX_LIST", "list i ; list[i]   (index_out_of_range)", 2, 1),
	OpIndexMap:   op("INDEX_MAP", "map k ; map[k] | none", 2, 1),
	OpLen:        op("LEN", "x ; len(x)   string bytes, list, map, record", 1, 1),
	OpSetMember:  op("SET_MEMBER", "x ; x in sets[s]", 1, 1, ArgSet),
	OpInList:     op("IN_LIST", "x list ; x in list", 2, 1),
	OpInMap:      op("IN_MAP", "k map ; k in map", 2, 1),
	OpInStr:      op("IN_STR", "sub s ; s contains sub", 2, 1),
	OpAppend:     op("APPEND", "list x ; list+[x]   in place on a list made by this run (memory)", 2, 1),
	OpMapKeys:    op("MAP_KEYS", "map ; [keys]   insertion order", 1, 1),
	OpMapValues:  op("MAP_VALUES", "map ; [values]   insertion order", 1, 1),
	OpForIter:    jop("FOR_ITER", "- ; locals[n][locals[n+1]++] | - (goto t when done)", 0, 1, 0, 0, ArgLocal, ArgJump),

	OpCall:        varop("CALL", "a1 … an ; f(a1, …, an)   (stack_overflow)", 0, 1, 1, 1, ArgFunc, ArgArgc),
	OpCallBuiltin: varop("CALL_BUILTIN", "a1 … an ; b(a1, …, an)   (builtin_error, …)", 0, 1, 1, 1, ArgBuiltin, ArgArgc),
	OpReturn:      nofall(op("RETURN", "x ; -   return x", 1, 0)),
	OpFail:        nofall(op("FAIL", "msg ; -   raise assertion_failed(msg)", 1, 0)),

	OpEqConst:             op("EQ_CONST", "x ; x==constants[k]", 1, 1, ArgConst),
	OpNeConst:             op("NE_CONST", "x ; x!=constants[k]", 1, 1, ArgConst),
	OpLtIntConst:          op("LT_INT_CONST", "x ; x<constants[k]   int-like", 1, 1, ArgConst),
	OpLeIntConst:          op("LE_INT_CONST", "x ; x<=constants[k]   int-like", 1, 1, ArgConst),
	OpGtIntConst:          op("GT_INT_CONST", "x ; x>constants[k]   int-like", 1, 1, ArgConst),
	OpGeIntConst:          op("GE_INT_CONST", "x ; x>=constants[k]   int-like", 1, 1, ArgConst),
	OpLocalFieldSetMember: op("LOCAL_FIELD_SET_MEMBER", "- ; locals[n].slots[s] in sets[m]", 0, 1, ArgLocal, ArgSlot, ArgSet),

	OpExpectFail: varop("EXPECT_FAIL", "msg x1 … xn ; -   record assertion_failed(msg: expected constants[k] xn, got x1) and go on", 1, 0, 0, 1, ArgCount, ArgConst),
	OpCover:      op("COVER", "- ; -   probes.Counts[n]++", 0, 0, ArgCount),
	OpTrace:      op("TRACE", "x ; x   append (n, x) to probes.Trace", 1, 1, ArgCount),

	OpListCap: op("LIST_CAP", "n ; []   an empty list with room for n elements (none if n < 0), owned by the run (memory)", 1, 1),

	OpLocalField2:       op("LOCAL_FIELD2", "- ; locals[n].slots[s].slots[t]", 0, 1, ArgLocal, ArgSlot, ArgSlot),
	OpJmpIfNeConst:      jop("JMP_IF_NE_CONST", "x ; -   goto t if x != constants[k]", 1, 0, 1, 0, ArgConst, ArgJump),
	OpJmpIfEqConst:      jop("JMP_IF_EQ_CONST", "x ; -   goto t if x == constants[k]", 1, 0, 1, 0, ArgConst, ArgJump),
	OpForIterLocal:      jop("FOR_ITER_LOCAL", "- ; -   locals[x] = locals[n][locals[n+1]++] | goto t when done", 0, 0, 0, 0, ArgLocal, ArgLocal, ArgJump),
	OpNextLocal:         jop("NEXT_LOCAL", "- ; -   locals[x] = locals[n][locals[n+1]++], goto t | - when done", 0, 0, 0, 0, ArgLocal, ArgLocal, ArgJump),
	OpNextRange:         jop("NEXT_RANGE", "- ; -   locals[x] = locals[n+1]++, goto t while locals[n+1] < locals[n] (an int) | - when done", 0, 0, 0, 0, ArgLocal, ArgLocal, ArgJump),
	OpStrTestConst:      op("STR_TEST_CONST", "s ; s op constants[k]   op by c: 0 starts_with, 1 ends_with, 2 contains (fuel)", 1, 1, ArgCount, ArgConst),
	OpJmpUnlessStrConst: jop("JMP_UNLESS_STR_CONST", "s ; -   goto t unless s op constants[k], op by c as STR_TEST_CONST", 1, 0, 1, 0, ArgCount, ArgConst, ArgJump),
	OpCallBuiltinTemp:   varop("CALL_BUILTIN_TEMP", "a1 … an ; b(a1, …, an)   as CALL_BUILTIN; a1 comes straight from the builtin call before", 0, 1, 1, 1, ArgBuiltin, ArgArgc),
	OpJmpUnlessMember:   jop("JMP_UNLESS_MEMBER", "x ; -   goto t unless x in sets[s]", 1, 0, 1, 0, ArgSet, ArgJump),
	OpAppendLocal:       op("APPEND_LOCAL", "x ; -   locals[n] = locals[n]+[x], in place on a list made by this run (memory)", 1, 0, ArgLocal),
	OpJmpUnlessIntConst: jop("JMP_UNLESS_INT_CONST", "x ; -   goto t unless x op constants[k], op by c: 0 <, 1 <=, 2 >, 3 >=   int-like", 1, 0, 1, 0, ArgCount, ArgConst, ArgJump),
	OpBeforeFloat:       op("BEFORE_FLOAT", "x y ; x orders before y   floats in the order of sort: x<y, or x is NaN and y is not", 2, 1),
	OpAfterFloat:        op("AFTER_FLOAT", "x y ; y orders before x   as BEFORE_FLOAT", 2, 1),
	OpBefore:            op("BEFORE", "x y ; x orders before y   any values, in the order of sort; deep", 2, 1),
	OpAfter:             op("AFTER", "x y ; y orders before x   as BEFORE", 2, 1),
}

// iterates reports whether op is a loop instruction whose first operand n
// names a pair of locals: the list (or range limit) and the position.
func (op Opcode) iterates() bool {
	switch op {
	case OpForIter, OpForIterLocal, OpNextLocal, OpNextRange:
		return true
	}
	return false
}

// resultKind is OpInfo.Result by opcode byte, for the interpreter: 256
// entries, so that indexing with an Opcode needs no bounds check.
var resultKind = func() (t [256]Kind) {
	for op := range opcodeTable {
		t[op] = opcodeTable[op].Result
	}
	return t
}()

// Info returns the table entry of op, or nil if op is not a known opcode.
func (op Opcode) Info() *OpInfo {
	if op >= numOpcodes {
		return nil
	}
	return &opcodeTable[op]
}

func (op Opcode) String() string {
	if op < numOpcodes {
		return opcodeTable[op].Name
	}
	return "OP(" + strconv.Itoa(int(op)) + ")"
}

// Opcodes returns every opcode, in numeric order.
func Opcodes() []Opcode {
	ops := make([]Opcode, numOpcodes)
	for i := range ops {
		ops[i] = Opcode(i)
	}
	return ops
}

// OpcodeByName returns the opcode named name (as in the table: "ADD_INT").
func OpcodeByName(name string) (Opcode, bool) {
	for i := range opcodeTable {
		if opcodeTable[i].Name == name {
			return Opcode(i), true
		}
	}
	return 0, false
}

// readOperand decodes operand i of the instruction at code[pc:], which
// must have been bounds-checked (by the verifier's decoder).
func readOperands(code []byte, pc int, info *OpInfo, out *[3]uint32) {
	off := pc + 1
	for i, k := range info.Operands {
		if k == ArgJump {
			out[i] = binary.LittleEndian.Uint32(code[off:])
		} else {
			out[i] = uint32(binary.LittleEndian.Uint16(code[off:]))
		}
		off += k.width()
	}
}

// Since is the format version that introduced op (spec/bytecode.md §4):
// an encoded program of an older version may not use it, so that a
// reader of that version refuses a newer program by its version rather
// than by an unknown opcode.
func (op Opcode) Since() int {
	switch op {
	case OpBeforeFloat, OpAfterFloat, OpBefore, OpAfter:
		return 3
	}
	return MinFormatVersion
}

// Instr is one instruction for the assembler.
type Instr struct {
	Op   Opcode
	Args []int
}

// I makes an Instr.
func I(op Opcode, args ...int) Instr { return Instr{Op: op, Args: args} }

// Asm encodes instructions into code. Jump operands are absolute byte
// offsets; use Label and the label form of Asm (AsmLabels) to compute them.
func Asm(instrs ...Instr) ([]byte, error) {
	var code []byte
	for _, in := range instrs {
		var err error
		code, err = appendInstr(code, in)
		if err != nil {
			return nil, err
		}
	}
	return code, nil
}

// MustAsm is Asm that panics on error, for tests and static tables.
func MustAsm(instrs ...Instr) []byte {
	code, err := Asm(instrs...)
	if err != nil {
		panic(err)
	}
	return code
}

func appendInstr(code []byte, in Instr) ([]byte, error) {
	info := in.Op.Info()
	if info == nil {
		return nil, fmt.Errorf("asm: unknown opcode %d", in.Op)
	}
	if len(in.Args) != len(info.Operands) {
		return nil, fmt.Errorf("asm: %s takes %d operands, got %d", info.Name, len(info.Operands), len(in.Args))
	}
	code = append(code, byte(in.Op))
	for i, k := range info.Operands {
		a := in.Args[i]
		if k == ArgJump {
			if a < 0 || int64(a) > 0xFFFFFFFF {
				return nil, fmt.Errorf("asm: %s: jump operand %d out of range", info.Name, a)
			}
			code = binary.LittleEndian.AppendUint32(code, uint32(a))
		} else {
			if a < 0 || a > MaxOperand {
				return nil, fmt.Errorf("asm: %s: operand %d out of range", info.Name, a)
			}
			code = binary.LittleEndian.AppendUint16(code, uint16(a))
		}
	}
	return code, nil
}

// Assembler builds code with symbolic labels, for tests and simple code
// generators: Emit appends an instruction, Label marks the current offset,
// and jump operands given as JumpTo(label) are patched by Code.
type Assembler struct {
	code   []byte
	labels map[string]int
	fixups []fixup
	err    error
}

type fixup struct {
	at    int
	label string
}

// Label is a jump operand that refers to a label; pass it in Emit's args
// as JumpTo("name").
const labelBase = -1 << 40

// JumpTo returns a placeholder operand that Assembler.Code resolves to the
// offset of label.
func (a *Assembler) JumpTo(label string) int {
	a.fixups = append(a.fixups, fixup{at: -1, label: label})
	return labelBase - (len(a.fixups) - 1)
}

// Label marks the current code offset as label.
func (a *Assembler) Label(name string) {
	if a.labels == nil {
		a.labels = make(map[string]int)
	}
	a.labels[name] = len(a.code)
}

// PC returns the current code offset.
func (a *Assembler) PC() int { return len(a.code) }

// Emit appends one instruction.
func (a *Assembler) Emit(op Opcode, args ...int) {
	if a.err != nil {
		return
	}
	info := op.Info()
	if info == nil {
		a.err = fmt.Errorf("asm: unknown opcode %d", op)
		return
	}
	args = append([]int(nil), args...)
	off := len(a.code) + 1
	for i, k := range info.Operands {
		if i < len(args) && args[i] <= labelBase {
			a.fixups[labelBase-args[i]].at = off
			args[i] = 0
		}
		off += k.width()
	}
	a.code, a.err = appendInstr(a.code, Instr{Op: op, Args: args})
}

// Code returns the assembled code with labels resolved.
func (a *Assembler) Code() ([]byte, error) {
	if a.err != nil {
		return nil, a.err
	}
	for _, f := range a.fixups {
		t, ok := a.labels[f.label]
		if !ok {
			return nil, fmt.Errorf("asm: undefined label %q", f.label)
		}
		if f.at >= 0 {
			binary.LittleEndian.PutUint32(a.code[f.at:], uint32(t))
		}
	}
	return a.code, nil
}
