package vm

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// The binary program format; spec/bytecode.md describes it as a grammar.
const (
	// Magic starts every encoded program.
	Magic = "RPLP"
	// FormatVersion is the newest version of the encoding. MarshalBinary
	// writes the oldest version that holds the program (SpecVersion), so
	// that a program using nothing newer stays readable by older
	// readers: version 2 adds each function's inline table, version 3
	// the ordering instructions BEFORE, AFTER, BEFORE_FLOAT and
	// AFTER_FLOAT (Opcode.Since), version 4 the shape string takes after
	// its argument (ProgramSpec.MinVersion). Load accepts every version
	// from MinFormatVersion.
	FormatVersion = 4
	// MinFormatVersion is the oldest version Load accepts.
	MinFormatVersion = 1
)

// Section ids, in the order they must appear.
const (
	secStrings   = 1
	secConstants = 2
	secSets      = 3
	secBuiltins  = 4
	secFunctions = 5
	secEntries   = 6
)

var sectionNames = [...]string{
	secStrings: "strings", secConstants: "constants", secSets: "sets",
	secBuiltins: "builtins", secFunctions: "functions", secEntries: "entries",
}

// Value tags in the constants and sets sections.
const (
	tagNil = iota
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagString
	tagDuration
	tagMoney
	tagTime
	tagList
	tagMap
	tagRecord
)

// SpecVersion is the oldest format version that holds s: s.MinVersion
// when set, else 3 when a function uses an instruction of version 3, else
// 2 when one has inlined calls, else 1.
func SpecVersion(s *ProgramSpec) int {
	version := max(MinFormatVersion, s.MinVersion)
	for _, f := range s.Functions {
		if len(f.Inlined) > 0 {
			version = max(version, 2)
		}
		version = max(version, codeVersion(f.Code))
	}
	return version
}

// codeVersion is the newest Opcode.Since of code's instructions (it stops
// at an unknown opcode, which the verifier refuses).
func codeVersion(code []byte) int {
	v := MinFormatVersion
	for pc := 0; pc < len(code); {
		op := Opcode(code[pc])
		info := op.Info()
		if info == nil {
			break
		}
		v = max(v, op.Since())
		pc += info.Size()
	}
	return v
}

// MarshalBinary encodes p in the versioned binary format (magic "RPLP").
// The encoding is deterministic: equal programs encode to equal bytes.
func (p *Program) MarshalBinary() ([]byte, error) {
	return EncodeSpec(p.Spec())
}

// EncodeSpec encodes a program spec without verifying it (Load verifies).
func EncodeSpec(s *ProgramSpec) ([]byte, error) {
	e := &encoder{strIndex: map[string]int{}}
	version := SpecVersion(s)
	// Intern strings first, in a deterministic order.
	var consts, sets, builtins, funcs, entries []byte
	for _, c := range s.Constants {
		var err error
		if consts, err = e.value(consts, c, 0); err != nil {
			return nil, err
		}
	}
	for _, set := range s.Sets {
		sets = binary.AppendUvarint(sets, uint64(len(set.Elems)))
		for _, v := range set.Elems {
			var err error
			if sets, err = e.value(sets, v, 0); err != nil {
				return nil, err
			}
		}
	}
	for _, b := range s.Builtins {
		builtins = binary.AppendUvarint(builtins, e.str(b))
	}
	for _, f := range s.Functions {
		if f.NumParams < 0 || f.NumLocals < 0 {
			return nil, fmt.Errorf("encode: function %q: negative counts", f.Name)
		}
		funcs = binary.AppendUvarint(funcs, e.str(f.Name))
		funcs = binary.AppendUvarint(funcs, e.str(f.File))
		funcs = binary.AppendUvarint(funcs, uint64(f.NumParams))
		funcs = binary.AppendUvarint(funcs, uint64(f.NumLocals))
		funcs = binary.AppendUvarint(funcs, uint64(len(f.Code)))
		funcs = append(funcs, f.Code...)
		funcs = binary.AppendUvarint(funcs, uint64(len(f.Lines)))
		prev := uint32(0)
		for _, l := range f.Lines {
			if l.PC < prev {
				return nil, fmt.Errorf("encode: function %q: line table not sorted", f.Name)
			}
			funcs = binary.AppendUvarint(funcs, uint64(l.PC-prev))
			funcs = binary.AppendUvarint(funcs, uint64(l.Line))
			funcs = binary.AppendUvarint(funcs, uint64(l.Col))
			prev = l.PC
		}
		if version < 2 {
			continue
		}
		funcs = binary.AppendUvarint(funcs, uint64(len(f.Inlined)))
		prev = 0
		for _, in := range f.Inlined {
			if in.Start < prev || in.End < in.Start {
				return nil, fmt.Errorf("encode: function %q: inline table not sorted", f.Name)
			}
			funcs = binary.AppendUvarint(funcs, uint64(in.Start-prev))
			funcs = binary.AppendUvarint(funcs, uint64(in.End-in.Start))
			funcs = binary.AppendUvarint(funcs, e.str(in.Func))
			funcs = binary.AppendUvarint(funcs, uint64(in.Line))
			funcs = binary.AppendUvarint(funcs, uint64(in.Col))
			prev = in.Start
		}
	}
	names := make([]string, 0, len(s.Entries))
	for n := range s.Entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fi := s.Entries[n]
		if fi < 0 {
			return nil, fmt.Errorf("encode: entry %q: negative function index", n)
		}
		entries = binary.AppendUvarint(entries, e.str(n))
		entries = binary.AppendUvarint(entries, uint64(fi))
	}

	var strs []byte
	for _, str := range e.strs {
		strs = binary.AppendUvarint(strs, uint64(len(str)))
		strs = append(strs, str...)
	}
	out := []byte(Magic)
	out = binary.AppendUvarint(out, uint64(version))
	section := func(id byte, count int, body []byte) {
		b := binary.AppendUvarint(nil, uint64(count))
		b = append(b, body...)
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	section(secStrings, len(e.strs), strs)
	section(secConstants, len(s.Constants), consts)
	section(secSets, len(s.Sets), sets)
	section(secBuiltins, len(s.Builtins), builtins)
	section(secFunctions, len(s.Functions), funcs)
	section(secEntries, len(names), entries)
	return out, nil
}

type encoder struct {
	strs     []string
	strIndex map[string]int
}

func (e *encoder) str(s string) uint64 {
	i, ok := e.strIndex[s]
	if !ok {
		i = len(e.strs)
		e.strs = append(e.strs, s)
		e.strIndex[s] = i
	}
	return uint64(i)
}

func (e *encoder) value(b []byte, v Value, depth int) ([]byte, error) {
	if depth > MaxConstDepth {
		return nil, fmt.Errorf("encode: constant nested deeper than %d", MaxConstDepth)
	}
	var err error
	switch v.k {
	case KindNil:
		b = append(b, tagNil)
	case KindBool:
		if v.n != 0 {
			b = append(b, tagTrue)
		} else {
			b = append(b, tagFalse)
		}
	case KindInt:
		b = binary.AppendVarint(append(b, tagInt), int64(v.n))
	case KindDuration:
		b = binary.AppendVarint(append(b, tagDuration), int64(v.n))
	case KindMoney:
		b = binary.AppendVarint(append(b, tagMoney), int64(v.n))
	case KindTime:
		b = binary.AppendVarint(append(b, tagTime), int64(v.n))
	case KindFloat:
		b = binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(v.Float()))
	case KindString:
		b = binary.AppendUvarint(append(b, tagString), e.str(v.str()))
	case KindList, KindRecord:
		elems := v.List()
		tag := byte(tagList)
		if v.k == KindRecord {
			elems, tag = v.Record(), tagRecord
		}
		b = binary.AppendUvarint(append(b, tag), uint64(len(elems)))
		for _, x := range elems {
			if b, err = e.value(b, x, depth+1); err != nil {
				return nil, err
			}
		}
	case KindMap:
		m := v.Map()
		b = binary.AppendUvarint(append(b, tagMap), uint64(m.Len()))
		for i, k := range m.Keys() {
			if b, err = e.value(b, k, depth+1); err != nil {
				return nil, err
			}
			if b, err = e.value(b, m.Values()[i], depth+1); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("encode: unknown value kind %d", v.k)
	}
	return b, nil
}
