package stdlib

import (
	"math"
	"regexp/syntax"
	"time"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// Check-time refusals (lang.BuiltinDecl.ConstCheck): why a call whose
// arguments are constants always fails when it runs, for the checker's
// RPL326. Each calls the validation its builtin's implementation calls,
// on the same values, so that the warning says what the run fails with.
// An argument that is not constant (lang.NotConst) is one the check
// cannot judge: it is skipped, or stands for a value the run accepts.

// constStr is the string constant v.
func constStr(v lang.ConstValue) (vm.Value, bool) {
	s, ok := v.(string)
	return vm.Str(s), ok
}

// constInt is the int, money, duration or time constant v, in its
// 64-bit representation.
func constInt(v lang.ConstValue) (int64, bool) {
	n, ok := v.(int64)
	return n, ok
}

// constSplit is the map[string, int] constant v, as the run builds it,
// a weight that is not constant 0; all reports whether every weight is
// constant.
func constSplit(v lang.ConstValue) (split vm.Map, all, ok bool) {
	m, ok := v.(lang.ConstMap)
	if !ok || len(m.Keys) != len(m.Values) {
		return vm.Map{}, false, false
	}
	all = true
	keys, vals := make([]vm.Value, len(m.Keys)), make([]vm.Value, len(m.Values))
	for i := range m.Keys {
		k, kok := m.Keys[i].(string)
		w, wok := m.Values[i].(int64)
		if !wok && m.Values[i] == lang.NotConst {
			w, wok, all = 0, true, false
		}
		if !kok || !wok {
			return vm.Map{}, false, false
		}
		keys[i], vals[i] = vm.Str(k), vm.Int(w)
	}
	sm, err := vm.NewMap(keys, vals)
	if err != nil {
		return vm.Map{}, false, false
	}
	return sm.Map(), all, true
}

// targetArg is a ConstCheck of a builtin that checks the target at
// argument i as to does (checkTarget), and nothing else.
func targetArg(i int) func([]lang.ConstValue) (int, string) {
	return func(args []lang.ConstValue) (int, string) {
		if t, ok := constStr(args[i]); ok {
			if err := checkTarget(t); err != nil {
				return i, err.Error()
			}
		}
		return -1, ""
	}
}

// constTo: to(target).
var constTo = targetArg(0)

// constFallback: fallback(d, target, on?, retries?, backoff?): the
// target, then the triggers, retries and backoff, in the order decFallback
// checks them; one that is not constant stands for its default.
func constFallback(args []lang.ConstValue) (int, string) {
	if i, why := targetArg(1)(args); why != "" {
		return i, why
	}
	for i := 2; i <= 4; i++ {
		on, retries, backoff := anyError, vm.Int(0), vm.Duration(0)
		switch i {
		case 2:
			l, ok := args[i].(lang.ConstList)
			if !ok {
				continue
			}
			on = vm.NewList(make([]vm.Value, len(l)))
		case 3:
			n, ok := constInt(args[i])
			if !ok {
				continue
			}
			retries = vm.Int(n)
		case 4:
			n, ok := constInt(args[i])
			if !ok {
				continue
			}
			backoff = vm.Duration(time.Duration(n))
		}
		if err := fallbackProblem(on, retries, backoff); err != nil {
			return i, err.Error()
		}
	}
	return -1, ""
}

// constWeighted: weighted(split): its targets (checkSplitTargets), then
// the draw's refusals (splitProblem), known when some weights are not
// constant.
func constWeighted(args []lang.ConstValue) (int, string) {
	split, all, ok := constSplit(args[0])
	if !ok {
		return -1, ""
	}
	if err := checkSplitTargets(split); err != nil {
		return 0, err.Error()
	}
	return splitProblem(0, split, all)
}

// splitProblem is the refusal of a draw from the split at argument i (a
// constant): pickWeighted's. A weight that is not constant, 0 in split
// (all false), is one the run takes when it is not negative: a negative
// constant weight, or constant weights beyond 2^62, fail whatever it is,
// weights summing to 0 only when all are constant.
func splitProblem(i int, split vm.Map, all bool) (int, string) {
	if split.Len() == 0 {
		return i, errEmptySplit.Error()
	}
	if _, err := splitTotal(split); err != nil && (all || err != errZeroWeights) {
		return i, err.Error()
	}
	return -1, ""
}

// constArm: ab.arm(experiment, key, split): the draw's refusals.
func constArm(args []lang.ConstValue) (int, string) {
	split, all, ok := constSplit(args[2])
	if !ok {
		return -1, ""
	}
	if _, err := splitTotal(split); err == errEmptyTarget {
		return 2, errEmptyArm.Error()
	}
	return splitProblem(2, split, all)
}

// constSticky: sticky(d, key, ttl?): a ttl that is not positive.
func constSticky(args []lang.ConstValue) (int, string) {
	if n, ok := constInt(args[2]); ok {
		if err := stickyTTLProblem(vm.Duration(time.Duration(n))); err != nil {
			return 2, err.Error()
		}
	}
	return -1, ""
}

// emptyArg is a ConstCheck of a builtin that refuses an empty string at
// argument i with err.
func emptyArg(i int, err error) func([]lang.ConstValue) (int, string) {
	return func(args []lang.ConstValue) (int, string) {
		if s, ok := constStr(args[i]); ok && s.Len() == 0 {
			return i, err.Error()
		}
		return -1, ""
	}
}

// constTag: tag(d, key, value): an empty key. constExtension: pre,
// validate and post (d, extension): an empty name.
var (
	constTag       = emptyArg(1, errEmptyTagKey)
	constExtension = emptyArg(1, errEmptyExtension)
)

// constMatches: matches(s, pattern): a pattern RE2 refuses, parsed as
// matches parses it (compilePattern, whose only refusal is the parse's:
// regexp.Compile fails only where syntax.Parse does). It does not compile
// the pattern: a constant of 30 KB compiled to 3 million instructions,
// 150 MB and seconds of the checker's, at every check of the file. Nor
// does it parse one whose Unicode classes and case folding cost more
// than a run's default fuel (maxCheckParseFuel): its parse takes
// seconds ((?i)[\x{100}-\x{1e943}] 2000 times, 7 s), and a run under
// the default limits fails before it parses it.
func constMatches(args []lang.ConstValue) (int, string) {
	p, ok := args[1].(string)
	if !ok || reClassFuel(p) > maxCheckParseFuel {
		return -1, ""
	}
	if _, err := syntax.Parse(p, syntax.Perl); err != nil {
		return 1, matchesError(err).Error()
	}
	return -1, ""
}

// constMatchesFuel: matches(s, pattern) of a constant pattern charges,
// beyond its Cost, the parsing and compiling of the pattern at each call
// (cached or not: the charge does not depend on the cache), whatever s:
// what the run charges (reTextFuel, reClassFuel, reFuel) for an empty s;
// what matching s takes grows with s. 0 for a pattern that is not
// constant, or that the run refuses (RPL326).
func constMatchesFuel(args []lang.ConstValue) int64 {
	p, ok := args[1].(string)
	if !ok {
		return 0
	}
	fixed := reTextFuel(p) + reClassFuel(p)
	if fixed > maxCheckParseFuel {
		return fixed // not parsed here, its compiling not counted: already past the default fuel
	}
	tree, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return 0
	}
	return min(reFuel(reProgSize(tree), 0), math.MaxInt64-fixed) + fixed
}

// maxCheckParseFuel is the most parse fuel (classFuel, foldFuel) of a
// pattern constMatches parses: vm.DefaultFuel.
const maxCheckParseFuel = vm.DefaultFuel

// constBucket: bucket(key, n): a count that is not positive.
func constBucket(args []lang.ConstValue) (int, string) {
	if n, ok := constInt(args[1]); ok {
		if err := bucketProblem(n); err != nil {
			return 1, err.Error()
		}
	}
	return -1, ""
}

// constSetSpend: testing.set_spend(tenant, month?, day?): a negative
// amount.
func constSetSpend(args []lang.ConstValue) (int, string) {
	tenant, _ := args[0].(string) // named in the message only
	for i := 1; i <= 2; i++ {
		n, ok := constInt(args[i])
		if !ok {
			continue
		}
		month, day := int64(0), int64(0)
		if i == 1 {
			month = n
		} else {
			day = n
		}
		if err := spendProblem(tenant, month, day); err != nil {
			if _, known := args[0].(string); !known {
				return i, "negative spend (a cost recorded is ≥ 0)"
			}
			return i, err.Error()
		}
	}
	return -1, ""
}

// constSetPrice: testing.set_price(target, input, output): the target,
// then a negative price.
func constSetPrice(args []lang.ConstValue) (int, string) {
	if i, why := targetArg(0)(args); why != "" {
		return i, why
	}
	target, known := args[0].(string)
	for i := 1; i <= 2; i++ {
		n, ok := constInt(args[i])
		if !ok {
			continue
		}
		if err := priceProblem(target, n, 0); err != nil {
			if !known {
				return i, "negative price (a catalogue refuses one)"
			}
			return i, err.Error()
		}
	}
	return -1, ""
}

// constSetHealth: testing.set_health(target, healthy, error_rate?): the
// target, then a rate outside [0, 1].
func constSetHealth(args []lang.ConstValue) (int, string) {
	if i, why := targetArg(0)(args); why != "" {
		return i, why
	}
	if r, ok := args[2].(float64); ok {
		if err := rateProblem(r); err != nil {
			return 2, err.Error()
		}
	}
	return -1, ""
}

// constSetLatency: testing.set_latency(target, latency): the target,
// then a negative latency.
func constSetLatency(args []lang.ConstValue) (int, string) {
	if i, why := targetArg(0)(args); why != "" {
		return i, why
	}
	if n, ok := constInt(args[1]); ok {
		if err := latencyProblem(time.Duration(n)); err != nil {
			return 1, err.Error()
		}
	}
	return -1, ""
}

// constSetNow: testing.set_now(t): not an RFC 3339 time a time holds.
func constSetNow(args []lang.ConstValue) (int, string) {
	if s, ok := args[0].(string); ok {
		if _, err := parseNow(s); err != nil {
			return 0, err.Error()
		}
	}
	return -1, ""
}

// floatConv is a ConstCheck of a conversion of a float to an int or
// money (what) by conv (int, money, round, floor, ceil): a float it
// has no value for.
func floatConv(conv func(float64) (int64, bool), what string) func([]lang.ConstValue) (int, string) {
	return func(args []lang.ConstValue) (int, string) {
		if x, ok := args[0].(float64); ok {
			if _, fits := conv(x); !fits {
				return 0, noIntProblem(x, what)
			}
		}
		return -1, ""
	}
}

var (
	constIntFloat = floatConv(truncInt, "int")
	constMoney    = floatConv(moneyNanos, "money")
	constRound    = floatConv(roundInt, "int")
	constFloor    = floatConv(floorInt, "int")
	constCeil     = floatConv(ceilInt, "int")
)

// constAbs: abs(x: int): the smallest int, whose absolute value is not
// one.
func constAbs(args []lang.ConstValue) (int, string) {
	if x, ok := constInt(args[0]); ok {
		if _, fits := absInt(x); !fits {
			return 0, absProblem
		}
	}
	return -1, ""
}

// constSumInt and constSumMoney: sum of a list of ints or money: a total
// out of the range.
func constSumInt(args []lang.ConstValue) (int, string)   { return constSum(args, "int") }
func constSumMoney(args []lang.ConstValue) (int, string) { return constSum(args, "money") }

func constSum(args []lang.ConstValue, what string) (int, string) {
	l, ok := args[0].(lang.ConstList)
	if !ok {
		return -1, ""
	}
	xs := make([]vm.Value, len(l))
	for i, v := range l {
		n, ok := constInt(v)
		if !ok {
			return -1, ""
		}
		xs[i] = vm.Int(n)
	}
	if _, fits := sumExact(xs); !fits {
		return 0, outOfRangeProblem("the sum", what)
	}
	return -1, ""
}

// foldConst is the universe's lang.UniverseConfig.Fold: a call of a pure
// builtin on constants, evaluated as the compiler folds it
// (compiler.FoldBuiltin, bounded by its fuel and memory budget and by fuel), for the
// checker to judge the arguments it reaches (to("a:" + lower(k))). A
// call that fails, runs out of its budget or of fuel, or makes a record
// is not folded.
func foldConst(b *lang.Builtin, args []lang.ConstValue, types []lang.Type, fuel int64) (lang.ConstValue, int64, bool) {
	tab, err := Table()
	if err != nil || !b.Pure || len(args) != len(types) {
		return nil, 0, false
	}
	vals := make([]vm.Value, len(args))
	var first lang.Type
	for i, a := range args {
		v, ok := constToValue(a, types[i], 0)
		if !ok {
			return nil, 0, false
		}
		vals[i] = v
		if i == 0 {
			first = types[i]
		}
	}
	v, spent, err := compiler.FoldBuiltin(tab, b, vals, first, fuel)
	if err != nil {
		return nil, spent, false
	}
	c, ok := valueToConst(v, 0)
	return c, spent, ok
}

// maxFoldDepth bounds the nesting of the values foldConst converts.
const maxFoldDepth = 16

// constToValue is the constant v of type t (nil for an omitted optional
// argument, none) as the run holds it.
func constToValue(v lang.ConstValue, t lang.Type, depth int) (vm.Value, bool) {
	if v == nil {
		return vm.Nil(), true
	}
	if depth > maxFoldDepth || v == lang.NotConst {
		return vm.Value{}, false
	}
	t = lang.Unwrap(t)
	switch x := v.(type) {
	case lang.ConstList:
		lt, ok := t.(*lang.List)
		if !ok {
			return vm.Value{}, false
		}
		elems := make([]vm.Value, len(x))
		for i, e := range x {
			if elems[i], ok = constToValue(e, lt.Elem, depth+1); !ok {
				return vm.Value{}, false
			}
		}
		return vm.NewList(elems), true
	case lang.ConstMap:
		mt, ok := t.(*lang.Map)
		if !ok || len(x.Keys) != len(x.Values) {
			return vm.Value{}, false
		}
		keys, vals := make([]vm.Value, len(x.Keys)), make([]vm.Value, len(x.Values))
		for i := range x.Keys {
			var kok, vok bool
			keys[i], kok = constToValue(x.Keys[i], mt.Key, depth+1)
			vals[i], vok = constToValue(x.Values[i], mt.Elem, depth+1)
			if !kok || !vok {
				return vm.Value{}, false
			}
		}
		m, err := vm.NewMap(keys, vals)
		return m, err == nil
	}
	return compiler.Scalar(v, t)
}

// valueToConst is the run's value v as a constant: false for a record.
func valueToConst(v vm.Value, depth int) (lang.ConstValue, bool) {
	if depth > maxFoldDepth {
		return nil, false
	}
	switch v.Kind() {
	case vm.KindNil:
		return nil, true
	case vm.KindBool:
		return v.Bool(), true
	case vm.KindInt, vm.KindDuration, vm.KindMoney, vm.KindTime:
		return v.Int(), true // one int64 behind each (vm.Value)
	case vm.KindFloat:
		return v.Float(), true
	case vm.KindString:
		return v.Str(), true
	case vm.KindList:
		l := make(lang.ConstList, len(v.List()))
		for i, e := range v.List() {
			c, ok := valueToConst(e, depth+1)
			if !ok {
				return nil, false
			}
			l[i] = c
		}
		return l, true
	case vm.KindMap:
		m := v.Map()
		cm := lang.ConstMap{Keys: make([]lang.ConstValue, m.Len()), Values: make([]lang.ConstValue, m.Len())}
		for i, k := range m.Keys() {
			var kok, vok bool
			cm.Keys[i], kok = valueToConst(k, depth+1)
			cm.Values[i], vok = valueToConst(m.Values()[i], depth+1)
			if !kok || !vok {
				return nil, false
			}
		}
		return cm, true
	}
	return nil, false
}
