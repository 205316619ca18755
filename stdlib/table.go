package stdlib

import (
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

var (
	tableOnce sync.Once
	table     *vm.BuiltinTable
	tableErr  error
)

// Table returns the run-time table of the standard library's builtins,
// built once and shared (it is immutable). Each builtin is named by its
// link name, lang.Builtin.Key() (`len(string)`, `cost.month_spend(Tenant)`),
// which is what compiled programs refer to; it takes exactly as many
// arguments as it has parameters (an omitted optional argument arrives as
// none) and costs its declared Cost. The builtins the compiler lowers
// (filter, map, any, all, count, min_by, max_by) are not in the table.
func Table() (*vm.BuiltinTable, error) {
	tableOnce.Do(func() { table, tableErr = buildTable() })
	return table, tableErr
}

func buildTable() (*vm.BuiltinTable, error) {
	u, err := Universe()
	if err != nil {
		return nil, err
	}
	l, err := newLayouts(u)
	if err != nil {
		return nil, err
	}
	lay = l
	defs := Defs()
	if len(defs) != len(u.Builtins) {
		return nil, fmt.Errorf("stdlib: %d definitions, %d builtins in the universe", len(defs), len(u.Builtins))
	}
	bs := make([]vm.Builtin, 0, len(defs))
	for i, d := range defs {
		b := u.Builtins[i]
		if b.Name != d.Decl.Name || b.Module != d.Decl.Module {
			return nil, fmt.Errorf("stdlib: builtin %d is %s, want %s", i, b.QualifiedName(), d.Decl.Name)
		}
		if d.Fn == nil {
			continue
		}
		n := len(b.Type.Params)
		bs = append(bs, vm.Builtin{Name: b.Key(), Fn: d.Fn, MinArgs: n, MaxArgs: n, Cost: d.Decl.Cost, Pure: d.Decl.Pure})
	}
	return vm.NewBuiltinTable(bs...)
}

// Slot layouts of the prelude records the builtins build or read, from the
// universe's record types (fields sorted by name; a field's index is its
// run-time slot). Set once by buildTable, before any builtin can run.
var lay *layouts

type layouts struct {
	decision struct {
		n                                                      int
		action, target, split, fallbacks, stickyKey, stickyTTL int
		pre, validators, post, tags, experiment, arm           int
		denyReason, reason, priority                           int
	}
	fallback struct{ n, target, on, retries, backoff int }
	price    struct{ n, input, output int }
	tenant   struct{ id, budget int }
	budget   struct{ monthly int }
	request  struct{ estimate int }
	estimate struct{ input, output int }

	// blank is a decision with every slot at its default; builders copy it.
	blank []vm.Value
}

func newLayouts(u *lang.Universe) (*layouts, error) {
	l := new(layouts)
	var err error
	rec := func(name string) *lang.Record {
		if err != nil {
			return nil
		}
		o := u.Types[name]
		if o == nil {
			err = fmt.Errorf("stdlib: the prelude declares no type %s", name)
			return nil
		}
		r, ok := o.Type.(*lang.Record)
		if !ok {
			err = fmt.Errorf("stdlib: prelude type %s is not a record", name)
			return nil
		}
		return r
	}
	field := func(r *lang.Record, name string) int {
		if r == nil {
			return 0
		}
		i := r.FieldIndex(name)
		if i < 0 && err == nil {
			err = fmt.Errorf("stdlib: prelude type %s has no field %s", r.Name, name)
		}
		return i
	}
	d := rec("Decision")
	if d != nil {
		l.decision.n = len(d.Fields)
	}
	l.decision.action = field(d, "action")
	l.decision.target = field(d, "target")
	l.decision.split = field(d, "split")
	l.decision.fallbacks = field(d, "fallbacks")
	l.decision.stickyKey = field(d, "sticky_key")
	l.decision.stickyTTL = field(d, "sticky_ttl")
	l.decision.pre = field(d, "pre")
	l.decision.validators = field(d, "validators")
	l.decision.post = field(d, "post")
	l.decision.tags = field(d, "tags")
	l.decision.experiment = field(d, "experiment")
	l.decision.arm = field(d, "arm")
	l.decision.denyReason = field(d, "deny_reason")
	l.decision.reason = field(d, "reason")
	l.decision.priority = field(d, "priority")

	f := rec("Fallback")
	if f != nil {
		l.fallback.n = len(f.Fields)
	}
	l.fallback.target = field(f, "target")
	l.fallback.on = field(f, "on")
	l.fallback.retries = field(f, "retries")
	l.fallback.backoff = field(f, "backoff")

	p := rec("Price")
	if p != nil {
		l.price.n = len(p.Fields)
	}
	l.price.input = field(p, "input")
	l.price.output = field(p, "output")

	t := rec("Tenant")
	l.tenant.id = field(t, "id")
	l.tenant.budget = field(t, "budget")
	l.budget.monthly = field(rec("Budget"), "monthly")
	l.request.estimate = field(rec("Request"), "estimate")
	e := rec("Estimate")
	l.estimate.input = field(e, "input_tokens")
	l.estimate.output = field(e, "output_tokens")
	if err != nil {
		return nil, err
	}
	if l.fallback.n != 4 || l.price.n != 2 {
		return nil, fmt.Errorf("stdlib: Fallback has %d fields and Price %d; the builders fill 4 and 2", l.fallback.n, l.price.n)
	}

	// Defaults: every field at its zero value (compiler.ZeroValue: strings
	// "", lists and maps empty, durations 0s), action "route", priority 50.
	b := slices.Clone(compiler.ZeroValue(d).Record())
	b[l.decision.action] = vm.Str("route")
	b[l.decision.priority] = vm.Int(DefaultPriority)
	l.blank = b
	return l, nil
}

// DefaultPriority is the priority of a decision that sets none.
const DefaultPriority = 50

// Shared immutable values. Lists and maps made here belong to no run, so
// the VM's in-place APPEND never writes them.
var (
	emptyList = vm.NewList(nil)
	emptyMap  = mustMap(nil, nil)
	anyError  = vm.NewList([]vm.Value{vm.Str("any_error")})
)

func mustMap(keys, vals []vm.Value) vm.Value {
	m, err := vm.NewMap(keys, vals)
	if err != nil {
		panic(err) // only called with no keys
	}
	return m
}

// Memory accounting, in the VM's units (see vm.Call.NewList, NewStr).
const (
	valueSize    = int64(unsafe.Sizeof(vm.Value{}))
	strHeader    = 16
	listHeader   = 48
	recordHeader = 16
)

func listBytes(n int) int64   { return int64(n)*valueSize + listHeader }
func recordBytes(n int) int64 { return int64(n)*valueSize + recordHeader }

// mapBytes estimates a map of n entries like the VM does: keys, values and
// a hash index past 8 entries.
func mapBytes(n int) int64 {
	b := int64(n)*2*valueSize + 64
	if n > 8 {
		b += int64(n) * 48
	}
	return b
}

// chargeBytes charges fuel for scanning n bytes: 1 per 16.
func chargeBytes(c *vm.Call, n int) error { return c.Charge(int64(n) >> 4) }
