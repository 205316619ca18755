package vm

import (
	"fmt"
	"slices"
	"sort"
	"unsafe"
)

// ProgramSpec is the plain-data form of a program, built by the compiler
// (or by the decoder) and turned into a verified *Program by NewProgram.
type ProgramSpec struct {
	// Functions, addressed by index from CALL and from Entries.
	Functions []FunctionSpec
	// Constants, addressed by CONST and the *_CONST superinstructions. Any
	// kind of value is allowed (lists, maps and records nest).
	Constants []Value
	// Sets are constant sets for SET_MEMBER: each is all strings or all
	// ints.
	Sets []SetSpec
	// Builtins are the names of the builtins CALL_BUILTIN refers to by
	// index; NewProgram resolves them against a BuiltinTable.
	Builtins []string
	// Entries maps entry-point names (such as "route") to function indexes.
	Entries map[string]int
	// MinVersion is the oldest format version the program needs beyond
	// what its instructions and inline tables need (SpecVersion): 4 for a
	// program that passes a builtin more arguments than a reader of
	// version 3 knows (string's shape); 0 otherwise.
	MinVersion int
}

// FunctionSpec is one function of a ProgramSpec.
type FunctionSpec struct {
	Name string
	File string // source file name, for positions
	// NumParams is the number of parameters; they are locals 0..NumParams-1.
	NumParams int
	// NumLocals is the number of local slots, parameters included.
	NumLocals int
	// Code is the bytecode (see Opcode and spec/bytecode.md).
	Code []byte
	// Lines maps code offsets to source positions: entry i covers the
	// instructions from Lines[i].PC up to Lines[i+1].PC. Sorted by PC.
	Lines []LineEntry
	// Inlined records the calls the compiler inlined into this function:
	// each covers the code of the callee's body, so that an error's call
	// stack names the callee and the call site as if it had been called.
	// Sorted by Start, an enclosing entry before those it contains; entries
	// nest or are disjoint. Only errors read it.
	Inlined []InlineEntry
	// MaxStack is the operand stack depth the function needs. Optional:
	// the verifier computes it; if non-zero it must not be smaller than the
	// computed depth.
	MaxStack int
}

// LineEntry is one row of a function's pc → source position table.
type LineEntry struct {
	PC   uint32
	Line uint32
	Col  uint32
}

// InlineEntry is one inlined call: the code offsets [Start, End) are the
// body of Func, a function of the same file, called at Line:Col of the
// enclosing function (or of the enclosing inlined call).
type InlineEntry struct {
	Start, End uint32
	Func       string
	Line, Col  uint32
}

// checkInlined verifies a function's inline table: non-empty ranges within
// the code, named, sorted by start and properly nested.
func checkInlined(name string, codeLen int, inl []InlineEntry) error {
	var open []InlineEntry // enclosing ranges, innermost last
	for i, e := range inl {
		where := fmt.Sprintf("function %q inline entry %d", name, i)
		if e.Start >= e.End || int64(e.End) > int64(codeLen) || e.Func == "" {
			return verifyErrorf(where, "range [%d, %d) of %q outside code of %d bytes or empty", e.Start, e.End, e.Func, codeLen)
		}
		if i > 0 && e.Start < inl[i-1].Start {
			return verifyErrorf(where, "not sorted by start")
		}
		for len(open) > 0 && open[len(open)-1].End <= e.Start {
			open = open[:len(open)-1]
		}
		if n := len(open); n > 0 && e.End > open[n-1].End {
			return verifyErrorf(where, "range [%d, %d) overlaps [%d, %d) without nesting", e.Start, e.End, open[n-1].Start, open[n-1].End)
		}
		open = append(open, e)
	}
	return nil
}

// inlineChains sets f.inner and f.parent from f's inline table, which
// checkInlined has found sorted by start and nested, and its verified
// instructions: one sweep of both, with the stack of the entries open at
// each instruction.
func (f *funcCode) inlineChains() {
	inl := f.inlined
	if len(inl) == 0 {
		return
	}
	f.inner, f.parent = make([]int32, len(f.offs)), make([]int32, len(inl))
	var open []int32 // the entries holding the offset reached, innermost last
	top := func() int32 {
		if len(open) == 0 {
			return -1
		}
		return open[len(open)-1]
	}
	// closeTo drops the open entries that end at or before off.
	closeTo := func(off uint32) {
		for len(open) > 0 && inl[open[len(open)-1]].End <= off {
			open = open[:len(open)-1]
		}
	}
	k := 0
	for i, off := range f.offs {
		for ; k < len(inl) && inl[k].Start <= off; k++ {
			closeTo(inl[k].Start)
			f.parent[k] = top()
			open = append(open, int32(k))
		}
		closeTo(off)
		f.inner[i] = top()
	}
	for ; k < len(inl); k++ { // starting within the last instruction: holding none
		closeTo(inl[k].Start)
		f.parent[k] = top()
		open = append(open, int32(k))
	}
}

// prepareConsts is consts with each map in them prepared by prep
// (BuiltinTable.SetMapPreparer): a copy of each map body that prep
// returns something for, and of the lists, records and maps that hold
// one. The spec's values are not written: another program, or another
// NewProgram, may share them.
func prepareConsts(consts []Value, prep func(Map) any) []Value {
	if out, ok := prepareElems(consts, prep); ok {
		return out
	}
	return consts
}

// prepareElems is es with its values prepared (prepareConst), a copy,
// and true when one changed.
func prepareElems(es []Value, prep func(Map) any) ([]Value, bool) {
	var out []Value
	for i, e := range es {
		if pe, ok := prepareConst(e, prep); ok {
			if out == nil {
				out = slices.Clone(es)
			}
			out[i] = pe
		}
	}
	return out, out != nil
}

// prepareConst is v with its maps prepared (prepareConsts), and whether
// that is a new value. v is a verified constant: checkConst bounds its
// depth.
func prepareConst(v Value, prep func(Map) any) (Value, bool) {
	switch v.k {
	case KindList:
		if es, ok := prepareElems(v.List(), prep); ok {
			return NewList(es), true
		}
	case KindRecord:
		if es, ok := prepareElems(v.Record(), prep); ok {
			return NewRecord(es), true
		}
	case KindMap:
		m := *(*mapObj)(v.p)
		vals, changed := prepareElems(m.vals, prep)
		if changed {
			m.vals = vals
		}
		if m.prep = prep(Map{&m}); m.prep != nil || changed {
			return Value{k: KindMap, p: unsafe.Pointer(&m)}, true
		}
	}
	return v, false
}

// SetSpec is a constant set: every element a string or every element an
// int. Duplicates are allowed.
type SetSpec struct {
	Elems []Value
}

// Program is a verified, immutable program. It is safe for concurrent use
// by any number of Machines.
type Program struct {
	funcs    []*funcCode
	consts   []Value
	sets     []*constSet
	setSpecs []SetSpec
	bnames   []string
	builtins []*Builtin
	entries  map[string]int
	names    []string // entry names, sorted
	version  int      // ProgramSpec.MinVersion
	// The sizes of the records its MAKE_RECORD instructions build
	// (MakesRecords).
	records recordSizes
	// The tables of searches for its long string constants (finder).
	patterns patternTables
}

// recordSizes is a set of record sizes: a bit per size below 64, and the
// others in a list.
type recordSizes struct {
	small uint64
	big   []int
}

func (s *recordSizes) add(n int) {
	if uint(n) < 64 {
		s.small |= 1 << n
	} else if !slices.Contains(s.big, n) {
		s.big = append(s.big, n)
	}
}

func (s *recordSizes) has(n int) bool {
	if uint(n) < 64 {
		return s.small&(1<<n) != 0
	}
	return slices.Contains(s.big, n)
}

// funcCode is the run-time form of a function.
type funcCode struct {
	name      string
	file      string
	code      []byte
	lines     []LineEntry
	inlined   []InlineEntry
	numParams int
	numLocals int
	maxStack  int
	frameSize int // numLocals + maxStack

	// calls are the functions its instructions name (CALL), sorted,
	// each once: the edges of the call graph.
	calls []int32
	// makes are the sizes of the records its own MAKE_RECORD
	// instructions build (MakesRecordsFrom).
	makes recordSizes

	// The verified code, decoded for the interpreter: one instr per
	// instruction, jump targets as instruction indexes; offs[i] is the code
	// offset of instruction i (for positions).
	ins  []instr
	offs []uint32

	// inner[i] is the innermost entry of inlined whose range holds
	// instruction i, -1 for none, and parent[e] the entry whose range
	// holds entry e's, -1 for none (inlineChains); nil without inlined
	// calls.
	inner, parent []int32
}

// instr is a decoded instruction. Operands other than a jump target fill
// a, b, c in order; a jump target (an instruction index) is in c.
type instr struct {
	op   Opcode
	a, b uint16
	c    uint32
}

// pos returns the source position of instruction index i.
func (f *funcCode) pos(i int) (line, col int) {
	if i < 0 || i >= len(f.offs) {
		return 0, 0
	}
	return f.position(int(f.offs[i]))
}

// Limits on program shape, enforced by the verifier.
const (
	MaxFunctions  = 1 << 16
	MaxConstants  = 1 << 16
	MaxOperand    = 0xFFFF // the largest operand but a jump's
	MaxLocals     = 1 << 15
	MaxCodeSize   = 1 << 28
	MaxConstDepth = 32 // how deep a constant's values may nest
)

// NewProgram verifies spec and returns the program. Builtin names are
// resolved against builtins (which may be nil if the program calls none).
// The program keeps references to spec's slices; the caller must not modify
// them afterwards.
func NewProgram(spec *ProgramSpec, builtins *BuiltinTable) (*Program, error) {
	p := &Program{consts: spec.Constants, bnames: spec.Builtins, setSpecs: spec.Sets, version: spec.MinVersion}
	if spec.MinVersion < 0 || spec.MinVersion > FormatVersion {
		// MarshalBinary would write a version Load refuses.
		return nil, verifyErrorf("program", "format version %d (this writer writes versions %d to %d)", spec.MinVersion, MinFormatVersion, FormatVersion)
	}
	if len(spec.Functions) == 0 {
		return nil, verifyErrorf("program", "no functions")
	}
	if len(spec.Functions) > MaxFunctions {
		return nil, verifyErrorf("program", "%d functions (max %d)", len(spec.Functions), MaxFunctions)
	}
	if len(spec.Constants) > MaxConstants {
		return nil, verifyErrorf("constants", "%d constants (max %d)", len(spec.Constants), MaxConstants)
	}
	var patterns patternCollector
	for i, c := range spec.Constants {
		if err := checkConst(c, 0, patterns.add); err != nil {
			return nil, verifyErrorf(fmt.Sprintf("constant %d", i), "%v", err)
		}
	}
	if builtins != nil && builtins.prep != nil {
		p.consts = prepareConsts(spec.Constants, builtins.prep)
	}
	if len(spec.Sets) > 1<<16 || len(spec.Builtins) > 1<<16 {
		return nil, verifyErrorf("program", "too many sets or builtins")
	}
	for i, s := range spec.Sets {
		cs, err := buildSet(s)
		if err != nil {
			return nil, verifyErrorf(fmt.Sprintf("set %d", i), "%v", err)
		}
		p.sets = append(p.sets, cs)
	}
	for i, name := range spec.Builtins {
		b := builtins.lookup(name)
		if b == nil {
			return nil, verifyErrorf(fmt.Sprintf("builtin %d", i), "unknown builtin %q", name)
		}
		p.builtins = append(p.builtins, b)
	}
	p.funcs = make([]*funcCode, len(spec.Functions))
	for i := range spec.Functions {
		f := &spec.Functions[i]
		p.funcs[i] = &funcCode{
			name: f.Name, file: f.File, code: f.Code, lines: f.Lines, inlined: f.Inlined,
			numParams: f.NumParams, numLocals: f.NumLocals,
		}
	}
	// The inline tables first: spec/bytecode.md §4 refuses a bad one
	// before the code is verified.
	for i := range spec.Functions {
		if f := &spec.Functions[i]; len(f.Inlined) > 0 {
			if err := checkInlined(f.Name, len(f.Code), f.Inlined); err != nil {
				return nil, err
			}
		}
	}
	for i := range spec.Functions {
		if err := p.verifyFunc(i, &spec.Functions[i]); err != nil {
			return nil, err
		}
		p.noteRecords(p.funcs[i])
		p.funcs[i].inlineChains()
	}
	if len(spec.Entries) == 0 {
		return nil, verifyErrorf("entries", "no entry points")
	}
	p.entries = make(map[string]int, len(spec.Entries))
	for name, fi := range spec.Entries {
		if fi < 0 || fi >= len(p.funcs) {
			return nil, verifyErrorf("entries", "entry %q: function %d out of range", name, fi)
		}
		p.entries[name] = fi
		p.names = append(p.names, name)
	}
	sort.Strings(p.names)
	p.patterns = patterns.t
	return p, nil
}

// noteRecords records the sizes of the records f's MAKE_RECORD
// instructions build, in f.makes and the program's.
func (p *Program) noteRecords(f *funcCode) {
	for _, in := range f.ins {
		if in.op == OpMakeRecord {
			f.makes.add(int(in.a))
			p.records.add(int(in.a))
		}
	}
}

// MakesRecords reports whether the program's code builds records of n
// fields (MAKE_RECORD n), as a record literal of a type of n fields
// compiles whose fields are not all constants; a constant record literal
// is a constant instead. Derived from the code when the program is made
// (or loaded), it lets a host tell programs that can only return records
// of a type that builtins made (and checked) from those that can build
// one of their own. Any function counts, those of test blocks too:
// MakesRecordsFrom tells what one entry can build.
func (p *Program) MakesRecords(n int) bool { return p.records.has(n) }

// MakesRecordsFrom reports whether running the entry point entry can
// build records of n fields: whether its function, or a function it may
// call directly or through others, holds a MAKE_RECORD n (as
// MakesRecords). Other entries, such as a policy's test blocks, and the
// functions only they call do not count. False for an entry the program
// does not have. The edges followed are every function operand
// (funcCode.calls): a function runs only as an entry or as the operand of
// CALL, the only instruction that names one (there are no function
// values, and builtins call no policy code). It walks the call graph at
// each call (the functions and calls the entry reaches, once each): the
// runtime asks it of route once, when it loads a policy, and checks the
// decisions of a policy whose route can build a Decision record of its
// own.
func (p *Program) MakesRecordsFrom(entry string, n int) bool {
	fi, ok := p.entries[entry]
	if !ok {
		return false
	}
	seen := make([]bool, len(p.funcs))
	seen[fi] = true
	todo := []int32{int32(fi)}
	for len(todo) > 0 {
		f := p.funcs[todo[len(todo)-1]]
		todo = todo[:len(todo)-1]
		if f.makes.has(n) {
			return true
		}
		for _, c := range f.calls {
			if !seen[c] {
				seen[c] = true
				todo = append(todo, c)
			}
		}
	}
	return false
}

// checkConst checks constant v, found at depth (0 at the top): a list, map
// or record may sit at depths 0 to MaxConstDepth-1 only, as the decoder
// (decoder.value) reads them, so that a program NewProgram accepts is one
// Load reads back. Each string in it, at any depth, is told to str.
func checkConst(v Value, depth int, str func(Value)) error {
	if depth >= MaxConstDepth && (v.k == KindList || v.k == KindRecord || v.k == KindMap) {
		return fmt.Errorf("nested deeper than %d", MaxConstDepth)
	}
	switch v.k {
	case KindList:
		if v.p == nil {
			return fmt.Errorf("malformed list")
		}
		for _, e := range v.List() {
			if err := checkConst(e, depth+1, str); err != nil {
				return err
			}
		}
	case KindRecord:
		for _, e := range v.Record() {
			if err := checkConst(e, depth+1, str); err != nil {
				return err
			}
		}
	case KindMap:
		if v.p == nil {
			return fmt.Errorf("malformed map")
		}
		m := v.Map()
		for i, k := range m.Keys() {
			if err := checkConst(k, depth+1, str); err != nil {
				return err
			}
			if err := checkConst(m.Values()[i], depth+1, str); err != nil {
				return err
			}
		}
	case KindString:
		str(v)
	default:
		if v.k >= numKinds {
			return fmt.Errorf("unknown kind %d", v.k)
		}
	}
	return nil
}

func buildSet(s SetSpec) (*constSet, error) {
	cs := &constSet{}
	var kind Kind
	for i, e := range s.Elems {
		if e.k != KindString && e.k != KindInt {
			return nil, fmt.Errorf("element %d is a %s; sets hold strings or ints", i, e.k)
		}
		if i == 0 {
			kind = e.k
		} else if e.k != kind {
			return nil, fmt.Errorf("element %d is a %s, element 0 a %s", i, e.k, kind)
		}
	}
	if len(s.Elems) <= smallMap {
		cs.small = append(make([]Value, 0, len(s.Elems)), s.Elems...) // non-nil even when empty
		return cs, nil
	}
	if kind == KindString {
		strs := make([]string, len(s.Elems))
		for i, e := range s.Elems {
			strs[i] = e.str()
		}
		if cs.fast = buildStrSet(strs); cs.fast != nil {
			return cs, nil
		}
		cs.strs = make(map[string]struct{}, len(s.Elems))
		for _, e := range strs {
			cs.strs[e] = struct{}{}
			cs.maxLen = max(cs.maxLen, uint64(len(e)))
		}
	} else {
		cs.ints = make(map[int64]struct{}, len(s.Elems))
		for _, e := range s.Elems {
			cs.ints[int64(e.n)] = struct{}{}
		}
	}
	return cs, nil
}

// Entry returns the function index of the entry point name.
func (p *Program) Entry(name string) (int, bool) {
	i, ok := p.entries[name]
	return i, ok
}

// Entries returns the entry-point names, sorted.
func (p *Program) Entries() []string { return append([]string(nil), p.names...) }

// NumFunctions returns the number of functions.
func (p *Program) NumFunctions() int { return len(p.funcs) }

// FunctionName returns the name of function i.
func (p *Program) FunctionName(i int) string { return p.funcs[i].name }

// NumParams returns the number of parameters of function i.
func (p *Program) NumParams(i int) int { return p.funcs[i].numParams }

// Constants returns p's constant pool, shared: it must not be modified.
func (p *Program) Constants() []Value { return p.consts }

// MaxStack returns the verified operand stack depth of function i.
func (p *Program) MaxStack(i int) int { return p.funcs[i].maxStack }

// Spec returns a copy of the plain-data form of p (the Code, Lines and
// Inlined slices are shared and must not be modified).
func (p *Program) Spec() *ProgramSpec {
	s := &ProgramSpec{
		Constants:  p.consts,
		Sets:       p.setSpecs,
		Builtins:   p.bnames,
		Entries:    make(map[string]int, len(p.entries)),
		MinVersion: p.version,
	}
	for _, f := range p.funcs {
		s.Functions = append(s.Functions, FunctionSpec{
			Name: f.name, File: f.file, NumParams: f.numParams, NumLocals: f.numLocals,
			Code: f.code, Lines: f.lines, Inlined: f.inlined, MaxStack: f.maxStack,
		})
	}
	for k, v := range p.entries {
		s.Entries[k] = v
	}
	return s
}

// position returns the source position of the instruction at pc in f.
func (f *funcCode) position(pc int) (line, col int) {
	lines := f.lines
	i := sort.Search(len(lines), func(i int) bool { return int(lines[i].PC) > pc }) - 1
	if i < 0 {
		return 0, 0
	}
	return int(lines[i].Line), int(lines[i].Col)
}
