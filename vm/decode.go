package vm

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Load decodes and verifies a program encoded by MarshalBinary, resolving
// its builtins against builtins. Malformed input yields an error naming the
// section and byte offset (or the function and code offset) at fault; it
// never panics. The returned program does not retain data.
func Load(data []byte, builtins *BuiltinTable) (*Program, error) {
	spec, err := DecodeSpec(data)
	if err != nil {
		return nil, err
	}
	return NewProgram(spec, builtins)
}

// DecodeSpec decodes an encoded program without verifying its code.
func DecodeSpec(data []byte) (*ProgramSpec, error) {
	d := &decoder{data: data, sec: "header"}
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		return nil, d.errorf("bad magic (not an RPL program)")
	}
	d.off = len(Magic)
	v := d.uvarint()
	if d.err != nil {
		return nil, d.err
	}
	if v < MinFormatVersion || v > FormatVersion {
		return nil, d.errorf("unsupported format version %d (this reader reads versions %d to %d)", v, MinFormatVersion, FormatVersion)
	}
	d.version = int(v)
	spec := &ProgramSpec{Entries: map[string]int{}}
	for id := byte(secStrings); id <= secEntries; id++ {
		d.sec = "header"
		if d.off >= len(d.data) {
			return nil, d.errorf("missing section %s", sectionNames[id])
		}
		if got := d.data[d.off]; got != id {
			return nil, d.errorf("section id %d, want %d (%s)", got, id, sectionNames[id])
		}
		d.off++
		n := d.uvarint()
		if d.err != nil {
			return nil, d.err
		}
		if n > uint64(len(d.data)-d.off) {
			return nil, d.errorf("section %s: length %d exceeds the data", sectionNames[id], n)
		}
		end := d.off + int(n)
		d.sec = sectionNames[id]
		sub := &decoder{data: d.data[:end], off: d.off, sec: d.sec, strs: d.strs, version: d.version}
		sub.section(id, spec)
		if sub.err != nil {
			return nil, sub.err
		}
		if sub.off != end {
			return nil, sub.errorf("%d trailing bytes in section", end-sub.off)
		}
		d.strs = sub.strs
		d.off = end
	}
	if d.off != len(d.data) {
		d.sec = "trailer"
		return nil, d.errorf("%d trailing bytes after the last section", len(d.data)-d.off)
	}
	if d.version > SpecVersion(spec) {
		spec.MinVersion = d.version // encoded again, it keeps its version
	}
	return spec, nil
}

type decoder struct {
	data    []byte
	off     int
	sec     string
	err     error
	strs    []string
	version int
}

// ProgramVersion returns the format version in the header of an encoded
// program, or false when data does not start with one.
func ProgramVersion(data []byte) (int, bool) {
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		return 0, false
	}
	v, n := binary.Uvarint(data[len(Magic):])
	if n <= 0 || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

func (d *decoder) errorf(format string, args ...any) error {
	if d.err == nil {
		d.err = &InvalidProgramError{Where: fmt.Sprintf("%s section, byte %d", d.sec, d.off), Msg: fmt.Sprintf(format, args...)}
	}
	return d.err
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.off:])
	if n <= 0 {
		d.errorf("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.data[d.off:])
	if n <= 0 {
		d.errorf("bad varint")
		return 0
	}
	d.off += n
	return v
}

// count reads an element count, each element taking at least minSize bytes,
// and rejects counts the remaining data cannot hold (so a hostile count
// never causes a huge allocation).
func (d *decoder) count(minSize int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64((len(d.data)-d.off)/minSize) {
		d.errorf("count %d exceeds the data", n)
		return 0
	}
	return int(n)
}

// small reads a uvarint that must fit in limit.
func (d *decoder) small(what string, limit int) int {
	v := d.uvarint()
	if d.err == nil && v > uint64(limit) {
		d.errorf("%s %d out of range (max %d)", what, v, limit)
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.data)-d.off {
		d.errorf("%d bytes exceed the data", n)
		return nil
	}
	b := d.data[d.off : d.off+n]
	d.off += n
	return b
}

func (d *decoder) str() string {
	i := d.uvarint()
	if d.err != nil {
		return ""
	}
	if i >= uint64(len(d.strs)) {
		d.errorf("string index %d out of range (%d strings)", i, len(d.strs))
		return ""
	}
	return d.strs[i]
}

func (d *decoder) section(id byte, spec *ProgramSpec) {
	switch id {
	case secStrings:
		n := d.count(1)
		start := d.off
		type span struct{ off, n int }
		spans := make([]span, 0, n)
		for range n {
			l := d.small("string length", len(d.data))
			off := d.off
			d.bytes(l)
			if d.err != nil {
				return
			}
			spans = append(spans, span{off - start, l})
		}
		// One allocation for all strings.
		all := string(d.data[start:d.off])
		d.strs = make([]string, n)
		for i, s := range spans {
			d.strs[i] = all[s.off : s.off+s.n]
		}
	case secConstants:
		n := d.count(1)
		spec.Constants = make([]Value, 0, n)
		for range n {
			v := d.value(0)
			if d.err != nil {
				return
			}
			spec.Constants = append(spec.Constants, v)
		}
	case secSets:
		n := d.count(1)
		spec.Sets = make([]SetSpec, 0, n)
		for range n {
			m := d.count(1)
			elems := make([]Value, 0, m)
			for range m {
				v := d.value(MaxConstDepth) // scalars only
				if d.err != nil {
					return
				}
				elems = append(elems, v)
			}
			spec.Sets = append(spec.Sets, SetSpec{Elems: elems})
		}
	case secBuiltins:
		n := d.count(1)
		spec.Builtins = make([]string, 0, n)
		for range n {
			spec.Builtins = append(spec.Builtins, d.str())
		}
	case secFunctions:
		n := d.count(6)
		spec.Functions = make([]FunctionSpec, 0, n)
		for range n {
			var f FunctionSpec
			f.Name = d.str()
			f.File = d.str()
			f.NumParams = d.small("parameter count", MaxLocals)
			f.NumLocals = d.small("local count", MaxLocals)
			codeLen := d.small("code length", MaxCodeSize)
			f.Code = append([]byte(nil), d.bytes(codeLen)...)
			nl := d.count(3)
			f.Lines = make([]LineEntry, 0, nl)
			pc := uint64(0)
			for range nl {
				pc += d.uvarint()
				line, col := d.uvarint(), d.uvarint()
				if d.err != nil {
					return
				}
				if pc > math.MaxUint32 || line > math.MaxUint32 || col > math.MaxUint32 {
					d.errorf("line table entry out of range")
					return
				}
				f.Lines = append(f.Lines, LineEntry{PC: uint32(pc), Line: uint32(line), Col: uint32(col)})
			}
			if d.version >= 2 {
				f.Inlined = d.inlined(f.Name, codeLen)
			}
			if d.err != nil {
				return
			}
			if v := codeVersion(f.Code); v > d.version {
				d.errorf("function %q uses instructions of format version %d in a program of version %d", f.Name, v, d.version)
				return
			}
			spec.Functions = append(spec.Functions, f)
		}
	case secEntries:
		// Sorted by name (bytewise), each name once, as MarshalBinary
		// writes them (spec/bytecode.md §4).
		n := d.count(2)
		prev := ""
		for i := range n {
			at := d.off
			name := d.str()
			fi := d.small("function index", MaxFunctions)
			if d.err != nil {
				return
			}
			if i > 0 && name <= prev {
				d.off = at
				if name == prev {
					d.errorf("entry %q twice", name)
				} else {
					d.errorf("entry %q after %q: entries are sorted by name", name, prev)
				}
				return
			}
			prev = name
			spec.Entries[name] = fi
		}
	}
}

// inlined decodes a function's inline table (format versions 2 and 3);
// NewProgram checks that its ranges nest within the code.
func (d *decoder) inlined(fn string, codeLen int) []InlineEntry {
	n := d.count(5)
	if n == 0 {
		return nil
	}
	inl := make([]InlineEntry, 0, n)
	start := uint64(0)
	for k := range n {
		delta, length := d.uvarint(), d.uvarint()
		name := d.str()
		line, col := d.uvarint(), d.uvarint()
		if d.err != nil {
			return nil
		}
		if delta > uint64(codeLen)-start || length > uint64(codeLen)-start-delta || line > math.MaxUint32 || col > math.MaxUint32 {
			d.errorf("function %q: inline table entry %d out of range (code of %d bytes)", fn, k, codeLen)
			return nil
		}
		start += delta
		inl = append(inl, InlineEntry{Start: uint32(start), End: uint32(start + length), Func: name, Line: uint32(line), Col: uint32(col)})
	}
	return inl
}

// value decodes one constant. Depth limits nesting; sets pass
// MaxConstDepth so that only scalars are accepted.
func (d *decoder) value(depth int) Value {
	if d.err != nil {
		return Value{}
	}
	if d.off >= len(d.data) {
		d.errorf("truncated value")
		return Value{}
	}
	tag := d.data[d.off]
	d.off++
	switch tag {
	case tagNil:
		return Value{}
	case tagFalse:
		return Bool(false)
	case tagTrue:
		return Bool(true)
	case tagInt:
		return Int(d.varint())
	case tagDuration:
		return Value{k: KindDuration, n: uint64(d.varint())}
	case tagMoney:
		return Money(d.varint())
	case tagTime:
		return Time(d.varint())
	case tagFloat:
		b := d.bytes(8)
		if d.err != nil {
			return Value{}
		}
		return Float(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	case tagString:
		return Str(d.str())
	case tagList, tagRecord, tagMap:
		if depth >= MaxConstDepth {
			d.errorf("constant nested deeper than %d", MaxConstDepth)
			return Value{}
		}
		per := 1
		if tag == tagMap {
			per = 2
		}
		n := d.count(per)
		elems := make([]Value, 0, n*per)
		for range n * per {
			elems = append(elems, d.value(depth+1))
			if d.err != nil {
				return Value{}
			}
		}
		switch tag {
		case tagList:
			return Value{k: KindList, p: unsafe.Pointer(&listObj{elems: elems})}
		case tagRecord:
			return NewRecord(elems)
		}
		keys, vals := make([]Value, n), make([]Value, n)
		for i := range n {
			keys[i], vals[i] = elems[2*i], elems[2*i+1]
		}
		m, err := buildMap(nil, keys, vals, nil)
		if err != nil {
			d.errorf("%v", err)
			return Value{}
		}
		return Value{k: KindMap, p: unsafe.Pointer(m)}
	}
	d.errorf("unknown value tag %d", tag)
	return Value{}
}
