package compiler_test

import (
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TestFoldLiteralTargets: no Decision or Fallback record literal is
// folded, constant or not (but {}, the type's zero, whose action the
// engine refuses): each is built at run time (MAKE_RECORD), so that the
// program says it builds Decision records of its own
// (vm.Program.MakesRecords) and the engine checks its decisions by the
// builtins' rules. A constant literal of another record type is folded.
func TestFoldLiteralTargets(t *testing.T) {
	u, _ := stdlib.Universe()
	dec := u.Types["Decision"].Type.(*lang.Record)
	n := len(dec.Fields)
	for src, makes := range map[string]bool{
		`{action: "route", target: "openai:gpt-4o", split: {"a:x": 1, openai: 1}, fallbacks: [{target: "b", on: [timeout]}]}`: true,
		`{action: "deny", deny_reason: "no"}`:                           true,
		`{}`:                                                            false,
		`to("a:x").because(K.reason)`:                                   false,
		`{action: "route", target: r.model}`:                            true,
		`{action: "route", target: "openai gpt-4o"}`:                    true,
		`{action: "route", target: ":x"}`:                               true,
		`{action: "route", target: "a:x", split: {"a:x": 1, "": 1}}`:    true,
		`{action: "route", target: "a:x", fallbacks: [FB]}`:             true,
		`{action: "route", target: "a:x", fallbacks: [{target: "b:"}]}`: true,
	} {
		text := "package p\nconst FB: Fallback = {target: \"\\u0007\", on: [timeout]}\nconst K = {reason: \"r\", n: 1}\nfn route(r: Request) -> Decision = " + src + "\n"
		prog, diags := lang.CheckSource(&lang.Config{Universe: u}, "p.rpl", []byte(text))
		if diags.HasErrors() {
			t.Fatalf("%s: %v", src, diags)
		}
		out, err := compiler.Compile(prog, compiler.Options{Builtins: builtinTable(t)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := vm.NewProgram(out.Spec, builtinTable(t))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.MakesRecords(n); got != makes {
			t.Errorf("%s: builds a Decision %v, want %v:\n%s", src, got, makes, vm.Disassemble(p))
		}
		// The flag is the code's: a loaded program says the same.
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		q, err := vm.Load(data, builtinTable(t))
		if err != nil {
			t.Fatal(err)
		}
		if q.MakesRecords(n) != makes {
			t.Errorf("%s: loaded, builds a Decision %v, want %v", src, !makes, makes)
		}
	}
}
