package stdlib

import (
	"fmt"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/vm"
)

// std/testing: test blocks set the router state that the std/cost, std/ab
// and std/health builtins read, and the run's clock and seed. The state is
// the run's host, which must be a *MemState (rplc test gives every test a
// fresh one); test files alone may import std/testing, and anywhere else
// these builtins fail.

func testState(c *vm.Call) (*MemState, error) {
	s, ok := c.Host().(*MemState)
	if !ok {
		return nil, fmt.Errorf("std/testing needs a test state (run the test with rplc test)")
	}
	return s, nil
}

func testSetSpend(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := testState(c)
	if err != nil {
		return vm.Value{}, err
	}
	tenant := a[0].Str()
	month, day := s.MonthSpend(tenant, time.Time{}), s.DaySpend(tenant, time.Time{})
	if !a[1].IsNil() {
		month = a[1].Money()
	}
	if !a[2].IsNil() {
		day = a[2].Money()
	}
	if err := spendProblem(tenant, month, day); err != nil {
		return vm.Value{}, err
	}
	s.SetSpend(tenant, month, day)
	return vm.Nil(), nil
}

// spendProblem is why set_spend refuses a month or day spend: negative.
func spendProblem(tenant string, month, day int64) error {
	if month < 0 || day < 0 {
		return fmt.Errorf("negative spend for %s (a cost recorded is ≥ 0)", textcut.Cut(tenant, 80))
	}
	return nil
}

func testSetPrice(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := testState(c)
	if err != nil {
		return vm.Value{}, err
	}
	if err := checkTarget(a[0]); err != nil {
		return vm.Value{}, err
	}
	if err := priceProblem(a[0].Str(), a[1].Money(), a[2].Money()); err != nil {
		return vm.Value{}, err
	}
	s.SetPrice(a[0].Str(), Price{Input: a[1].Money(), Output: a[2].Money()})
	return vm.Nil(), nil
}

// priceProblem is why set_price refuses a price: negative.
func priceProblem(target string, input, output int64) error {
	if input < 0 || output < 0 {
		return fmt.Errorf("negative price for %s (a catalogue refuses one)", target)
	}
	return nil
}

func testSetWinner(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := testState(c)
	if err != nil {
		return vm.Value{}, err
	}
	s.SetWinner(a[0].Str(), a[1].Str())
	return vm.Nil(), nil
}

func testSetHealth(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := testState(c)
	if err != nil {
		return vm.Value{}, err
	}
	if err := checkTarget(a[0]); err != nil {
		return vm.Value{}, err
	}
	target := a[0].Str()
	rate := s.ErrorRate(target)
	if !a[2].IsNil() {
		rate = a[2].Float()
		if err := rateProblem(rate); err != nil {
			return vm.Value{}, err
		}
	}
	s.SetHealth(target, a[1].Bool(), rate)
	return vm.Nil(), nil
}

// rateProblem is why set_health refuses an error rate: outside [0, 1].
func rateProblem(rate float64) error {
	if !(rate >= 0 && rate <= 1) { // NaN too
		return fmt.Errorf("error_rate %v outside [0, 1]", rate)
	}
	return nil
}

func testSetLatency(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := testState(c)
	if err != nil {
		return vm.Value{}, err
	}
	if err := checkTarget(a[0]); err != nil {
		return vm.Value{}, err
	}
	d := a[1].Duration()
	if err := latencyProblem(d); err != nil {
		return vm.Value{}, err
	}
	s.SetLatency(a[0].Str(), d)
	return vm.Nil(), nil
}

// latencyProblem is why set_latency refuses a latency: negative.
func latencyProblem(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("latency %v is negative (0s: none observed)", d)
	}
	return nil
}

func testSetNow(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if _, err := testState(c); err != nil {
		return vm.Value{}, err
	}
	t, err := parseNow(a[0].Str())
	if err != nil {
		return vm.Value{}, err
	}
	c.SetNow(t)
	return vm.Nil(), nil
}

// parseNow reads set_now's RFC 3339 time s, which must be one a time
// holds.
func parseNow(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time such as \"2025-06-01T14:00:00Z\", have %q", textcut.Cut(s, 80))
	}
	if !vm.TimeInRange(t) {
		first, last := vm.TimeRange()
		// To the nanosecond: whole seconds would name a first time that
		// is out of range (00:12:43, before 00:12:43.145224192) and a
		// last that is not the last.
		return time.Time{}, fmt.Errorf("%s is out of range (times are from %s to %s)", textcut.Cut(s, 80), first.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano))
	}
	return t, nil
}

func testSetSeed(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if _, err := testState(c); err != nil {
		return vm.Value{}, err
	}
	c.SetSeed(uint64(a[0].Int()))
	return vm.Nil(), nil
}

// TestNow and TestSeed are the clock and seed every policy test starts
// with (until testing.set_now, testing.set_seed): fixed, so tests are
// repeatable.
var TestNow = compiler.TestClock

const TestSeed = 1

// TestInput is the input a test of policy runs with, wherever it runs
// (rplc test, a bundle's build, a router's activation): TestNow, TestSeed,
// a fresh, empty MemState (every provider healthy, nothing spent, no
// experiment winner), and the policy named, with which sticky draws a
// session's target as a router deciding with it does.
func TestInput(policy string) vm.Input {
	return vm.Input{Now: TestNow, Seed: TestSeed, Host: &MemState{}, Policy: policy}
}

// SkipError is what testing.skip returns: the test runner reports the
// test as skipped (find it with errors.As on the run's error).
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

func testSkip(c *vm.Call, a []vm.Value) (vm.Value, error) {
	if _, err := testState(c); err != nil {
		return vm.Value{}, err
	}
	return vm.Value{}, &SkipError{Reason: a[0].Str()}
}
