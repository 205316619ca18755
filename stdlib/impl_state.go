package stdlib

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/vm"
)

// std/cost, std/ab and std/health: reads of router state through the
// interfaces of state.go, found on the run's host; neutral defaults when
// the host does not implement them.

// lookupKey is the name k (a target, an experiment, a tenant's id) that
// a builtin looks up in the host's state, charged as finding a key in a
// map is (vm.KeyFuel: 1 per 64 bytes, none for a shorter one): the state
// hashes or compares all of it, and cost.price and ab.winner of a 1 MiB
// name took about 21 µs a call on 3 fuel. It is charged with a host or
// without, so that a run costs the same on the router, in a test and in
// rplc eval.
func lookupKey(c *vm.Call, k vm.Value) (string, error) {
	return k.Str(), c.Charge(vm.KeyFuel(k))
}

// tenantID is the id of the Tenant t, charged as lookupKey.
func tenantID(c *vm.Call, t vm.Value) (string, error) {
	if s := t.Record(); len(s) > lay.tenant.id {
		return lookupKey(c, s[lay.tenant.id])
	}
	return "", nil
}

func monthSpend(c *vm.Call, t vm.Value) (int64, error) {
	id, err := tenantID(c, t)
	if err != nil {
		return 0, err
	}
	if s, ok := c.Host().(CostState); ok {
		return s.MonthSpend(id, c.Now()), nil
	}
	return 0, nil
}

func costMonthSpend(c *vm.Call, a []vm.Value) (vm.Value, error) {
	n, err := monthSpend(c, a[0])
	return vm.Money(n), err
}

func costDaySpend(c *vm.Call, a []vm.Value) (vm.Value, error) {
	id, err := tenantID(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	if s, ok := c.Host().(CostState); ok {
		return vm.Money(s.DaySpend(id, c.Now())), nil
	}
	return vm.Money(0), nil
}

func costPrice(c *vm.Call, a []vm.Value) (vm.Value, error) {
	target, err := lookupKey(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	s, ok := c.Host().(CostState)
	if !ok {
		return vm.Nil(), nil
	}
	p, ok := s.Price(target)
	if !ok {
		return vm.Nil(), nil
	}
	if err := c.Alloc(recordBytes(lay.price.n)); err != nil {
		return vm.Value{}, err
	}
	slots := c.Values(lay.price.n)
	slots[lay.price.input] = vm.Money(p.Input)
	slots[lay.price.output] = vm.Money(p.Output)
	return vm.NewRecord(slots), nil
}

// costEstimate is input_tokens × input price + output_tokens × output
// price, prices per million tokens, rounded once to the nano-unit, half
// to even (Price.Cost). Negative token counts count as 0.
func costEstimate(c *vm.Call, a []vm.Value) (vm.Value, error) {
	target, err := lookupKey(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	s, ok := c.Host().(CostState)
	if !ok {
		return vm.Money(0), nil
	}
	p, ok := s.Price(target)
	if !ok {
		return vm.Money(0), nil
	}
	var in, out int64
	if r := a[1].Record(); len(r) > lay.request.estimate {
		if e := r[lay.request.estimate].Record(); len(e) > max(lay.estimate.input, lay.estimate.output) {
			in, out = e[lay.estimate.input].Int(), e[lay.estimate.output].Int()
		}
	}
	if p.Input < 0 || p.Output < 0 {
		return vm.Value{}, fmt.Errorf("negative price for %s", a[0].Str())
	}
	sum, ok := p.Cost(in, out)
	if !ok {
		return vm.Value{}, outOfRange(c, fmt.Sprintf("the cost of %d input and %d output tokens", max(in, 0), max(out, 0)), "money")
	}
	return vm.Money(sum), nil
}

// Cost is what in input and out output tokens cost at p, in nano-units
// (cost.estimate; CP1's expected_cost), rounded once, half to even: false
// when it does not fit. Negative token counts count as 0.
func (p Price) Cost(in, out int64) (int64, bool) {
	return perMillion(max(in, 0), p.Input, max(out, 0), p.Output)
}

// perMillion is (in × inPrice + out × outPrice) / 1e6 for non-negative
// operands, computed exactly (128 bits) and rounded once, half to even as
// money is (language.md §6.2); false when it does not fit in an int64.
// Rounding each product before adding charged 500,000 input and 500,000
// output tokens at $0.000000001 a million each $0.000000002.
func perMillion(in, inPrice, out, outPrice int64) (int64, bool) {
	hi1, lo1 := bits.Mul64(uint64(in), uint64(inPrice))
	hi2, lo2 := bits.Mul64(uint64(out), uint64(outPrice))
	lo, carry := bits.Add64(lo1, lo2, 0)
	hi, carry := bits.Add64(hi1, hi2, carry)
	if carry != 0 || hi >= 1e6 {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, 1e6)
	if r > 5e5 || r == 5e5 && q&1 == 1 {
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	return int64(q), true
}

func costRemaining(c *vm.Call, a []vm.Value) (vm.Value, error) {
	var budget int64
	if t := a[0].Record(); len(t) > lay.tenant.budget {
		if b := t[lay.tenant.budget].Record(); len(b) > lay.budget.monthly {
			budget = b[lay.budget.monthly].Money()
		}
	}
	spend, err := monthSpend(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	left := budget - spend
	switch {
	case spend > 0 && left > budget:
		// Below money's range: below $0, which the answer never is (a
		// negative budget, a spend of billions: int_overflow before).
		return vm.Money(0), nil
	case spend < 0 && left < budget:
		return vm.Value{}, outOfRange(c, fmt.Sprintf("the budget %s minus the spend %s", vm.Money(budget), vm.Money(spend)), "money")
	}
	return vm.Money(max(left, 0)), nil
}

// abArm assigns key to an arm of experiment: the arm whose range of
// cumulative weight (arms in ascending name order) holds
// splitmix64(fnv1a(experiment, 0, key)) mod the total weight, or the
// promoted winner when the experiment has one, which must be an arm of the
// split. The split is checked either way, so that a policy's error does
// not depend on the router's state. The assignment is recorded on a host
// that implements ArmRecorder.
func abArm(c *vm.Call, a []vm.Value) (vm.Value, error) {
	exp, key, split := a[0].Str(), a[1].Str(), a[2].Map()
	if err := chargeBytes(c, len(exp)+len(key)); err != nil {
		return vm.Value{}, err
	}
	arm, err := pickWeighted(c, split, mix64(pairSeed(exp, key)))
	if err != nil {
		return vm.Value{}, armProblem(err)
	}
	if s, ok := c.Host().(ExperimentState); ok {
		if w, ok := s.Winner(exp); ok {
			if arm, ok = armNamed(split, w); !ok {
				return vm.Value{}, fmt.Errorf("winner %q of experiment %q is not an arm of the split", textcut.Cut(w, 80), textcut.Cut(exp, 80))
			}
		}
	}
	if r, ok := c.Host().(ArmRecorder); ok {
		r.RecordArm(exp, arm.Str())
	}
	return arm, nil
}

// armNamed is the key of split named name.
func armNamed(split vm.Map, name string) (vm.Value, bool) {
	for _, k := range split.Keys() {
		if k.Str() == name {
			return k, true
		}
	}
	return vm.Value{}, false
}

func abWinner(c *vm.Call, a []vm.Value) (vm.Value, error) {
	exp, err := lookupKey(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	if s, ok := c.Host().(ExperimentState); ok {
		if w, ok := s.Winner(exp); ok {
			return c.NewStr(w)
		}
	}
	return vm.Nil(), nil
}

func healthHealthy(c *vm.Call, a []vm.Value) (vm.Value, error) {
	target, err := lookupKey(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	if s, ok := c.Host().(HealthState); ok {
		return vm.Bool(s.Healthy(target)), nil
	}
	return vm.Bool(true), nil
}

func healthLatency(c *vm.Call, a []vm.Value) (vm.Value, error) {
	target, err := lookupKey(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	if s, ok := c.Host().(HealthState); ok {
		if d, ok := s.Latency(target); ok {
			return vm.Duration(d), nil
		}
	}
	return vm.Duration(DefaultLatency), nil
}

func healthErrorRate(c *vm.Call, a []vm.Value) (vm.Value, error) {
	target, err := lookupKey(c, a[0])
	if err != nil {
		return vm.Value{}, err
	}
	if s, ok := c.Host().(HealthState); ok {
		return vm.Float(s.ErrorRate(target)), nil
	}
	return vm.Float(0), nil
}
