package stdlib

import "github.com/rpl-lang/rpl/lang"

// coreDecls: strings, math, conversions, lists, maps, time, hashing.
var coreDecls = []lang.BuiltinDecl{
	// Strings.
	{Name: "len", Sig: "(s: string) -> int", Doc: "Number of bytes of s.", Cost: 1, Pure: true},
	{Name: "len", Sig: "(xs: list[T]) -> int", Doc: "Number of elements of xs.", Cost: 1, Pure: true},
	{Name: "len", Sig: "(m: map[K, V]) -> int", Doc: "Number of entries of m.", Cost: 1, Pure: true},
	{Name: "lower", Sig: "(s: string) -> string", Doc: "s with Unicode letters mapped to lower case.", Cost: 2, Pure: true},
	{Name: "upper", Sig: "(s: string) -> string", Doc: "s with Unicode letters mapped to upper case.", Cost: 2, Pure: true},
	{Name: "trim", Sig: "(s: string) -> string", Doc: "s without leading and trailing white space.", Cost: 2, Pure: true},
	{Name: "starts_with", Sig: "(s: string, prefix: string) -> bool", Doc: "Whether s begins with prefix.", Cost: 1, Pure: true},
	{Name: "ends_with", Sig: "(s: string, suffix: string) -> bool", Doc: "Whether s ends with suffix.", Cost: 1, Pure: true},
	{Name: "contains", Sig: "(s: string, sub: string) -> bool", Doc: "Whether sub occurs in s (same as sub in s).", Cost: 2, Pure: true},
	{Name: "contains", Sig: "(xs: list[T], x: T) -> bool", Doc: "Whether x is an element of xs (same as x in xs).", Cost: 2, Pure: true},
	{Name: "replace", Sig: "(s: string, old: string, new: string) -> string", Doc: "s with every occurrence of old replaced by new.", Cost: 3, Pure: true},
	{Name: "split", Sig: "(s: string, sep: string) -> list[string]", Doc: "The substrings of s between occurrences of sep.", Cost: 3, Pure: true},
	{Name: "join", Sig: "(xs: list[string], sep: string) -> string", Doc: "The elements of xs joined by sep.", Cost: 3, Pure: true},
	{Name: "substr", Sig: "(s: string, start: int, end: int) -> string", Doc: "The bytes of s from start up to end, clamped to the string.", Cost: 2, Pure: true},
	{Name: "matches", Sig: "(s: string, pattern: string) -> bool", Doc: "Whether s matches the RE2 regular expression pattern. A constant pattern is compiled once, with the policy.", Cost: 10, Pure: true},
	{Name: "json_get", Sig: "(doc: string, path: string) -> string?", Doc: "The value at a dotted path (a.b.0.c) in the JSON document doc, as a string (numbers and booleans in their JSON spelling), or none.", Cost: 10, Pure: true},

	// Conversions.
	{Name: "string", Sig: "(x: T) -> string", Doc: "x in its literal spelling: 42, 0.5, 250ms, $0.0025, true; strings unchanged.", Cost: 2, Pure: true},
	{Name: "int", Sig: "(x: float) -> int", Doc: "x truncated toward zero.", Cost: 1, Pure: true},
	{Name: "int", Sig: "(s: string) -> int?", Doc: "The decimal integer in s, or none.", Cost: 2, Pure: true},
	{Name: "float", Sig: "(x: int) -> float", Doc: "x as a float.", Cost: 1, Pure: true},
	{Name: "float", Sig: "(x: money) -> float", Doc: "The amount x in currency units, as a float (for ratios; sums stay in money).", Cost: 1, Pure: true},
	{Name: "float", Sig: "(s: string) -> float?", Doc: "The decimal number in s, or none.", Cost: 2, Pure: true},
	{Name: "money", Sig: "(x: float) -> money", Doc: "x currency units as money, rounded half to even at 9 decimals.", Cost: 1, Pure: true},
	{Name: "millis", Sig: "(d: duration) -> int", Doc: "d in whole milliseconds.", Cost: 1, Pure: true},
	{Name: "seconds", Sig: "(d: duration) -> float", Doc: "d in seconds.", Cost: 1, Pure: true},

	// Math.
	{Name: "abs", Sig: "(x: int) -> int", Doc: "The absolute value of x.", Cost: 1, Pure: true},
	{Name: "abs", Sig: "(x: float) -> float", Doc: "The absolute value of x.", Cost: 1, Pure: true},
	{Name: "min", Sig: "(a: int, b: int) -> int", Doc: "The smaller of a and b.", Cost: 1, Pure: true},
	{Name: "min", Sig: "(a: float, b: float) -> float", Doc: "The smaller of a and b.", Cost: 1, Pure: true},
	{Name: "min", Sig: "(a: money, b: money) -> money", Doc: "The smaller of a and b.", Cost: 1, Pure: true},
	{Name: "min", Sig: "(a: duration, b: duration) -> duration", Doc: "The smaller of a and b.", Cost: 1, Pure: true},
	{Name: "max", Sig: "(a: int, b: int) -> int", Doc: "The larger of a and b.", Cost: 1, Pure: true},
	{Name: "max", Sig: "(a: float, b: float) -> float", Doc: "The larger of a and b.", Cost: 1, Pure: true},
	{Name: "max", Sig: "(a: money, b: money) -> money", Doc: "The larger of a and b.", Cost: 1, Pure: true},
	{Name: "max", Sig: "(a: duration, b: duration) -> duration", Doc: "The larger of a and b.", Cost: 1, Pure: true},
	{Name: "round", Sig: "(x: float) -> int", Doc: "x rounded half away from zero.", Cost: 1, Pure: true},
	{Name: "floor", Sig: "(x: float) -> int", Doc: "The greatest integer ≤ x.", Cost: 1, Pure: true},
	{Name: "ceil", Sig: "(x: float) -> int", Doc: "The least integer ≥ x.", Cost: 1, Pure: true},

	// Lists. The higher-order ones are compiled to loops; no closures exist at run time.
	{Name: "filter", Sig: "(xs: list[T], keep: fn(T) -> bool) -> list[T]", Doc: "The elements of xs for which keep is true, in order.", Cost: 2, Pure: true},
	{Name: "map", Sig: "(xs: list[T], f: fn(T) -> U) -> list[U]", Doc: "f applied to each element of xs.", Cost: 2, Pure: true},
	{Name: "any", Sig: "(xs: list[T], pred: fn(T) -> bool) -> bool", Doc: "Whether pred holds for some element (stops at the first).", Cost: 1, Pure: true},
	{Name: "all", Sig: "(xs: list[T], pred: fn(T) -> bool) -> bool", Doc: "Whether pred holds for every element (stops at the first that fails).", Cost: 1, Pure: true},
	{Name: "count", Sig: "(xs: list[T], pred: fn(T) -> bool) -> int", Doc: "The number of elements for which pred holds.", Cost: 1, Pure: true},
	{Name: "min_by", Sig: "(xs: list[T], key: fn(T) -> K) -> T?", Doc: "The first element with the smallest key, or none for an empty list.", Cost: 1, Pure: true},
	{Name: "max_by", Sig: "(xs: list[T], key: fn(T) -> K) -> T?", Doc: "The first element with the largest key, or none for an empty list.", Cost: 1, Pure: true},
	{Name: "sort", Sig: "(xs: list[T]) -> list[T]", Doc: "The elements of xs in ascending order (stable).", Cost: 4, Pure: true},
	{Name: "reverse", Sig: "(xs: list[T]) -> list[T]", Doc: "The elements of xs in reverse order.", Cost: 2, Pure: true},
	{Name: "first", Sig: "(xs: list[T]) -> T?", Doc: "The first element of xs, or none.", Cost: 1, Pure: true},
	{Name: "last", Sig: "(xs: list[T]) -> T?", Doc: "The last element of xs, or none.", Cost: 1, Pure: true},
	{Name: "sum", Sig: "(xs: list[int]) -> int", Doc: "The sum of xs.", Cost: 1, Pure: true},
	{Name: "sum", Sig: "(xs: list[float]) -> float", Doc: "The sum of xs.", Cost: 1, Pure: true},
	{Name: "sum", Sig: "(xs: list[money]) -> money", Doc: "The exact sum of xs.", Cost: 1, Pure: true},
	{Name: "range", Sig: "(n: int) -> list[int]", Doc: "The list [0, 1, …, n-1].", Cost: 2, Pure: true},

	// Maps.
	{Name: "keys", Sig: "(m: map[K, V]) -> list[K]", Doc: "The keys of m in ascending order.", Cost: 3, Pure: true},
	{Name: "values", Sig: "(m: map[K, V]) -> list[V]", Doc: "The values of m in ascending key order.", Cost: 3, Pure: true},
	{Name: "get", Sig: "(m: map[K, V], key: K, default: V) -> V", Doc: "m[key], or default when key is absent.", Cost: 1, Pure: true},

	// Time: now() is the request's arrival time, so a decision replays identically.
	{Name: "now", Sig: "() -> time", Doc: "The evaluation's clock: the request's arrival time. Never the wall clock.", Cost: 1, Pure: true},
	{Name: "hour", Sig: "(t: time) -> int", Doc: "The hour of t in UTC, 0–23.", Cost: 1, Pure: true},
	{Name: "weekday", Sig: "(t: time) -> int", Doc: "The day of the week of t in UTC, 0 (Sunday) – 6.", Cost: 1, Pure: true},
	{Name: "since", Sig: "(t: time) -> duration", Doc: "now() - t.", Cost: 1, Pure: true},

	// Hashing and randomness (deterministic).
	{Name: "hash", Sig: "(s: string) -> int", Doc: "A stable 63-bit hash of s (FNV-1a), the same on every router and release.", Cost: 2, Pure: true},
	{Name: "bucket", Sig: "(key: string, n: int) -> int", Doc: "A stable bucket of key in [0, n): hash(key) mod n, for traffic splits.", Cost: 2, Pure: true},
	{Name: "random", Sig: "() -> float", Doc: "A number in [0, 1) from the evaluation's seed (derived from the request id), so decisions replay.", Cost: 1, Pure: true},
}

// routingDecls: building decisions, and the std modules that read router state.
var routingDecls = []lang.BuiltinDecl{
	{Name: "to", Sig: "(target: string) -> Decision", Doc: "A decision that routes to target (\"provider:model\").", Cost: 2, Pure: true},
	{Name: "deny", Sig: "(reason: string) -> Decision", Doc: "A decision that refuses the request with reason.", Cost: 2, Pure: true},
	{Name: "weighted", Sig: "(split: map[string, int]) -> Decision", Doc: "A weighted split between targets: each request goes to one target with probability weight/total, chosen from the request's seed.", Cost: 4, Pure: true},
	{Name: "fallback", Sig: "(d: Decision, target: string, on?: list[Trigger], retries?: int, backoff?: duration) -> Decision", Doc: "d with a fallback target tried when the previous one fails with one of on (default [any_error]), after retries retries spaced by backoff.", Cost: 2, Pure: true},
	{Name: "sticky", Sig: "(d: Decision, key: string, ttl?: duration) -> Decision", Doc: "d made sticky: requests with the same key keep the same target for ttl (default 10m).", Cost: 2, Pure: true},
	{Name: "tag", Sig: "(d: Decision, key: string, value: string) -> Decision", Doc: "d with a cost-attribution tag.", Cost: 2, Pure: true},
	{Name: "pre", Sig: "(d: Decision, extension: string) -> Decision", Doc: "d with an extension run before the provider call.", Cost: 2, Pure: true},
	{Name: "validate", Sig: "(d: Decision, extension: string) -> Decision", Doc: "d with a validator extension.", Cost: 2, Pure: true},
	{Name: "post", Sig: "(d: Decision, extension: string) -> Decision", Doc: "d with an extension run on the response.", Cost: 2, Pure: true},
	{Name: "priority", Sig: "(d: Decision, p: int) -> Decision", Doc: "d with priority p (0–100, clamped).", Cost: 1, Pure: true},
	{Name: "because", Sig: "(d: Decision, reason: string) -> Decision", Doc: "d with the reason it was taken, for logs and explain.", Cost: 1, Pure: true},

	{Module: "cost", Name: "month_spend", Sig: "(t: Tenant) -> money", Doc: "The tenant's spend this calendar month (UTC), from the cost ledger.", Cost: 5},
	{Module: "cost", Name: "day_spend", Sig: "(t: Tenant) -> money", Doc: "The tenant's spend today (UTC).", Cost: 5},
	{Module: "cost", Name: "price", Sig: "(target: string) -> Price?", Doc: "The catalogue price of target per million input and output tokens, or none when unknown.", Cost: 3},
	{Module: "cost", Name: "estimate", Sig: "(target: string, r: Request) -> money", Doc: "The expected cost of serving r with target: its token estimates at the catalogue price ($0 when unknown).", Cost: 5},
	{Module: "cost", Name: "remaining", Sig: "(t: Tenant) -> money", Doc: "The tenant's monthly budget minus its month spend (never below $0).", Cost: 5},

	{Module: "ab", Name: "arm", Sig: "(experiment: string, key: string, split: map[string, int]) -> string", Doc: "The experiment arm of key: a stable hash of experiment and key over the weights of split. Once the experiment has a promoted winner, the winner.", Cost: 5},
	{Module: "ab", Name: "winner", Sig: "(experiment: string) -> string?", Doc: "The promoted winning arm of experiment, or none while it runs.", Cost: 3},

	{Module: "health", Name: "healthy", Sig: "(target: string) -> bool", Doc: "Whether target's circuit breaker is closed.", Cost: 3},
	{Module: "health", Name: "latency", Sig: "(target: string) -> duration", Doc: "target's observed median latency (the catalogue default before any feedback).", Cost: 3},
	{Module: "health", Name: "error_rate", Sig: "(target: string) -> float", Doc: "target's recent error rate, 0–1.", Cost: 3},
}
