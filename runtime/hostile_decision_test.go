package runtime_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// hostileBundle is a bundle of the policy default (without tests) whose
// route returns v, a constant, whatever its type: what an unsigned
// bundle's bytecode may do, the loader verifying its instructions but
// not its types.
func hostileBundle(t *testing.T, v vm.Value) []byte {
	t.Helper()
	return signedHostileBundle(t, v, nil)
}

// signedHostileBundle is hostileBundle signed with key (nil: unsigned).
func signedHostileBundle(t *testing.T, v vm.Value, key ed25519.PrivateKey) []byte {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n")
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Read(res.Data, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bt, err := stdlib.Table()
	if err != nil {
		t.Fatal(err)
	}
	orig := b.Policies[0].VM.Spec()
	spec := *orig
	spec.Constants = append(append([]vm.Value(nil), orig.Constants...), v)
	spec.Functions = append([]vm.FunctionSpec(nil), orig.Functions...)
	f := spec.Functions[orig.Entries["route"]]
	f.Code = vm.MustAsm(vm.I(vm.OpConst, len(spec.Constants)-1), vm.I(vm.OpReturn))
	f.Lines, f.Inlined, f.MaxStack = nil, nil, 0
	spec.Functions[orig.Entries["route"]] = f
	p, err := vm.NewProgram(&spec, bt)
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m := b.Manifest
	m.Policies[0].CostBound, m.Policies[0].Bounded = 0, false
	out, err := bundle.Write(m, [][]byte{code}, nil, nil, key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHostileDecision: a route returning anything but a Decision of the
// right kinds in every part (an int, none, a record of another type, a
// Decision whose priority is a string or a float, whose target is an
// int, whose fallbacks hold an int or a trigger that is none) is the
// policy's failure, invalid_decision, naming what is wrong, over v2 and
// CP1. Such decisions were answered as routes: {} or null, a priority
// read from a string's length or a float's bits, a provider_id "".
func TestHostileDecision(t *testing.T) {
	em := func() vm.Value { m, _ := vm.NewMap(nil, nil); return m }
	// good is a route to openai:gpt-4o, in the slots' order (the fields'
	// names sorted).
	good := func() []vm.Value {
		return []vm.Value{vm.Str("route"), vm.Str(""), vm.Str(""), vm.Str(""), vm.NewList(nil), vm.NewList(nil), vm.NewList(nil),
			vm.Int(50), vm.Str(""), em(), vm.Str(""), vm.Duration(0), em(), vm.Str("openai:gpt-4o"), vm.NewList(nil)}
	}
	with := func(slot int, v vm.Value) vm.Value { g := good(); g[slot] = v; return vm.NewRecord(g) }
	tags, _ := vm.NewMap([]vm.Value{vm.Str("k")}, []vm.Value{vm.Int(99)})
	for _, c := range []struct {
		name string
		v    vm.Value
		why  string
	}{
		{"int", vm.Int(42), "route returned an int, not a Decision"},
		{"none", vm.Nil(), "route returned none, not a Decision"},
		{"string", vm.Str("openai:gpt-4o"), "route returned a string, not a Decision"},
		{"record1", vm.NewRecord([]vm.Value{vm.Str("route")}), "route returned a record of 1 fields, not a Decision (15 fields)"},
		{"priority string", with(7, vm.Str("abcdef")), "decision.priority is a string, not an int"},
		{"priority float", with(7, vm.Float(1e300)), "decision.priority is a float, not an int"},
		{"target int", with(13, vm.Int(12345)), "decision.target is an int, not a string"},
		{"ttl string", with(11, vm.Str("10m")), "decision.sticky_ttl is a string, not a duration"},
		{"tags int", with(12, tags), `decision.tags["k"] is an int, not a string`},
		{"pre int", with(6, vm.NewList([]vm.Value{vm.Str("a"), vm.Int(1)})), "decision.pre[1] is an int, not a string"},
		{"fallback int", with(4, vm.NewList([]vm.Value{vm.Int(1)})), "decision.fallbacks[0] is an int, not a Fallback"},
		{"fallback short", with(4, vm.NewList([]vm.Value{vm.NewRecord([]vm.Value{vm.Int(1), vm.Str("x")})})), "decision.fallbacks[0] is a record of 2 fields, not a Fallback (4 fields)"},
		{"trigger empty", with(4, vm.NewList([]vm.Value{vm.NewRecord([]vm.Value{vm.Duration(0), vm.NewList([]vm.Value{vm.Str("")}), vm.Int(0), vm.Str("a:b")})})), `decision.fallbacks[0].on[0] is "", not one of Trigger`},
		{"trigger", with(4, vm.NewList([]vm.Value{vm.NewRecord([]vm.Value{vm.Duration(0), vm.NewList([]vm.Value{vm.Str("zzz")}), vm.Int(0), vm.Str("a:b")})})), `decision.fallbacks[0].on[0] is "zzz", not one of Trigger`},
	} {
		e := newEngine(t, runtime.Config{})
		s, err := e.LoadBundle(context.Background(), "hostile.rplb", hostileBundle(t, c.v), bundle.ReadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		e.Activate(s)
		o := e.Decide(context.Background(), "", request(t, e, `{"id": "r"}`), time.Time{})
		if o.Err == nil || o.Err.Code != runtime.CodeDecisionFailed || o.Failure == nil || o.Failure.Code != runtime.CodeInvalidDecision || o.Failure.Msg != c.why {
			t.Errorf("%s: err %v, failure %v; want %s", c.name, o.Err, o.Failure, c.why)
		}
		out, code, _ := e.HandleV2(context.Background(), []byte(`{"request": {"id": "r", "tenant": {"id": "t"}}}`), time.Time{}, nil, nil)
		if code != runtime.CodeDecisionFailed || !strings.Contains(string(out), `"vm_code":"invalid_decision"`) {
			t.Errorf("%s: v2 %s %s", c.name, code, out)
		}
		out, code, _ = e.HandleCP1(context.Background(), []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`), runtime.CP1Meta{}, nil, nil)
		if code != runtime.CodeDecisionFailed || !strings.Contains(string(out), `"vm_code":"invalid_decision"`) {
			t.Errorf("%s: CP1 %s %s", c.name, code, out)
		}
	}
	// The good decision is answered.
	e := newEngine(t, runtime.Config{})
	s, err := e.LoadBundle(context.Background(), "good.rplb", hostileBundle(t, vm.NewRecord(good())), bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.Activate(s)
	if o := e.Decide(context.Background(), "", request(t, e, `{"id": "r"}`), time.Time{}); o.Err != nil || e.View(o.Decision).Target() != "openai:gpt-4o" {
		t.Errorf("good: %v %v", o.Err, o.Decision)
	}
}

// TestSignedHostileDecision: a bundle signed with the configured key is
// typed by a compiler the router trusts, so its decisions are checked
// for their length alone (not in every part, as an unsigned bundle's
// are): what is not a record of a Decision's fields is still refused,
// not read out of bounds or answered as a route; unsigned, or loaded
// without the key, the same bundle's Decision of wrong kinds is refused.
func TestSignedHostileDecision(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		v    vm.Value
		why  string
	}{
		{"int", vm.Int(42), "route returned an int, not a Decision"},
		{"none", vm.Value{}, "route returned none, not a Decision"},
		{"record1", vm.NewRecord([]vm.Value{vm.Str("route")}), "route returned a record of 1 fields, not a Decision (15 fields)"},
	} {
		e := newEngine(t, runtime.Config{})
		s, err := e.LoadBundle(context.Background(), "signed.rplb", signedHostileBundle(t, c.v, key), bundle.ReadOptions{PublicKey: pub, RequireSignature: true})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		e.Activate(s)
		o := e.Decide(context.Background(), "", request(t, e, `{"id": "r"}`), time.Time{})
		if o.Err == nil || o.Failure == nil || o.Failure.Code != runtime.CodeInvalidDecision || o.Failure.Msg != c.why {
			t.Errorf("%s: err %v, failure %v; want %s", c.name, o.Err, o.Failure, c.why)
		}
	}
}
