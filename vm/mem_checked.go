//go:build rplvmcheck

package vm

// Checked views, for -tags rplvmcheck: every access is bounds-checked, so a
// verifier bug panics (and the fuzzer finds it) instead of corrupting memory.

type vals struct{ s []Value }

func valsOf(s []Value) vals { return vals{s} }

func (v vals) at(i int) *Value { return &v.s[i] }

func (v vals) slice(i, j int) []Value { return v.s[i:j:j] }

type instrs struct{ s []instr }

func instrsOf(s []instr) instrs { return instrs{s} }

func (v instrs) at(i int) *instr { return &v.s[i] }
