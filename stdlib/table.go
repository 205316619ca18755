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
		n, most := len(b.Type.Params), len(b.Type.Params)
		if compiler.TakesShape(b) {
			most++
		}
		bs = append(bs, vm.Builtin{Name: b.Key(), Fn: d.Fn, MinArgs: n, MaxArgs: most, Cost: d.Decl.Cost, Pure: d.Decl.Pure})
	}
	t, err := vm.NewBuiltinTable(bs...)
	if err != nil {
		return nil, err
	}
	t.SetMapPreparer(prepareSplit)
	return t, nil
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
	d, dec := &l.decision, "Decision"
	slots := []struct {
		rec, field string
		dst        *int
	}{
		{dec, "action", &d.action}, {dec, "target", &d.target}, {dec, "split", &d.split},
		{dec, "fallbacks", &d.fallbacks}, {dec, "sticky_key", &d.stickyKey}, {dec, "sticky_ttl", &d.stickyTTL},
		{dec, "pre", &d.pre}, {dec, "validators", &d.validators}, {dec, "post", &d.post},
		{dec, "tags", &d.tags}, {dec, "experiment", &d.experiment}, {dec, "arm", &d.arm},
		{dec, "deny_reason", &d.denyReason}, {dec, "reason", &d.reason}, {dec, "priority", &d.priority},
		{"Fallback", "target", &l.fallback.target}, {"Fallback", "on", &l.fallback.on},
		{"Fallback", "retries", &l.fallback.retries}, {"Fallback", "backoff", &l.fallback.backoff},
		{"Price", "input", &l.price.input}, {"Price", "output", &l.price.output},
		{"Tenant", "id", &l.tenant.id}, {"Tenant", "budget", &l.tenant.budget},
		{"Budget", "monthly", &l.budget.monthly},
		{"Request", "estimate", &l.request.estimate},
		{"Estimate", "input_tokens", &l.estimate.input}, {"Estimate", "output_tokens", &l.estimate.output},
	}
	for _, s := range slots {
		r, err := preludeRecord(u, s.rec)
		if err != nil {
			return nil, err
		}
		if *s.dst = r.FieldIndex(s.field); *s.dst < 0 {
			return nil, fmt.Errorf("stdlib: prelude type %s has no field %s", s.rec, s.field)
		}
	}
	// The records named above exist: the loop found their fields.
	decision, _ := preludeRecord(u, dec)
	fallback, _ := preludeRecord(u, "Fallback")
	price, _ := preludeRecord(u, "Price")
	d.n, l.fallback.n, l.price.n = len(decision.Fields), len(fallback.Fields), len(price.Fields)
	if l.fallback.n != 4 || l.price.n != 2 {
		return nil, fmt.Errorf("stdlib: Fallback has %d fields and Price %d; the builders fill 4 and 2", l.fallback.n, l.price.n)
	}

	// Defaults: every field at its zero value (compiler.ZeroValue: strings
	// "", lists and maps empty, durations 0s, enums their first member),
	// action "route", priority 50.
	l.blank = slices.Clone(compiler.ZeroValue(decision).Record())
	l.blank[d.action] = vm.Str("route")
	l.blank[d.priority] = vm.Int(DefaultPriority)
	return l, nil
}

// preludeRecord returns the record type the prelude declares as name.
func preludeRecord(u *lang.Universe, name string) (*lang.Record, error) {
	o := u.Types[name]
	if o == nil {
		return nil, fmt.Errorf("stdlib: the prelude declares no type %s", name)
	}
	r, ok := o.Type.(*lang.Record)
	if !ok {
		return nil, fmt.Errorf("stdlib: prelude type %s is not a record", name)
	}
	return r, nil
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
