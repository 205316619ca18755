package vm

import (
	"context"
	"fmt"
)

// Fold calls the builtin name of t on constant arguments outside any run,
// for compile-time evaluation of pure builtins (`to("openai:gpt-4o")`
// becomes a constant decision). The call is bounded by lim like a run; it
// sees no clock, seed or host, so only pure builtins may be folded. Values
// it creates belong to no run: a later APPEND copies them before writing.
// A Go panic in the builtin is returned as an internal error. spent is
// the fuel the call spent: all of lim's when it ran out, never more.
func Fold(t *BuiltinTable, name string, args []Value, lim Limits) (v Value, spent int64, err error) {
	b := t.lookup(name)
	if b == nil {
		return Value{}, 0, fmt.Errorf("fold: no builtin %q", name)
	}
	if len(args) < b.MinArgs || (b.MaxArgs >= 0 && len(args) > b.MaxArgs) {
		return Value{}, 0, fmt.Errorf("fold: %s takes %s arguments, got %d", name, b.arity(), len(args))
	}
	lim = lim.withDefaults()
	m := &Machine{lim: lim, fuel: lim.Fuel, mem: lim.Memory, ctx: context.Background()}
	m.call = Call{m: m, b: b}
	defer func() {
		if r := recover(); r != nil {
			v, err = Value{}, &Error{Code: CodeInternal, Msg: fmt.Sprintf("builtin %s panicked: %v", name, r)}
		}
		spent = lim.Fuel - max(m.fuel, 0)
	}()
	if err := m.call.Charge(b.Cost); err != nil {
		return Value{}, 0, err
	}
	v, err = b.Fn(&m.call, args)
	return v, 0, err
}
