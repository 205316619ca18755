//go:build !rplvmcheck

package vm

import "unsafe"

// The interpreter addresses its value stack, constants and instructions
// through these unchecked views: the verifier has proved every index in
// range (stack heights, local, constant and jump indexes), and CALL grows
// the stack before a frame is entered. Build with -tags rplvmcheck to turn
// every access into a checked one (the fuzz and test runs of CI do).

type vals struct{ p unsafe.Pointer }

func valsOf(s []Value) vals { return vals{unsafe.Pointer(unsafe.SliceData(s))} }

func (v vals) at(i int) *Value {
	return (*Value)(unsafe.Add(v.p, uintptr(i)*unsafe.Sizeof(Value{})))
}

func (v vals) slice(i, j int) []Value { return unsafe.Slice(v.at(i), j-i) }

type instrs struct{ p unsafe.Pointer }

func instrsOf(s []instr) instrs { return instrs{unsafe.Pointer(unsafe.SliceData(s))} }

func (v instrs) at(i int) *instr {
	return (*instr)(unsafe.Add(v.p, uintptr(i)*unsafe.Sizeof(instr{})))
}
