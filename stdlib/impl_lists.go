package stdlib

import (
	"cmp"
	"math"
	"math/bits"
	"slices"

	"github.com/rpl-lang/rpl/vm"
)

// List and map builtins charge 1 fuel per 8 elements they visit (sort:
// n·log2 n / 2, stableSortFuel; keys and values: vm.SortFuel) and account the lists they create. Lists are immutable, so
// a result equal to the input (sort of a sorted list, reverse of one
// element, keys of a map already in order) is the input's own storage.

func chargeElems(c *vm.Call, n int) error { return c.Charge(int64(n) >> 3) }

func listContains(c *vm.Call, a []vm.Value) (vm.Value, error) {
	xs, x := a[0].List(), a[1]
	for i, e := range xs {
		// c.Equal charges what comparing nested values walks.
		if eq, err := c.Equal(e, x); err != nil || eq {
			return vm.Bool(eq), cmp.Or(err, chargeElems(c, i+1))
		}
	}
	return vm.Bool(false), chargeElems(c, len(xs))
}

// stableSortFuel is the fuel of sort's stable sort of n values: 1 per 2
// of n·log2(n), for its comparisons (through Call.Compare, which charges
// nested values' walk besides) and the moves of its merges. It was
// vm.SortFuel, 1 per 8: 10,000 ints or short strings sorted at 170 to 280
// ns a fuel (BenchmarkSortFuel), where lists of lists, whose comparisons
// are charged, took 33 to 41, and matches 8 to 60.
func stableSortFuel(n int) int64 { return int64(n) * int64(bits.Len(uint(n))) >> 1 }

func listSort(c *vm.Call, a []vm.Value) (vm.Value, error) {
	xs := a[0].List()
	n := len(xs)
	if err := c.Charge(stableSortFuel(n)); err != nil {
		return vm.Value{}, err
	}
	// c.Compare charges what comparing nested values walks, and c.Pace
	// checks the deadline every CheckEvery comparisons (charged above);
	// their first error ends the sort's work (the other comparisons then
	// return at once) and is the builtin's.
	var err error
	compare := func(x, y vm.Value) int {
		if err != nil {
			return 0
		}
		if err = c.Pace(); err != nil {
			return 0
		}
		var r int
		r, err = c.Compare(x, y)
		return r
	}
	if slices.IsSortedFunc(xs, compare) && err == nil {
		return a[0], nil
	}
	if err != nil {
		return vm.Value{}, err
	}
	if err := c.Alloc(listBytes(n)); err != nil {
		return vm.Value{}, err
	}
	out := c.Values(n)
	copy(out, xs)
	slices.SortStableFunc(out, compare)
	if err != nil {
		return vm.Value{}, err
	}
	return c.ListOf(out), nil
}

func listReverse(c *vm.Call, a []vm.Value) (vm.Value, error) {
	xs := a[0].List()
	if len(xs) <= 1 {
		return a[0], nil
	}
	if err := chargeElems(c, len(xs)); err != nil {
		return vm.Value{}, err
	}
	if err := c.Alloc(listBytes(len(xs))); err != nil {
		return vm.Value{}, err
	}
	out := c.Values(len(xs))
	copy(out, xs)
	slices.Reverse(out)
	return c.ListOf(out), nil
}

func listFirst(c *vm.Call, a []vm.Value) (vm.Value, error) {
	xs := a[0].List()
	if len(xs) == 0 {
		return vm.Nil(), nil
	}
	return xs[0], nil
}

func listLast(c *vm.Call, a []vm.Value) (vm.Value, error) {
	xs := a[0].List()
	if len(xs) == 0 {
		return vm.Nil(), nil
	}
	return xs[len(xs)-1], nil
}

// sumInts is the sum of xs, ints or money (what): an error when it is out
// of what's range.
func sumInts(c *vm.Call, xs []vm.Value, what string) (int64, error) {
	if err := chargeElems(c, len(xs)); err != nil {
		return 0, err
	}
	s, ok := sumExact(xs)
	if !ok {
		return 0, outOfRange(c, "the sum", what)
	}
	return s, nil
}

// sumExact is the sum of the ints (money's nano-units) xs, and whether
// it is in the int range.
func sumExact(xs []vm.Value) (int64, bool) {
	// The sum is exact whatever the order of xs: a partial sum may leave
	// the int range as long as the total is in it ([max, 1, -1] is max).
	// wraps counts the times the 64-bit sum wrapped around, up (+1) or
	// down (-1); the total is s + wraps·2⁶⁴, which fits when wraps is 0.
	var s, wraps int64
	for _, x := range xs {
		y := x.Int()
		r := s + y
		switch {
		case y > 0 && r < s:
			wraps++
		case y < 0 && r > s:
			wraps--
		}
		s = r
	}
	return s, wraps == 0
}

func listSumInt(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := sumInts(c, a[0].List(), "int")
	return vm.Int(s), err
}

func listSumMoney(c *vm.Call, a []vm.Value) (vm.Value, error) {
	s, err := sumInts(c, a[0].List(), "money")
	return vm.Money(s), err
}

func listSumFloat(c *vm.Call, a []vm.Value) (vm.Value, error) {
	xs := a[0].List()
	if err := chargeElems(c, len(xs)); err != nil {
		return vm.Value{}, err
	}
	var s float64
	for _, x := range xs {
		s += x.Float()
	}
	return vm.Float(s), nil
}

// listRange returns [0, n); empty for n ≤ 0. Memory is accounted before
// the list is made, so a huge n fails with memory_exhausted.
func listRange(c *vm.Call, a []vm.Value) (vm.Value, error) {
	n := a[0].Int()
	if n <= 0 {
		return emptyList, nil
	}
	b := int64(math.MaxInt64)
	if n < 1<<40 {
		b = listBytes(int(n))
	}
	if err := c.Alloc(b); err != nil {
		return vm.Value{}, err
	}
	if err := chargeElems(c, int(n)); err != nil {
		return vm.Value{}, err
	}
	out := c.Values(int(n))
	for i := range out {
		out[i] = vm.Int(int64(i))
	}
	return c.ListOf(out), nil
}

func mapKeys(c *vm.Call, a []vm.Value) (vm.Value, error) { return mapColumn(c, a[0].Map(), true) }

func mapValues(c *vm.Call, a []vm.Value) (vm.Value, error) { return mapColumn(c, a[0].Map(), false) }

func mapColumn(c *vm.Call, m vm.Map, keys bool) (vm.Value, error) {
	n := m.Len()
	if n == 0 {
		return emptyList, nil
	}
	col := m.Values()
	if keys {
		col = m.Keys()
	}
	// The order check, and a sort when the keys are not in order, charge
	// their comparisons and the bytes of the keys they compare, as sort
	// does.
	idx, err := c.AscendingOrder(m)
	if err != nil {
		return vm.Value{}, err
	}
	if idx == nil {
		// The map's own storage, shared: it is immutable, and a list the
		// run did not create is copied by APPEND, never written.
		return c.ListOf(col[:n:n]), c.Alloc(listHeader)
	}
	if err := c.Alloc(listBytes(n)); err != nil {
		return vm.Value{}, err
	}
	out := c.Values(n)
	for i, j := range idx {
		out[i] = col[j]
	}
	return c.ListOf(out), nil
}

// mapGet charges finding the key as m[key] does (INDEX_MAP): 1 per 64
// bytes of a string key, which the map hashes or compares (Call.Get).
func mapGet(c *vm.Call, a []vm.Value) (vm.Value, error) {
	v, ok, err := c.Get(a[0].Map(), a[1])
	if err != nil || ok {
		return v, err
	}
	return a[2], nil
}
