package compiler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// TestZeroValue pins the zero values of spec/language.md §3: an optional
// is none whatever it wraps (a list[T]? is none, not []), a list [], a map
// {}, a record has every field at its zero value, an enum is its first
// member (§3.3). stdlib's fresh decision
// and the hosts' inputs take theirs from compiler.ZeroValue too.
func TestZeroValue(t *testing.T) {
	str := lang.Typ[lang.String]
	strs := &lang.List{Elem: str}
	emptyMap, _ := vm.NewMap(nil, nil)
	trigger := &lang.Enum{Name: "Trigger", Members: []string{"timeout", "http_5xx", "any_error"}}
	rec := &lang.Record{Fields: []*lang.Field{
		{Name: "n", Type: lang.Typ[lang.Int]},
		{Name: "xs", Type: strs},
		{Name: "ys", Type: &lang.Optional{Elem: strs}},
	}}
	cases := []struct {
		name string
		t    lang.Type
		want vm.Value
	}{
		{"int", lang.Typ[lang.Int], vm.Int(0)},
		{"string", str, vm.Str("")},
		{"duration", lang.Typ[lang.Duration], vm.Duration(0)},
		{"money", lang.Typ[lang.Money], vm.Money(0)},
		{"list", strs, vm.NewList(nil)},
		{"optional list", &lang.Optional{Elem: strs}, vm.Nil()},
		{"optional int", &lang.Optional{Elem: lang.Typ[lang.Int]}, vm.Nil()},
		{"map", &lang.Map{Key: str, Elem: str}, emptyMap},
		{"record", rec, vm.NewRecord([]vm.Value{vm.Int(0), vm.NewList(nil), vm.Nil()})},
		// §3.3: an enum's zero value is its first member, not "".
		{"enum", trigger, vm.Str("timeout")},
		{"optional enum", &lang.Optional{Elem: trigger}, vm.Nil()},
		{"record of an enum", &lang.Record{Fields: []*lang.Field{{Name: "on", Type: trigger}}}, vm.NewRecord([]vm.Value{vm.Str("timeout")})},
	}
	for _, c := range cases {
		got := compiler.ZeroValue(c.t)
		if !vm.Equal(got, c.want) || got.Kind() != c.want.Kind() {
			t.Errorf("%s: zero value %s (%s), want %s (%s)", c.name, got, got.Kind(), c.want, c.want.Kind())
		}
	}
	// The decoders call ZeroValue for a field a request omits: an enum's
	// costs no more than a string's.
	if n := testing.AllocsPerRun(100, func() { compiler.ZeroValue(trigger) }); n != 0 {
		t.Errorf("ZeroValue(enum) allocates %v times", n)
	}
}

// enumZeroPolicy reads Trigger fields that nothing set: a record literal
// built at run time and a constant one (folded) omit on, and route
// observes each through == and match. Before §3.3 was implemented they
// held "", which is no member: == timeout was false and match fell to _.
const enumZeroPolicy = `package enumzero

type Retry = {target: string, on: Trigger}

const fixed: Retry = {target: "b"}

fn name(t: Trigger) -> string = match t {
  timeout => "timeout"
  http_5xx => "http_5xx"
  _ => "other"
}

fn route(r: Request) -> Decision {
  let x: Retry = {target: r.model}
  if x.on == timeout && fixed.on == timeout && name(x.on) == "timeout" {
    return to(x.target)
  }
  deny("the zero Trigger is " + name(x.on) + ", not its first member")
}

test "an omitted enum field is the first member" {
  let x: Retry = {target: "a"}
  expect x.on == timeout
  expect fixed.on == timeout
  expect name(x.on) == "timeout"
}
`

// TestEnumZeroEndToEnd compiles enumZeroPolicy through rpl.Env and
// decides a request: route only routes when the omitted Trigger fields
// are timeout, the enum's first member (spec/language.md §3.3).
func TestEnumZeroEndToEnd(t *testing.T) {
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	prog, err := env.CompileSource("enumzero.rpl", []byte(enumZeroPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range prog.Tests() {
		if _, err := prog.RunTest(context.Background(), tc.Name, vm.Input{}, vm.Limits{}); err != nil {
			t.Errorf("test %q: %v", tc.Name, err)
		}
	}
	req, err := prog.RequestFromJSON([]byte(`{"id": "r1", "model": "openai:gpt-4o"}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Decide(context.Background(), req, rpl.DefaultInput(time.Unix(0, 0), "r1"))
	if err != nil {
		t.Fatal(err)
	}
	assertRouted(t, prog.DecisionType(), res.Value, "openai:gpt-4o")
}

// TestEnumZeroMissingFromRequest decides a request whose Request type has
// a Trigger field the JSON omits: the decoded request holds the first
// member, and route sees it. The standard prelude's Request has no enum
// field, so the test declares a universe whose Request has one (fields
// sort by name: on comes after estimate, whose slot the builtins read).
func TestEnumZeroMissingFromRequest(t *testing.T) {
	prelude := string(stdlib.Prelude())
	const head = "type Request = {\n"
	if !strings.Contains(prelude, head) {
		t.Fatalf("the prelude has no %q", head)
	}
	prelude = strings.Replace(prelude, head, head+"  on: Trigger,\n  also: Trigger?,\n", 1)
	u, err := lang.NewUniverse(lang.UniverseConfig{Builtins: stdlib.Decls(), Enums: stdlib.Enums, PreludeName: "std/prelude.rpl", Prelude: []byte(prelude)})
	if err != nil {
		t.Fatal(err)
	}
	src := `package onreq

fn route(r: Request) -> Decision = match r.on {
  timeout => to("first:member")
  _ => to("other:" + (if r.also == none { "none" } else { "some" }))
}
`
	checked, diags := lang.CheckSource(&lang.Config{Universe: u, Policy: true}, "onreq.rpl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	table := builtinTable(t)
	out, err := compiler.Compile(checked, compiler.Options{Builtins: table})
	if err != nil {
		t.Fatal(err)
	}
	p, err := vm.NewProgram(out.Spec, table)
	if err != nil {
		t.Fatal(err)
	}
	req, err := rpl.FromJSON(out.Request, []byte(`{"id": "r1", "model": "openai:gpt-4o"}`))
	if err != nil {
		t.Fatal(err)
	}
	on, also := out.Request.FieldIndex("on"), out.Request.FieldIndex("also")
	if got := req.Record()[on]; got.Kind() != vm.KindString || got.Str() != "timeout" {
		t.Errorf("decoded r.on = %s (%s), want timeout", got, got.Kind())
	}
	if got := req.Record()[also]; !got.IsNil() {
		t.Errorf("decoded r.also = %s, want none", got)
	}
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	res, err := env.Wrap("onreq", p).Decide(context.Background(), req, rpl.DefaultInput(time.Unix(0, 0), "r1"))
	if err != nil {
		t.Fatal(err)
	}
	assertRouted(t, out.Decision, res.Value, "first:member")
}

func assertRouted(t *testing.T, dec *lang.Record, d vm.Value, target string) {
	t.Helper()
	s := d.Record()
	action, got, reason := s[dec.FieldIndex("action")], s[dec.FieldIndex("target")], s[dec.FieldIndex("deny_reason")]
	if action.Str() != "route" || got.Str() != target {
		t.Errorf("decision: action %s, target %s (deny reason %s); want a route to %s", action, got, reason, target)
	}
}
