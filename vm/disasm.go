package vm

import (
	"fmt"
	"io"
	"strings"

	"github.com/rpl-lang/rpl/internal/textcut"
)

// Disassemble returns a readable listing of p: constants, sets, builtins,
// entry points and, per function, one instruction a line:
//
//	fn 1 pred (params 1, locals 1, stack 2) policy.rpl
//	     0  3:5     LOCAL_FIELD            0 2
//	     5  3:5     GT_INT_CONST           1               ; 8000
//
// columns: code offset, source line:col, opcode, operands, and a comment
// naming constants, functions and builtins. The format is stable, for
// golden tests.
func Disassemble(p *Program) string { return DisassembleNamed(p, nil) }

// DisassembleNamed is Disassemble with each function's file named by name
// (as compiled when nil): rplc names them relative to its working
// directory, as its other output does, and nothing else of the listing
// (a constant that holds a path is shown as it is).
func DisassembleNamed(p *Program, name func(file string) string) string {
	var b strings.Builder
	writeDisassembly(&b, p, name)
	return b.String()
}

// WriteDisassembly writes the listing of Disassemble to w.
func WriteDisassembly(w io.Writer, p *Program) error { return writeDisassembly(w, p, nil) }

func writeDisassembly(w io.Writer, p *Program, name func(string) string) error {
	var b strings.Builder
	for i, c := range p.consts {
		fmt.Fprintf(&b, "const %d = %s\n", i, shortValue(c))
	}
	for i, s := range p.setSpecs {
		fmt.Fprintf(&b, "set %d = %s\n", i, shortValue(NewList(s.Elems)))
	}
	for i, name := range p.bnames {
		fmt.Fprintf(&b, "builtin %d = %s (args %s)\n", i, name, p.builtins[i].arity())
	}
	for _, name := range p.names {
		fmt.Fprintf(&b, "entry %s = %d\n", name, p.entries[name])
	}
	for fi, f := range p.funcs {
		file := f.file
		if name != nil {
			file = name(file)
		}
		fmt.Fprintf(&b, "\nfn %d %s (params %d, locals %d, stack %d) %s\n",
			fi, f.name, f.numParams, f.numLocals, f.maxStack, file)
		disasmFunc(&b, p, f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func disasmFunc(b *strings.Builder, p *Program, f *funcCode) {
	var args [3]uint32
	for pc := 0; pc < len(f.code); {
		info := Opcode(f.code[pc]).Info()
		readOperands(f.code, pc, info, &args)
		var ops, comments []string
		for i, k := range info.Operands {
			a := int(args[i])
			ops = append(ops, fmt.Sprint(a))
			switch k {
			case ArgConst:
				comments = append(comments, shortValue(p.consts[a]))
			case ArgFunc:
				comments = append(comments, p.funcs[a].name)
			case ArgBuiltin:
				comments = append(comments, p.bnames[a])
			}
		}
		line, col := f.position(pc)
		pos := "-"
		if line > 0 {
			pos = fmt.Sprintf("%d:%d", line, col)
		}
		s := fmt.Sprintf("%6d  %-7s %-22s %s", pc, pos, info.Name, strings.Join(ops, " "))
		if len(comments) > 0 {
			s = fmt.Sprintf("%-54s ; %s", s, strings.Join(comments, ", "))
		}
		b.WriteString(strings.TrimRight(s, " "))
		b.WriteByte('\n')
		pc += info.Size()
	}
}

func short(s string) string {
	return textcut.Cut(s, shortMax)
}

const shortMax = 60

// shortValue is short(v.String()), written only as far as it shows: a
// constant's text may be far larger than its memory (the compiler folds
// constants of up to millions of values that share their parts), and a
// listing writes each one again at every instruction that names it. The
// text that stringMax writes for twice the length agrees with String's
// well past shortMax bytes (it cuts a string at a character's boundary,
// and an element only once the limit is passed), so short cuts both alike.
func shortValue(v Value) string { return short(v.stringMax(2*shortMax, nil)) }
