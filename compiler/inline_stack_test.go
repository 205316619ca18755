package compiler_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// inlineStackPolicy fails in inlined code: pick is inlined into route;
// nth into twice, itself inlined into route; deep is called (a block body
// is never inlined) from mid, which is inlined into route.
const inlineStackPolicy = `package st

fn pick(xs: list[string], i: int) -> string = xs[i]
fn nth(xs: list[string], i: int) -> string = xs[i]
fn twice(xs: list[string]) -> string = nth(xs, 3) + nth(xs, 0)
fn deep(xs: list[string]) -> string {
  let y = xs[5]
  y
}
fn mid(xs: list[string]) -> string = deep(xs)

fn route(r: Request) -> Decision = match r.model {
  "pick" => to(pick(r.user.groups, 3))
  "twice" => to(twice(r.user.groups))
  _ => to(mid(r.user.groups))
}
`

// TestInlinedCallStack pins language.md §10/§11.1: a run-time error's
// stack is the policy call stack, inlined calls included. The stacks of
// the optimised program (which inlines pick, nth, twice and mid) must equal
// those of the same policy compiled with coverage, which inlines nothing,
// and survive the binary encoding. Before, the inlined functions were
// missing: "at route (st.rpl:3:47)" alone, pointing into pick.
func TestInlinedCallStack(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	checked, diags := lang.CheckSource(&lang.Config{Universe: u, Policy: true}, "st.rpl", []byte(inlineStackPolicy))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	table := builtinTable(t)
	compile := func(opts compiler.Options) (*vm.Program, *compiler.Output) {
		out, err := compiler.Compile(checked, opts)
		if err != nil {
			t.Fatal(err)
		}
		p, err := vm.NewProgram(out.Spec, table)
		if err != nil {
			t.Fatal(err)
		}
		return p, out
	}
	fast, out := compile(compiler.Options{Builtins: table, NoTests: true})
	plain, _ := compile(compiler.Options{Builtins: table, NoTests: true, Cover: true})
	data, err := fast.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := vm.Load(data, table)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := vm.ProgramVersion(data); v != 2 {
		t.Errorf("encoded with inlined calls as version %d, want 2", v)
	}
	stack := func(p *vm.Program, model string) []vm.Frame {
		t.Helper()
		req, err := rpl.FromJSON(out.Request, []byte(`{"model": "`+model+`", "user": {"groups": ["a"]}}`))
		if err != nil {
			t.Fatal(err)
		}
		in := rpl.DefaultInput(time.Unix(0, 0), "r")
		in.Probes = &vm.Probes{} // for the covered program's COVER
		_, _, err = vm.NewMachine().RunNamed(context.Background(), p, "route", []vm.Value{req}, vm.Limits{}, in)
		var e *vm.Error
		if !errors.As(err, &e) || e.Code != vm.CodeIndexOutOfRange {
			t.Fatalf("%s: error %v, want index_out_of_range", model, err)
		}
		return e.Stack
	}
	for _, tc := range []struct {
		model string
		want  []vm.Frame
	}{
		{"pick", []vm.Frame{{Func: "pick", File: "st.rpl", Line: 3, Col: 47}, {Func: "route", File: "st.rpl", Line: 13, Col: 20}}},
		{"twice", []vm.Frame{{Func: "nth", File: "st.rpl", Line: 4, Col: 46}, {Func: "twice", File: "st.rpl", Line: 5, Col: 43}, {Func: "route", File: "st.rpl", Line: 14, Col: 22}}},
		{"deep", []vm.Frame{{Func: "deep", File: "st.rpl", Line: 7, Col: 11}, {Func: "mid", File: "st.rpl", Line: 10, Col: 42}, {Func: "route", File: "st.rpl", Line: 15, Col: 14}}},
	} {
		for name, p := range map[string]*vm.Program{"inlined": fast, "loaded": loaded, "not inlined": plain} {
			if got := stack(p, tc.model); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %s: stack\n%v\nwant\n%v", tc.model, name, got, tc.want)
			}
		}
	}
}
