package vm

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

// BuiltinFunc implements a builtin. args is a view into the machine's
// stack, valid only during the call: the function must not retain it (copy
// what it keeps). It must not call back into the Machine that runs it.
//
// A returned *Error keeps its code (for example the fuel_exhausted of a
// failed Charge); any other error becomes a builtin_error.
type BuiltinFunc func(c *Call, args []Value) (Value, error)

// Builtin declares a host function callable by CALL_BUILTIN.
type Builtin struct {
	Name string
	Fn   BuiltinFunc
	// MinArgs and MaxArgs bound the argument count; MaxArgs < 0 means no
	// upper bound. The verifier rejects calls outside the bounds.
	MinArgs, MaxArgs int
	// Cost is the fuel charged for every call, before Fn runs. Fn charges
	// size-proportional work itself with Call.Charge.
	Cost int64
	// Pure declares that Fn has no effect and keeps nothing of its
	// arguments after it returns (its result may contain them). A machine
	// reuses the temporary lists of runs that called only pure builtins
	// (recycle.go); a builtin that is not Pure turns that off for the run.
	Pure bool
}

func (b *Builtin) arity() string {
	switch {
	case b.MaxArgs < 0:
		return strconv.Itoa(b.MinArgs) + " or more"
	case b.MinArgs == b.MaxArgs:
		return strconv.Itoa(b.MinArgs)
	}
	return strconv.Itoa(b.MinArgs) + " to " + strconv.Itoa(b.MaxArgs)
}

// BuiltinTable is an immutable set of builtins, by name. It is safe for
// concurrent use.
type BuiltinTable struct {
	byName map[string]*Builtin
	prep   func(Map) any
}

// SetMapPreparer makes f prepare each map of the constants of the programs
// built with t (NewProgram, Load), once, before the program is returned:
// what f returns, when not nil, is the map's Prepared value in those
// programs, which a builtin reads instead of working it out on every call
// (weighted's order of a constant split). f must be a function of the
// map's keys and values alone, and what it returns must not change
// afterwards: programs run concurrently on their constants. Set it before
// the table is used.
func (t *BuiltinTable) SetMapPreparer(f func(Map) any) { t.prep = f }

// NewBuiltinTable returns a table of bs. Names must be unique and
// non-empty, Fn non-nil, 0 ≤ MinArgs, MaxArgs < 0 or ≥ MinArgs, Cost ≥ 0.
func NewBuiltinTable(bs ...Builtin) (*BuiltinTable, error) {
	t := &BuiltinTable{byName: make(map[string]*Builtin, len(bs))}
	for i := range bs {
		b := bs[i]
		switch {
		case b.Name == "":
			return nil, fmt.Errorf("builtin %d: empty name", i)
		case b.Fn == nil:
			return nil, fmt.Errorf("builtin %q: nil Fn", b.Name)
		case b.MinArgs < 0 || (b.MaxArgs >= 0 && b.MaxArgs < b.MinArgs) || b.MinArgs > 0xFFFF:
			return nil, fmt.Errorf("builtin %q: bad arity %d..%d", b.Name, b.MinArgs, b.MaxArgs)
		case b.Cost < 0:
			return nil, fmt.Errorf("builtin %q: negative cost", b.Name)
		}
		if _, dup := t.byName[b.Name]; dup {
			return nil, fmt.Errorf("builtin %q declared twice", b.Name)
		}
		t.byName[b.Name] = &b
	}
	return t, nil
}

// Lookup returns the builtin named name.
func (t *BuiltinTable) Lookup(name string) (*Builtin, bool) {
	b := t.lookup(name)
	return b, b != nil
}

func (t *BuiltinTable) lookup(name string) *Builtin {
	if t == nil {
		return nil
	}
	return t.byName[name]
}

// Names returns the builtin names, sorted.
func (t *BuiltinTable) Names() []string {
	if t == nil {
		return nil
	}
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Call is what a builtin sees of the run that calls it. It is valid only
// during the call.
type Call struct {
	m        *Machine
	b        *Builtin
	reusable bool   // see Reusable
	steps    uint64 // Pace's count, of this builtin call
}

// Fresh returns a record of slots, which the builtin has just made, and
// marks it as such: when the compiler passes it straight to another
// builtin as its first argument, that builtin may refine it in place
// (Reusable). A builtin must not keep a record it marks fresh.
func (c *Call) Fresh(slots []Value) Value {
	v := NewRecord(slots)
	c.m.fresh = v.p
	return v
}

// Reusable reports whether the builtin may modify the slots of its first
// argument, a record, and return it instead of a copy: the argument was
// made fresh (Fresh) by the builtin called just before, and went straight
// from that call to this one, so nothing else can see it (a chain such as
// to(t).tag(k, v).because(r)). The compiler marks such calls
// (CALL_BUILTIN_TEMP); the machine checks the rest, and forgets a fresh
// record as soon as an instruction could copy it (DUP, STORE_LOCAL, CALL,
// MAKE_*, APPEND*, TRACE), so no bytecode can see a record change. Nested
// values (lists, maps) of the record may be shared and must still never
// be modified.
func (c *Call) Reusable() bool { return c.reusable }

// Name returns the name of the builtin being called.
func (c *Call) Name() string { return c.b.Name }

// Charge consumes fuel; it fails with fuel_exhausted when the run's budget
// is used up. Builtins charge work proportional to their input size.
// As the interpreter does every CheckEvery instructions, Charge checks the
// deadline and the context each time the fuel left crosses a multiple of
// CheckEvery, and fails with deadline_exceeded or canceled when they say
// so: a builtin that charges as it works stops within CheckEvery fuel of
// the deadline. A builtin that charges its work first and then does it
// in steps calls Pace at each step.
func (c *Call) Charge(fuel int64) error {
	// Small enough to inline: the common case, a charge of at most the
	// fuel left above a multiple of CheckEvery (not negative), which is
	// paid and crosses none.
	if uint64(fuel) <= uint64(c.m.fuel&(CheckEvery-1)) {
		c.m.fuel -= fuel
		return nil
	}
	return c.m.chargeSlow(fuel)
}

// Pace is for a builtin that charged its work up front and then does it in
// small steps (a sort's comparisons, the values string writes): it counts
// the steps of this call, from zero whatever ran before it, and checks the
// deadline and the context every CheckEvery of them, as Charge does every
// CheckEvery fuel, so that the builtin stops at the deadline instead of
// doing all that it paid for. It charges nothing.
func (c *Call) Pace() error {
	c.steps++
	if c.steps&(CheckEvery-1) != 0 {
		return nil
	}
	return c.m.interrupted()
}

// PaceBy is Pace for n ≥ 0 steps at once, for a builtin that works
// through its input a block at a time (a search of a long string, a step
// per 16 bytes read as its charge counts them): it checks the deadline
// and the context when the count crosses a multiple of CheckEvery.
func (c *Call) PaceBy(n int64) error {
	c.steps += uint64(n)
	if c.steps&(CheckEvery-1) >= uint64(n) { // no multiple of CheckEvery reached (inlined)
		return nil
	}
	return c.m.interrupted()
}

// Alloc accounts bytes of memory the builtin is about to create (strings,
// lists, maps it returns); it fails with memory_exhausted when the run's
// budget is used up.
func (c *Call) Alloc(bytes int64) error { return c.m.alloc(bytes) }

// Finder is NewFinder(pat, s) for a builtin's search: the table of a
// pattern of more than 64 bytes is accounted to the run's memory
// (FinderBytes) before it is built, unless pat is one of the program's
// constants, whose table is built once for all runs.
func (c *Call) Finder(pat, s string) (Finder, error) { return c.m.finder(pat, s) }

// Now returns the evaluation time of the run (Input.Now).
func (c *Call) Now() time.Time { return c.m.in.Now }

// Seed returns the run's random seed (Input.Seed).
func (c *Call) Seed() uint64 { return c.m.in.Seed }

// Policy is the id of the policy run (Input.Policy).
func (c *Call) Policy() string { return c.m.in.Policy }

// SetNow changes the run's evaluation time for the rest of the run. Only
// test builtins (std/testing) use it: a policy's clock is its input.
func (c *Call) SetNow(t time.Time) { c.m.in.Now = t }

// SetSeed changes the run's random seed for the rest of the run, for test
// builtins (std/testing).
func (c *Call) SetSeed(seed uint64) { c.m.in.Seed = seed }

// Host returns the host state of the run (Input.Host).
func (c *Call) Host() any { return c.m.in.Host }

// Context returns the run's context.
func (c *Call) Context() context.Context { return c.m.ctx }

// Deadline returns when the run must end, the earlier of Limits.Deadline
// and the context's deadline, for a builtin that waits or works long (the
// interpreter itself checks both every CheckEvery instructions).
func (c *Call) Deadline() (time.Time, bool) {
	d := c.m.lim.Deadline
	if cd, ok := c.m.ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
	}
	return d, !d.IsZero()
}

// NewList returns a list of elems and accounts its memory.
func (c *Call) NewList(elems []Value) (Value, error) {
	if err := c.m.alloc(int64(len(elems))*valueSize + listHeader); err != nil {
		return Value{}, err
	}
	return NewList(elems), nil
}

// Values returns n zero values for a record, list or map that the builtin
// makes: memory of the run's arena (Input.Arena) when it has one, else of
// the heap. It does not account the memory (Alloc does).
func (c *Call) Values(n int) []Value { return c.m.in.Arena.Values(n) }

// ListOf returns a list of elems (not copied), made in the run's arena
// when it has one. It does not account the memory.
func (c *Call) ListOf(elems []Value) Value { return c.m.in.Arena.list(elems) }

// Get is Map.Get charged to the run as INDEX_MAP charges it: the bytes of
// a string key (KeyFuel), once for each key of its length that a map of
// up to 8 keys compares it with, once at least.
func (c *Call) Get(m Map, k Value) (Value, bool, error) {
	f := KeyFuel(k)
	if m.m == nil {
		return Value{}, false, c.Charge(f)
	}
	var j int
	if f > 0 {
		var fuel int64
		j, fuel = m.m.findFuel(k, f)
		if err := c.Charge(fuel); err != nil {
			return Value{}, false, err
		}
	} else {
		j = m.m.find(k)
	}
	if j < 0 {
		return Value{}, false, nil
	}
	return m.m.vals[j], true, nil
}

// AscendingOrder is Map.AscendingOrder charged to the run: its
// comparisons, SortFuel of the keys, and the bytes of the string keys
// that checking or sorting their order compares, as Compare charges them
// (the common prefix of each pair; int keys compare free). Past 16 keys,
// keys already in order are charged their check only, 1 per 8: charged
// as sorted, 10,000 keys in order took 4.5 ns of CPU a fuel, in no order
// 110. Every CheckEvery comparisons, it checks the deadline and the
// context (Pace). Once a charge or a check fails, the other comparisons
// return at once and the error is returned.
func (c *Call) AscendingOrder(m Map) ([]int, error) {
	n := m.Len()
	first := SortFuel(n)
	if n > 16 {
		first = int64(n >> 3) // the check; the sort's when it is needed
	}
	if err := c.Charge(first); err != nil {
		return nil, err
	}
	var err error
	cmp := func(a, b Value) int {
		if err != nil {
			return 0
		}
		if err = c.Pace(); err != nil { // the comparisons are charged above
			return 0
		}
		var r int
		r, err = c.Compare(a, b)
		return r
	}
	if m.m == nil || slices.IsSortedFunc(m.m.keys, cmp) || err != nil {
		return nil, err
	}
	if err := c.Charge(SortFuel(n) - first); err != nil {
		return nil, err
	}
	idx := sortedPositions(m.m, cmp)
	return idx, err
}

// MapOf is NewMap, the map made in the run's arena when it has one. It
// does not account the memory, nor charge the keys (MapKeysFuel), which
// the builtin charges first; the build of a large map checks the deadline
// and the context every CheckEvery keys, as Pace does.
func (c *Call) MapOf(keys, vals []Value) (Value, error) {
	return makeMap(c.m.in.Arena, keys, vals, c.m)
}

// NewStr returns a string value and accounts its memory.
func (c *Call) NewStr(s string) (Value, error) {
	if err := c.m.alloc(int64(len(s)) + strHeader); err != nil {
		return Value{}, err
	}
	return Str(s), nil
}
