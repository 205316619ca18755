package vm

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// limitProgram has functions that each break one limit, called from an
// outer function so the backtraces have two frames.
func limitProgram(t testing.TB) *Program {
	return build(t, []Value{Str("xx"), Int(0), Int(1)}, nil, nil, nil,
		fn{name: "spin", lines: []LineEntry{{0, 3, 5}}, asm: func(a *Assembler) {
			a.Label("top")
			a.Emit(OpJmp, a.JumpTo("top"))
		}},
		fn{name: "recurse", lines: []LineEntry{{0, 7, 3}}, asm: func(a *Assembler) {
			a.Emit(OpCall, 1, 0)
			a.Emit(OpReturn)
		}},
		fn{name: "double", locals: 1, lines: []LineEntry{{0, 11, 2}, {5, 12, 9}}, asm: func(a *Assembler) {
			a.Emit(OpConst, 0)
			a.Emit(OpStoreLocal, 0)
			a.Label("top")
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpDup)
			a.Emit(OpConcat)
			a.Emit(OpStoreLocal, 0)
			a.Emit(OpJmp, a.JumpTo("top"))
		}},
		fn{name: "grow", locals: 1, asm: func(a *Assembler) {
			a.Emit(OpMakeList, 0)
			a.Emit(OpStoreLocal, 0)
			a.Label("top")
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpConst, 1)
			a.Emit(OpAppend)
			a.Emit(OpStoreLocal, 0)
			a.Emit(OpJmp, a.JumpTo("top"))
		}},
		// outer(i) calls outer2(i), which calls spin, recurse, double or grow.
		fn{name: "outer", params: 1, lines: []LineEntry{{0, 20, 1}, {3, 22, 4}, {8, 23, 1}}, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 0)
			a.Emit(OpCall, 5, 1) // outer2
			a.Emit(OpReturn)
		}},
		fn{name: "outer2", params: 1, asm: func(a *Assembler) {
			for i := range 4 {
				a.Emit(OpLoadLocal, 0)
				a.Emit(OpConst, 1)
				for range i {
					a.Emit(OpConst, 2)
					a.Emit(OpAddInt)
				}
				a.Emit(OpEq)
				a.Emit(OpJmpIfFalse, a.JumpTo("next"+itoa(i)))
				a.Emit(OpCall, i, 0)
				a.Emit(OpReturn)
				a.Label("next" + itoa(i))
			}
			a.Emit(OpNil)
			a.Emit(OpReturn)
		}},
	)
}

func TestLimits(t *testing.T) {
	p := limitProgram(t)
	healthy := build(t, []Value{Int(0)}, nil, nil, nil, fn{name: "filter", params: 1, locals: 5, asm: filterPositive})
	cases := []struct {
		name  string
		which int64
		lim   Limits
		ctx   func() (context.Context, context.CancelFunc)
		code  Code
		inner string
		msg   string
	}{
		{"fuel", 0, Limits{Fuel: 10000}, nil, CodeFuelExhausted, "spin", "test.rpl:3:5: fuel exhausted (limit 10000)"},
		{"depth", 1, Limits{MaxDepth: 50}, nil, CodeStackOverflow, "recurse", "test.rpl:7:3: stack overflow (call depth limit 50)"},
		{"depth-default", 1, Limits{}, nil, CodeStackOverflow, "recurse", ""},
		{"string-doubling", 2, Limits{Memory: 1 << 20}, nil, CodeMemoryExhausted, "double", "test.rpl:12:9: memory exhausted (limit 1048576 bytes)"},
		{"giant-list", 3, Limits{Memory: 1 << 20, Fuel: 1 << 40}, nil, CodeMemoryExhausted, "grow", ""},
		{"deadline", 0, Limits{Fuel: 1 << 50}, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, CodeDeadlineExceeded, "spin", ""},
		{"deadline-limit", 0, Limits{Fuel: 1 << 50, Deadline: time.Now().Add(20 * time.Millisecond)}, nil, CodeDeadlineExceeded, "spin", ""},
		{"canceled", 0, Limits{Fuel: 1 << 50}, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(10*time.Millisecond, cancel)
			return ctx, cancel
		}, CodeCanceled, "spin", ""},
	}
	m := NewMachine()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = c.ctx()
				defer cancel()
			}
			_, st, err := m.RunNamed(ctx, p, "outer", []Value{Int(c.which)}, c.lim, Input{})
			e := wantCode(t, err, c.code)
			if c.msg != "" && e.Error() != c.msg {
				t.Errorf("Error() = %q, want %q", e.Error(), c.msg)
			}
			if e.Stack[0].Func != c.inner {
				t.Errorf("innermost frame %s, want %s", e.Stack[0].Func, c.inner)
			}
			bt := e.Backtrace()
			if !strings.Contains(bt, "at outer2 (test.rpl:") || !strings.Contains(bt, "at outer (test.rpl:22:4)") {
				t.Errorf("backtrace lacks callers:\n%s", bt)
			}
			switch c.code {
			case CodeFuelExhausted:
				if st.Fuel != c.lim.Fuel {
					t.Errorf("fuel used %d, want %d", st.Fuel, c.lim.Fuel)
				}
			case CodeMemoryExhausted:
				if st.Memory < c.lim.Memory {
					t.Errorf("memory used %d, want ≥ %d", st.Memory, c.lim.Memory)
				}
			}
			// The machine (and the process) are healthy afterwards.
			v, _, err := m.RunNamed(context.Background(), healthy, "filter", []Value{NewList([]Value{Int(1), Int(-1)})}, Limits{}, Input{})
			if err != nil || v.Len() != 1 {
				t.Fatalf("healthy run after %s: %v %v", c.name, v, err)
			}
		})
	}
}

func TestCanceledBeforeRun(t *testing.T) {
	p := limitProgram(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := NewMachine().RunNamed(ctx, p, "outer", []Value{Int(0)}, Limits{}, Input{})
	wantCode(t, err, CodeCanceled)
}

func TestFuelExact(t *testing.T) {
	// main: 3 instructions (CONST CONST ADD_INT) + RETURN = 4 fuel.
	p := straight(t, []Value{Int(1)}, nil, I(OpConst, 0), I(OpConst, 0), I(OpAddInt))
	m := NewMachine()
	_, st, err := m.RunNamed(context.Background(), p, "main", nil, Limits{Fuel: 4}, Input{})
	if err != nil || st.Fuel != 4 {
		t.Fatalf("fuel 4: %v %+v", err, st)
	}
	_, _, err = m.RunNamed(context.Background(), p, "main", nil, Limits{Fuel: 3}, Input{})
	wantCode(t, err, CodeFuelExhausted)
}

func TestBadRun(t *testing.T) {
	p := limitProgram(t)
	m := NewMachine()
	_, _, err := m.RunNamed(context.Background(), p, "outer", nil, Limits{}, Input{})
	wantCode(t, err, CodeInternal)
	_, _, err = m.RunNamed(context.Background(), p, "nope", nil, Limits{}, Input{})
	wantCode(t, err, CodeInternal)
	_, _, err = m.Run(context.Background(), p, 99, nil, Limits{}, Input{})
	wantCode(t, err, CodeInternal)
}

// Call.Deadline is the earlier of Limits.Deadline and the context's.
func TestCallDeadline(t *testing.T) {
	var got time.Time
	var ok bool
	bt, err := NewBuiltinTable(Builtin{Name: "dl", Fn: func(c *Call, a []Value) (Value, error) {
		got, ok = c.Deadline()
		return Nil(), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := build(t, nil, nil, bt, []string{"dl"}, fn{name: "main", asm: func(a *Assembler) {
		a.Emit(OpCallBuiltin, 0, 0)
		a.Emit(OpReturn)
	}})
	near, far := time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)
	ctxNear, cancel := context.WithDeadline(context.Background(), near)
	defer cancel()
	ctxFar, cancel2 := context.WithDeadline(context.Background(), far)
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		lim  time.Time
		want time.Time
	}{
		{"none", context.Background(), time.Time{}, time.Time{}},
		{"limit", context.Background(), far, far},
		{"context", ctxNear, time.Time{}, near},
		{"limit earlier", ctxFar, near, near},
		{"context earlier", ctxNear, far, near},
	} {
		if _, _, err := NewMachine().Run(c.ctx, p, 0, nil, Limits{Deadline: c.lim}, Input{}); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(c.want) || ok != !c.want.IsZero() {
			t.Errorf("%s: Deadline() = %v, %v; want %v", c.name, got, ok, c.want)
		}
	}
}

// TestLimitsLoopCallingBuiltin: a loop whose body calls a builtin is
// stopped by the deadline and the context as a loop without one is. Each
// builtin call hands the interpreter's chunk of fuel back to the reserve;
// taking a fresh chunk after it restarted the count to the next check, so
// such a loop ran past its deadline (and its canceled context) for as long
// as its fuel lasted.
func TestLimitsLoopCallingBuiltin(t *testing.T) {
	bt, err := NewBuiltinTable(Builtin{Name: "id", MinArgs: 1, MaxArgs: 1, Pure: true, Cost: 1,
		Fn: func(c *Call, a []Value) (Value, error) { return a[0], nil }})
	if err != nil {
		t.Fatal(err)
	}
	// spin() = loop { id(1) }
	p := build(t, []Value{Int(1)}, nil, bt, []string{"id"}, fn{name: "spin", asm: func(a *Assembler) {
		a.Label("top")
		a.Emit(OpConst, 0)
		a.Emit(OpCallBuiltin, 0, 1)
		a.Emit(OpPop)
		a.Emit(OpJmp, a.JumpTo("top"))
	}})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	const fuel = 1 << 20 // enough for the loop to run long past a check
	for _, c := range []struct {
		name string
		ctx  context.Context
		lim  Limits
		code Code
	}{
		{"deadline", context.Background(), Limits{Fuel: fuel, Deadline: time.Now().Add(-time.Second)}, CodeDeadlineExceeded},
		{"canceled", canceled, Limits{Fuel: fuel}, CodeCanceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, st, err := NewMachine().Run(c.ctx, p, 0, nil, c.lim, Input{})
			wantCode(t, err, c.code)
			// Stopped at the first check: within a chunk of CheckEvery
			// instructions, and the fuel the builtin calls in it charged.
			if st.Fuel > 2*CheckEvery {
				t.Errorf("stopped after %d fuel, want at most %d", st.Fuel, 2*CheckEvery)
			}
		})
	}
}

// TestLimitsInsideBuiltin: a builtin's work is stopped by the deadline and
// the context within CheckEvery fuel of it, as the interpreter's is, with
// the same error at the call. A builtin that charges as it works is
// stopped by Charge (which checked neither, so a builtin that worked long,
// a sort, ran past the deadline for all the fuel it had); one that charged
// its work first and then does it in steps, by Pace. The clock is the
// machine's (SetClock): the deadline passes after a number of its reads.
// The context is canceled by the builtin, at its first step.
func TestLimitsInsideBuiltin(t *testing.T) {
	const steps = 1 << 16 // what each builtin would work
	var (
		done   int                // steps the last call worked
		cancel context.CancelFunc // called at the first step when not nil
	)
	step := func() {
		if done == 0 && cancel != nil {
			cancel()
		}
	}
	bt, err := NewBuiltinTable(
		Builtin{Name: "charging", MinArgs: 0, MaxArgs: 0, Pure: true, Cost: 1,
			Fn: func(c *Call, _ []Value) (Value, error) {
				for done = 0; done < steps; done++ {
					step()
					if err := c.Charge(1); err != nil {
						return Value{}, err
					}
				}
				return Nil(), nil
			}},
		Builtin{Name: "paced", MinArgs: 0, MaxArgs: 0, Pure: true, Cost: 1,
			Fn: func(c *Call, _ []Value) (Value, error) {
				if err := c.Charge(steps); err != nil {
					return Value{}, err
				}
				for done = 0; done < steps; done++ {
					step()
					if err := c.Pace(); err != nil {
						return Value{}, err
					}
				}
				return Nil(), nil
			}},
	)
	if err != nil {
		t.Fatal(err)
	}
	call := func(i int) fn {
		return fn{name: "main", lines: []LineEntry{{PC: 0, Line: 3, Col: 5}}, asm: func(a *Assembler) {
			a.Emit(OpCallBuiltin, i, 0)
			a.Emit(OpReturn)
		}}
	}
	spin := fn{name: "main", lines: []LineEntry{{PC: 0, Line: 3, Col: 5}}, asm: func(a *Assembler) {
		a.Label("top")
		a.Emit(OpJmp, a.JumpTo("top"))
	}}
	deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	// clock passes the deadline after its first `before` reads.
	clock := func(before int, reads *int) func() time.Time {
		return func() time.Time {
			*reads++
			if *reads <= before {
				return deadline.Add(-time.Second)
			}
			return deadline.Add(time.Second)
		}
	}
	lim := Limits{Fuel: 1 << 30, Deadline: deadline}
	// The interpreter's error, for comparison: a loop at the deadline.
	var reads int
	m := NewMachine()
	m.SetClock(clock(0, &reads))
	_, _, loopErr := m.Run(context.Background(), build(t, nil, nil, nil, nil, spin), 0, nil, lim, Input{})
	want := wantCode(t, loopErr, CodeDeadlineExceeded)
	for _, c := range []struct {
		name     string
		builtin  int
		canceled bool
		before   int // clock reads before the deadline
	}{
		// charging's 1,024th charge crosses a multiple of CheckEvery.
		{"charging", 0, false, 0},
		{"charging-later", 0, false, 3},
		{"charging-canceled", 0, true, 1 << 30},
		// paced's charge is the first check, then every CheckEvery steps.
		{"paced", 1, false, 1},
		{"paced-later", 1, false, 4},
		{"paced-canceled", 1, true, 1 << 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := build(t, nil, nil, bt, []string{"charging", "paced"}, call(c.builtin))
			ctx := context.Background()
			cancel = nil
			if c.canceled {
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
			}
			var reads int
			m := NewMachine()
			m.SetClock(clock(c.before, &reads))
			_, _, err := m.Run(ctx, p, 0, nil, lim, Input{})
			limit := CheckEvery
			if c.canceled {
				wantCode(t, err, CodeCanceled)
			} else {
				e := wantCode(t, err, CodeDeadlineExceeded)
				if e.Msg != want.Msg {
					t.Errorf("message %q, want the interpreter's %q", e.Msg, want.Msg)
				}
				if reads != c.before+1 {
					t.Errorf("the clock was read %d times, want %d", reads, c.before+1)
				}
				limit = (c.before + 1) * CheckEvery
			}
			if e := err.(*Error); len(e.Stack) != 1 || e.Stack[0] != want.Stack[0] {
				t.Errorf("stack %v, want the call's %v", e.Stack, want.Stack)
			}
			// Stopped within CheckEvery of the check after the deadline.
			if done > limit {
				t.Errorf("stopped after %d steps of %d, want at most %d", done, steps, limit)
			}
		})
	}
}

// TestPutForgetsClock: a machine put back in the pool reads time.Now
// again, whatever clock it was given (SetClock).
func TestPutForgetsClock(t *testing.T) {
	m := NewMachine()
	m.SetClock(func() time.Time { return time.Time{} })
	Put(m)
	if m.clock != nil {
		t.Error("Put kept the machine's clock")
	}
}

// TestPaceCountsPerCall: Pace checks the deadline at the CheckEvery-th step
// of each builtin call, whatever ran before on the machine: the steps of an
// earlier call, of the same run or of an earlier one, do not move the
// check. The count was the machine's and carried over, so a call's check
// came CheckEvery steps after some step of an earlier call.
func TestPaceCountsPerCall(t *testing.T) {
	var (
		step  int   // the step the paced call is at
		reads []int // the steps at which the clock was read
	)
	bt, err := NewBuiltinTable(Builtin{Name: "pace", MinArgs: 1, MaxArgs: 1, Pure: true,
		Fn: func(c *Call, a []Value) (Value, error) {
			for step = 1; step <= int(a[0].Int()); step++ {
				if err := c.Pace(); err != nil {
					return Value{}, err
				}
			}
			return Nil(), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	// main() = pace(n) for each constant n
	pace := func(ns ...int64) *Program {
		consts := make([]Value, len(ns))
		for i, n := range ns {
			consts[i] = Int(n)
		}
		return build(t, consts, nil, bt, []string{"pace"}, fn{name: "main", asm: func(a *Assembler) {
			for i := range ns {
				a.Emit(OpConst, i)
				a.Emit(OpCallBuiltin, 0, 1)
				a.Emit(OpPop)
			}
			a.Emit(OpConst, 0)
			a.Emit(OpReturn)
		}})
	}
	m := NewMachine()
	m.SetClock(func() time.Time {
		reads = append(reads, step)
		return time.Time{}
	})
	lim := Limits{Deadline: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	run := func(p *Program) {
		t.Helper()
		reads = nil
		if _, _, err := m.Run(context.Background(), p, 0, nil, lim, Input{}); err != nil {
			t.Fatal(err)
		}
	}
	want := []int{CheckEvery, 2 * CheckEvery}
	run(pace(2 * CheckEvery))
	if !slices.Equal(reads, want) {
		t.Fatalf("first call: clock read at steps %v, want %v", reads, want)
	}
	// An earlier call of the same run.
	run(pace(100, 2*CheckEvery))
	if !slices.Equal(reads, want) {
		t.Errorf("after a call of 100 steps: clock read at steps %v, want %v", reads, want)
	}
	// An earlier run of the machine.
	run(pace(CheckEvery - 1))
	if len(reads) != 0 {
		t.Errorf("a call of %d steps read the clock at steps %v", CheckEvery-1, reads)
	}
	run(pace(2 * CheckEvery))
	if !slices.Equal(reads, want) {
		t.Errorf("after a run of %d steps: clock read at steps %v, want %v", CheckEvery-1, reads, want)
	}
}

// TestMakeMapPaced: MAKE_MAP charges its keys (1 fuel each) before it
// builds the map, which takes about 100 times the time of an instruction's
// fuel per key; the build checks the deadline and the context after every
// CheckEvery keys it indexes, so a run reads the clock at least once per
// CheckEvery fuel it spends, the keys' included. The build checked
// neither: a map of 32,768 keys ran 2 to 10 ms past the check at its
// charge. With a repeated key, the build indexes the keys twice (the
// second time to drop the repeats) and checks in both passes.
func TestMakeMapPaced(t *testing.T) {
	const n = 4 * CheckEvery
	deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name    string
		key     func(i int) Value
		entries int
		index   int // times the keys are indexed
	}{
		{"distinct", func(i int) Value { return Int(int64(i)) }, n, 1},
		{"repeated", func(i int) Value { return Str("k" + strconv.Itoa(i%(n-1))) }, n - 1, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			consts := make([]Value, n)
			for i := range consts {
				consts[i] = c.key(i)
			}
			p := one(t, consts, func(a *Assembler) {
				for i := range n {
					a.Emit(OpConst, i)
					a.Emit(OpConst, i)
				}
				a.Emit(OpMakeMap, n)
				a.Emit(OpReturn)
			})
			var reads int
			m := NewMachine()
			m.SetClock(func() time.Time {
				reads++
				return deadline.Add(-time.Second)
			})
			lim := Limits{Deadline: deadline}
			v, st, err := m.Run(context.Background(), p, 0, nil, lim, Input{})
			if err != nil {
				t.Fatal(err)
			}
			if v.Map().Len() != c.entries {
				t.Fatalf("%d entries", v.Map().Len())
			}
			// 2n instructions and n keys charged; the build's checks.
			if want := int(st.Fuel/CheckEvery) + (c.index-1)*n/CheckEvery; reads < want {
				t.Errorf("%d fuel spent, the clock read %d times, want %d at least", st.Fuel, reads, want)
			}
			// A deadline that passes at the last read stops the run.
			total := reads
			reads = 0
			m.SetClock(func() time.Time {
				if reads++; reads < total {
					return deadline.Add(-time.Second)
				}
				return deadline.Add(time.Second)
			})
			_, _, err = m.Run(context.Background(), p, 0, nil, lim, Input{})
			wantCode(t, err, CodeDeadlineExceeded)
		})
	}
}

// TestMakeMapIllTyped: a MAKE_MAP key that is neither a string nor an int,
// which only ill-typed code (not the compiler's) makes, fails as
// ill-typed code does elsewhere, naming the key's kind.
func TestMakeMapIllTyped(t *testing.T) {
	p := one(t, []Value{Str("a"), Float(1.5)}, func(a *Assembler) {
		a.Emit(OpConst, 0)
		a.Emit(OpConst, 0)
		a.Emit(OpConst, 1)
		a.Emit(OpConst, 0)
		a.Emit(OpMakeMap, 2)
		a.Emit(OpReturn)
	})
	_, _, err := NewMachine().Run(context.Background(), p, 0, nil, Limits{}, Input{})
	e := wantCode(t, err, CodeInternal)
	if want := "ill-typed code: MAKE_MAP on float"; e.Msg != want {
		t.Errorf("message %q, want %q", e.Msg, want)
	}
}

// TestSearchPaced: the interpreter's searches (IN_STR, STR_TEST_CONST's
// contains) charge the whole search first, then read the string a block
// of SearchBlock bytes (CheckEvery fuel) at a time, checking the deadline
// between two, so a run reads the clock at least once per 2·CheckEvery
// fuel it spends. They searched the whole string at once, after one
// check: a 15 MB string for a 101-byte pattern took 40 ms. An occurrence
// across two blocks is found.
func TestSearchPaced(t *testing.T) {
	long := strings.Repeat("a", 100) + "b"
	inStr := build(t, nil, nil, nil, nil, fn{name: "main", params: 2, asm: func(a *Assembler) {
		a.Emit(OpLoadLocal, 0)
		a.Emit(OpLoadLocal, 1)
		a.Emit(OpInStr)
		a.Emit(OpReturn)
	}})
	strTest := func(pat string) *Program {
		return build(t, []Value{Str(pat)}, nil, nil, nil, fn{name: "main", params: 2, asm: func(a *Assembler) {
			a.Emit(OpLoadLocal, 1)
			a.Emit(OpStrTestConst, StrContains, 0)
			a.Emit(OpReturn)
		}})
	}
	deadline := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := strings.Repeat("a", 1<<20)
	for _, c := range []struct {
		name string
		p    *Program
		pat  string
	}{
		{"IN_STR, long pattern", inStr, long},
		{"IN_STR, short pattern", inStr, "ab"},
		{"STR_TEST_CONST, long pattern", strTest(long), long},
		{"STR_TEST_CONST, short pattern", strTest("ab"), "ab"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var reads int
			m := NewMachine()
			m.SetClock(func() time.Time {
				reads++
				return deadline.Add(-time.Second)
			})
			args := []Value{Str(c.pat), Str(s)}
			v, st, err := m.Run(context.Background(), c.p, 0, args, Limits{Deadline: deadline}, Input{})
			if err != nil {
				t.Fatal(err)
			}
			if v.Bool() {
				t.Fatal("found")
			}
			if want := int(st.Fuel / (2 * CheckEvery)); reads < want {
				t.Errorf("%d fuel spent, the clock read %d times, want %d at least", st.Fuel, reads, want)
			}
			// Across blocks: the pattern's last byte in the next block, or
			// its first.
			for _, at := range []int{SearchBlock - len(c.pat) + 1, SearchBlock - 1, 2*SearchBlock - 1} {
				args[1] = Str(s[:at] + c.pat + s[:SearchBlock])
				if v, _, err := m.Run(context.Background(), c.p, 0, args, Limits{}, Input{}); err != nil || !v.Bool() {
					t.Errorf("pattern at %d: %v, %v", at, v, err)
				}
			}
		})
	}
}
