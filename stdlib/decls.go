package stdlib

import "github.com/rpl-lang/rpl/lang"

// coreDefs: strings, math, conversions, lists, maps, time, hashing.
var coreDefs = []Def{
	// Strings.
	{Fn: lenStr, Decl: lang.BuiltinDecl{Name: "len", Sig: "(s: string) -> int", Doc: "Number of bytes of s.", Cost: 1, Pure: true}},
	{Fn: lenList, Decl: lang.BuiltinDecl{Name: "len", Sig: "(xs: list[T]) -> int", Doc: "Number of elements of xs.", Cost: 1, Pure: true}},
	{Fn: lenMap, Decl: lang.BuiltinDecl{Name: "len", Sig: "(m: map[K, V]) -> int", Doc: "Number of entries of m.", Cost: 1, Pure: true}},
	{Fn: strLower, Decl: lang.BuiltinDecl{Name: "lower", Sig: "(s: string) -> string", Doc: "s with Unicode letters mapped to lower case; bytes that are not valid UTF-8 are kept as they are.", Cost: 2, Pure: true}},
	{Fn: strUpper, Decl: lang.BuiltinDecl{Name: "upper", Sig: "(s: string) -> string", Doc: "s with Unicode letters mapped to upper case; bytes that are not valid UTF-8 are kept as they are.", Cost: 2, Pure: true}},
	{Fn: strTrim, Decl: lang.BuiltinDecl{Name: "trim", Sig: "(s: string) -> string", Doc: "s without leading and trailing white space.", Cost: 2, Pure: true}},
	{Fn: strStartsWith, Decl: lang.BuiltinDecl{Name: "starts_with", Sig: "(s: string, prefix: string) -> bool", Doc: "Whether s begins with prefix.", Cost: 1, Pure: true}},
	{Fn: strEndsWith, Decl: lang.BuiltinDecl{Name: "ends_with", Sig: "(s: string, suffix: string) -> bool", Doc: "Whether s ends with suffix.", Cost: 1, Pure: true}},
	{Fn: strContains, Decl: lang.BuiltinDecl{Name: "contains", Sig: "(s: string, sub: string) -> bool", Doc: "Whether sub occurs in s (same as sub in s).", Cost: 2, Pure: true}},
	{Fn: listContains, Decl: lang.BuiltinDecl{Name: "contains", Sig: "(xs: list[T], x: T) -> bool", Doc: "Whether x is an element of xs (same as x in xs).", Cost: 2, Pure: true}},
	{Fn: strReplace, Decl: lang.BuiltinDecl{Name: "replace", Sig: "(s: string, old: string, new: string) -> string", Doc: "s with every occurrence of old replaced by new.", Cost: 3, Pure: true}},
	{Fn: strSplit, Decl: lang.BuiltinDecl{Name: "split", Sig: "(s: string, sep: string) -> list[string]", Doc: "The substrings of s between occurrences of sep; an empty sep splits s into its UTF-8 characters.", Cost: 3, Pure: true}},
	{Fn: strJoin, Decl: lang.BuiltinDecl{Name: "join", Sig: "(xs: list[string], sep: string) -> string", Doc: "The elements of xs joined by sep.", Cost: 3, Pure: true}},
	{Fn: strSubstr, Decl: lang.BuiltinDecl{Name: "substr", Sig: "(s: string, start: int, end: int) -> string", Doc: "The bytes of s from start up to end, clamped to the string.", Cost: 2, Pure: true}},
	{Fn: strMatches, Decl: lang.BuiltinDecl{Name: "matches", Sig: "(s: string, pattern: string) -> bool", Doc: "Whether some part of s matches the RE2 regular expression pattern (matches(\"xabcx\", \"abc\") is true: anchor it, ^abc$, to match the whole of s). Compiled patterns are cached, so a constant pattern compiles once; an invalid pattern is a run-time error.", Cost: 10, Pure: true}},
	{Fn: jsonGet, Decl: lang.BuiltinDecl{Name: "json_get", Sig: "(doc: string, path: string) -> string?", Doc: "The value at a dotted path (a.b.0.c) in the JSON document doc, as a string: strings unquoted, numbers and booleans in their JSON spelling, objects and arrays as compact JSON; none when the path is absent, the value is null or doc is not JSON. A segment indexes an array when it is a decimal index without sign or leading zeros (0, 12; not 01 or +1); the empty path is the whole document.", Cost: 10, Pure: true}},

	// Conversions.
	{Fn: convString, Decl: lang.BuiltinDecl{Name: "string", Sig: "(x: T) -> string", Doc: "x in its literal spelling: 42, 0.5, 250ms, $0.0025, true; strings unchanged; a time in RFC 3339 (UTC); lists and maps as literals ([1, 2], {\"k\": 1}, a map's keys in ascending order, which costs 1 fuel per 8 of n·log2(n) and 1 per 64 bytes of the keys for each comparison a key may take part in: n/2+1 of up to 12 keys, log2(n)+3 of more); records with their field names ({name: \"a\", weight: 2}), and enum members bare inside them ([timeout, http_5xx]; string(timeout) is \"timeout\").", Cost: 2, Pure: true}},
	{Fn: convIntFloat, Decl: lang.BuiltinDecl{Name: "int", Sig: "(x: float) -> int", Doc: "x truncated toward zero; an error (int_overflow) when it is NaN or out of the int range.", Cost: 1, Pure: true}},
	{Fn: convIntString, Decl: lang.BuiltinDecl{Name: "int", Sig: "(s: string) -> int?", Doc: "The decimal integer that s is, an optional sign then digits (\"42\", \"+42\", \"-007\"), or none: for anything else (spaces, _, 0x, a point) and out of the int range.", Cost: 2, Pure: true}},
	{Fn: convFloatInt, Decl: lang.BuiltinDecl{Name: "float", Sig: "(x: int) -> float", Doc: "x as a float.", Cost: 1, Pure: true}},
	{Fn: convFloatMoney, Decl: lang.BuiltinDecl{Name: "float", Sig: "(x: money) -> float", Doc: "The amount x in currency units, as a float (for ratios; sums stay in money).", Cost: 1, Pure: true}},
	{Fn: convFloatString, Decl: lang.BuiltinDecl{Name: "float", Sig: "(s: string) -> float?", Doc: "The decimal number that s is, an optional sign, digits with an optional point (\".5\" and \"5.\" too) and exponent, or none: for anything else (spaces, _, inf, nan, hex) and out of the float range.", Cost: 2, Pure: true}},
	{Fn: convMoney, Decl: lang.BuiltinDecl{Name: "money", Sig: "(x: float) -> money", Doc: "x currency units as money, rounded half to even at 9 decimals; an error (int_overflow) when x is NaN or out of money's range (about ±9.22 billion units).", Cost: 1, Pure: true}},
	{Fn: convMillis, Decl: lang.BuiltinDecl{Name: "millis", Sig: "(d: duration) -> int", Doc: "d in whole milliseconds.", Cost: 1, Pure: true}},
	{Fn: convSeconds, Decl: lang.BuiltinDecl{Name: "seconds", Sig: "(d: duration) -> float", Doc: "d in seconds.", Cost: 1, Pure: true}},

	// Math.
	{Fn: mathAbsInt, Decl: lang.BuiltinDecl{Name: "abs", Sig: "(x: int) -> int", Doc: "The absolute value of x; an error for the smallest int, whose absolute value is not an int.", Cost: 1, Pure: true}},
	{Fn: mathAbsFloat, Decl: lang.BuiltinDecl{Name: "abs", Sig: "(x: float) -> float", Doc: "The absolute value of x.", Cost: 1, Pure: true}},
	{Fn: mathMinInt, Decl: lang.BuiltinDecl{Name: "min", Sig: "(a: int, b: int) -> int", Doc: "The smaller of a and b.", Cost: 1, Pure: true}},
	{Fn: mathMinFloat, Decl: lang.BuiltinDecl{Name: "min", Sig: "(a: float, b: float) -> float", Doc: "The smaller of a and b: NaN if either is NaN, a if they are equal.", Cost: 1, Pure: true}},
	{Fn: mathMinInt, Decl: lang.BuiltinDecl{Name: "min", Sig: "(a: money, b: money) -> money", Doc: "The smaller of a and b.", Cost: 1, Pure: true}},
	{Fn: mathMinInt, Decl: lang.BuiltinDecl{Name: "min", Sig: "(a: duration, b: duration) -> duration", Doc: "The smaller of a and b.", Cost: 1, Pure: true}},
	{Fn: mathMaxInt, Decl: lang.BuiltinDecl{Name: "max", Sig: "(a: int, b: int) -> int", Doc: "The larger of a and b.", Cost: 1, Pure: true}},
	{Fn: mathMaxFloat, Decl: lang.BuiltinDecl{Name: "max", Sig: "(a: float, b: float) -> float", Doc: "The larger of a and b: NaN only if both are NaN, a if they are equal.", Cost: 1, Pure: true}},
	{Fn: mathMaxInt, Decl: lang.BuiltinDecl{Name: "max", Sig: "(a: money, b: money) -> money", Doc: "The larger of a and b.", Cost: 1, Pure: true}},
	{Fn: mathMaxInt, Decl: lang.BuiltinDecl{Name: "max", Sig: "(a: duration, b: duration) -> duration", Doc: "The larger of a and b.", Cost: 1, Pure: true}},
	{Fn: mathRound, Decl: lang.BuiltinDecl{Name: "round", Sig: "(x: float) -> int", Doc: "x rounded half away from zero; an error (int_overflow) when it is NaN or out of the int range.", Cost: 1, Pure: true}},
	{Fn: mathFloor, Decl: lang.BuiltinDecl{Name: "floor", Sig: "(x: float) -> int", Doc: "The greatest integer ≤ x; an error (int_overflow) when x is NaN or it is out of the int range.", Cost: 1, Pure: true}},
	{Fn: mathCeil, Decl: lang.BuiltinDecl{Name: "ceil", Sig: "(x: float) -> int", Doc: "The least integer ≥ x; an error (int_overflow) when x is NaN or it is out of the int range.", Cost: 1, Pure: true}},

	// Lists. The higher-order ones are compiled to loops; no closures exist at run time.
	{Decl: lang.BuiltinDecl{Name: "filter", Sig: "(xs: list[T], keep: fn(T) -> bool) -> list[T]", Doc: "The elements of xs for which keep is true, in order. It costs 1 more per 32 elements of xs, the room it makes for them.", Cost: 2, Pure: true}},                       // lowered by the compiler
	{Decl: lang.BuiltinDecl{Name: "map", Sig: "(xs: list[T], f: fn(T) -> U) -> list[U]", Doc: "f applied to each element of xs. It costs 1 more per 32 elements of xs, the room it makes for them.", Cost: 2, Pure: true}},                                                    // lowered by the compiler
	{Decl: lang.BuiltinDecl{Name: "any", Sig: "(xs: list[T], pred: fn(T) -> bool) -> bool", Doc: "Whether pred holds for some element (stops at the first).", Cost: 1, Pure: true}},                                                                                           // lowered by the compiler
	{Decl: lang.BuiltinDecl{Name: "all", Sig: "(xs: list[T], pred: fn(T) -> bool) -> bool", Doc: "Whether pred holds for every element (stops at the first that fails).", Cost: 1, Pure: true}},                                                                               // lowered by the compiler
	{Decl: lang.BuiltinDecl{Name: "count", Sig: "(xs: list[T], pred: fn(T) -> bool) -> int", Doc: "The number of elements for which pred holds.", Cost: 1, Pure: true}},                                                                                                       // lowered by the compiler
	{Decl: lang.BuiltinDecl{Name: "min_by", Sig: "(xs: list[T], key: fn(T) -> K) -> T?", Doc: "The first element with the smallest key (keys of any type, ordered as sort orders them: a NaN key before any other float), or none for an empty list.", Cost: 1, Pure: true}},  // lowered by the compiler
	{Decl: lang.BuiltinDecl{Name: "max_by", Sig: "(xs: list[T], key: fn(T) -> K) -> T?", Doc: "The first element with the largest key (keys of any type, ordered as sort orders them: a NaN key only if every key is NaN), or none for an empty list.", Cost: 1, Pure: true}}, // lowered by the compiler
	{Fn: listSort, Decl: lang.BuiltinDecl{Name: "sort", Sig: "(xs: list[T]) -> list[T]", Doc: "The elements of xs in ascending order (stable; NaN before every other float).", Cost: 4, Pure: true}},
	{Fn: listReverse, Decl: lang.BuiltinDecl{Name: "reverse", Sig: "(xs: list[T]) -> list[T]", Doc: "The elements of xs in reverse order.", Cost: 2, Pure: true}},
	{Fn: listFirst, Decl: lang.BuiltinDecl{Name: "first", Sig: "(xs: list[T]) -> T?", Doc: "The first element of xs, or none.", Cost: 1, Pure: true}},
	{Fn: listLast, Decl: lang.BuiltinDecl{Name: "last", Sig: "(xs: list[T]) -> T?", Doc: "The last element of xs, or none.", Cost: 1, Pure: true}},
	{Fn: listSumInt, Decl: lang.BuiltinDecl{Name: "sum", Sig: "(xs: list[int]) -> int", Doc: "The sum of xs, whatever their order: an error (int_overflow) only when it is out of the int range.", Cost: 1, Pure: true}},
	{Fn: listSumFloat, Decl: lang.BuiltinDecl{Name: "sum", Sig: "(xs: list[float]) -> float", Doc: "The sum of xs.", Cost: 1, Pure: true}},
	{Fn: listSumMoney, Decl: lang.BuiltinDecl{Name: "sum", Sig: "(xs: list[money]) -> money", Doc: "The exact sum of xs, whatever their order: an error (int_overflow) only when it is out of money's range.", Cost: 1, Pure: true}},
	{Fn: listRange, Decl: lang.BuiltinDecl{Name: "range", Sig: "(n: int) -> list[int]", Doc: "The list [0, 1, …, n-1].", Cost: 2, Pure: true}},

	// Maps.
	{Fn: mapKeys, Decl: lang.BuiltinDecl{Name: "keys", Sig: "(m: map[K, V]) -> list[K]", Doc: "The keys of m in ascending order. Ordering them costs 1 fuel per 8 of n·log2(n) (n the entries) and the bytes of the keys compared, as sort's.", Cost: 3, Pure: true}},
	{Fn: mapValues, Decl: lang.BuiltinDecl{Name: "values", Sig: "(m: map[K, V]) -> list[V]", Doc: "The values of m in ascending key order, charged as keys.", Cost: 3, Pure: true}},
	{Fn: mapGet, Decl: lang.BuiltinDecl{Name: "get", Sig: "(m: map[K, V], key: K, default: V) -> V", Doc: "m[key], or default when key is absent; a string key costs what it does in m[key] on top of the cost (1 fuel per 64 bytes, for each key of its length a map of up to 8 keys compares it with, once at least).", Cost: 1, Pure: true}},

	// Time: now() is the request's arrival time, so a decision replays identically.
	{Fn: timeNow, Decl: lang.BuiltinDecl{Name: "now", Sig: "() -> time", Doc: "The evaluation's clock: the request's arrival time. Never the wall clock.", Cost: 1}},
	{Fn: timeHour, Decl: lang.BuiltinDecl{Name: "hour", Sig: "(t: time) -> int", Doc: "The hour of t in UTC, 0–23.", Cost: 1, Pure: true}},
	{Fn: timeWeekday, Decl: lang.BuiltinDecl{Name: "weekday", Sig: "(t: time) -> int", Doc: "The day of the week of t in UTC, 0 (Sunday) – 6.", Cost: 1, Pure: true}},
	{Fn: timeSince, Decl: lang.BuiltinDecl{Name: "since", Sig: "(t: time) -> duration", Doc: "now() - t.", Cost: 1}},

	// Hashing and randomness (deterministic).
	{Fn: hashString, Decl: lang.BuiltinDecl{Name: "hash", Sig: "(s: string) -> int", Doc: "A stable 63-bit hash of s (FNV-1a), the same on every router and release.", Cost: 2, Pure: true}},
	{Fn: hashBucket, Decl: lang.BuiltinDecl{Name: "bucket", Sig: "(key: string, n: int) -> int", Doc: "A stable bucket of key in [0, n): hash(key) mod n, for traffic splits. n must be positive.", Cost: 2, Pure: true}},
	{Fn: hashRandom, Decl: lang.BuiltinDecl{Name: "random", Sig: "() -> float", Doc: "A number in [0, 1) from the evaluation's seed (derived from the request id), so decisions replay. It depends on the seed only: every call in one evaluation returns the same number.", Cost: 1}},
}

// routingDefs: building decisions, and the std modules that read router state.
var routingDefs = []Def{
	{Fn: decTo, Decl: lang.BuiltinDecl{Name: "to", Sig: "(target: string) -> Decision", Doc: "A decision that routes to target (\"provider:model\", or a provider alone as CP1 policies name them: \"openai\"), with priority 50. A target the router does not take (empty, with spaces or control characters, \"p:\" or \":m\", over 256 bytes: feedback could not name it) is a builtin_error.", Cost: 2, Pure: true}},
	{Fn: decDeny, Decl: lang.BuiltinDecl{Name: "deny", Sig: "(reason: string) -> Decision", Doc: "A decision that refuses the request with reason.", Cost: 2, Pure: true}},
	{Fn: decWeighted, Decl: lang.BuiltinDecl{Name: "weighted", Sig: "(split: map[string, int]) -> Decision", Doc: "A weighted split between targets: each request goes to one target with probability weight/total, chosen from the request's seed (targets taken in ascending name order). The decision keeps split, and its reason is \"weighted\". Weights must be ≥ 0 with a positive sum of at most 2^62 (4,611,686,018,427,387,904), and targets as to takes them; else a builtin_error.", Cost: 4}},
	{Fn: decFallback, Decl: lang.BuiltinDecl{Name: "fallback", Sig: "(d: Decision, target: string, on?: list[Trigger], retries?: int, backoff?: duration) -> Decision", Doc: "d with a fallback target tried when the previous one fails with one of on (default [any_error]; not empty), after retries retries (default 0) spaced by backoff (default 0s). A target to would refuse, an empty on, a negative retries or backoff is a builtin_error.", Cost: 2, Pure: true}},
	{Fn: decSticky, Decl: lang.BuiltinDecl{Name: "sticky", Sig: "(d: Decision, key: string, ttl?: duration) -> Decision", Doc: "d made sticky: requests with the same key keep the same target for ttl (default 10m, positive). An empty key is no stickiness. When key is not empty and d's target was drawn from d's split (weighted), sticky sets the session's target: the target the router keeps for the key (per tenant, policy and key) while the split gives it a positive weight, else a draw from the split with the key's seed rather than the request's (the same on every router while the weights are unchanged), which the router then keeps. The code after .sticky() sees that target, so put .sticky() before anything computed from d.target (a priority, tags, a reason, fallbacks): computed before, it was computed for the request's draw, which the router does not answer. A kept target is answered with reason \"sticky\" in place of \"weighted\" (other reasons are kept), and its entry lasts ttl from the last decision that used it. A decision without a split, or whose target is not one of the split's targets of positive weight, keeps its target and is not sticky. The draw costs, on top of the cost, 1 fuel per 8 targets of the split and 1 per 16 bytes of key. rplc eval and explain, and tests, keep no target for any key: they answer as a router does for a key it keeps nothing for yet.", Cost: 2}},
	{Fn: decTag, Decl: lang.BuiltinDecl{Name: "tag", Sig: "(d: Decision, key: string, value: string) -> Decision", Doc: "d with a cost-attribution tag key = value (a later tag of the same key wins). An empty key is a builtin_error. Unless value is the key's already, the new tags map costs, on top of the cost, 1 fuel per 8 tags and 1 per 64 bytes of each key, as a map literal's keys do: of each key and, among up to 8 tags (which it compares with each other), of each pair of keys of the same length too.", Cost: 2, Pure: true}},
	{Fn: decPre, Decl: lang.BuiltinDecl{Name: "pre", Sig: "(d: Decision, extension: string) -> Decision", Doc: "d with an extension run before the provider call. An empty extension name is a builtin_error.", Cost: 2, Pure: true}},
	{Fn: decValidate, Decl: lang.BuiltinDecl{Name: "validate", Sig: "(d: Decision, extension: string) -> Decision", Doc: "d with a validator extension. An empty extension name is a builtin_error.", Cost: 2, Pure: true}},
	{Fn: decPost, Decl: lang.BuiltinDecl{Name: "post", Sig: "(d: Decision, extension: string) -> Decision", Doc: "d with an extension run on the response. An empty extension name is a builtin_error.", Cost: 2, Pure: true}},
	{Fn: decPriority, Decl: lang.BuiltinDecl{Name: "priority", Sig: "(d: Decision, p: int) -> Decision", Doc: "d with priority p (0–100, clamped).", Cost: 1, Pure: true}},
	{Fn: decBecause, Decl: lang.BuiltinDecl{Name: "because", Sig: "(d: Decision, reason: string) -> Decision", Doc: "d with the reason it was taken, for logs and explain.", Cost: 1, Pure: true}},

	{Fn: costMonthSpend, Decl: lang.BuiltinDecl{Module: "cost", Name: "month_spend", Sig: "(t: Tenant) -> money", Doc: "The tenant's spend this calendar month (UTC), from the cost ledger.", Cost: 5}},
	{Fn: costDaySpend, Decl: lang.BuiltinDecl{Module: "cost", Name: "day_spend", Sig: "(t: Tenant) -> money", Doc: "The tenant's spend today (UTC).", Cost: 5}},
	{Fn: costPrice, Decl: lang.BuiltinDecl{Module: "cost", Name: "price", Sig: "(target: string) -> Price?", Doc: "The catalogue price of target per million input and output tokens, or none when unknown.", Cost: 3}},
	{Fn: costEstimate, Decl: lang.BuiltinDecl{Module: "cost", Name: "estimate", Sig: "(target: string, r: Request) -> money", Doc: "The expected cost of serving r with target: its token estimates at the catalogue price ($0 when unknown).", Cost: 5}},
	{Fn: costRemaining, Decl: lang.BuiltinDecl{Module: "cost", Name: "remaining", Sig: "(t: Tenant) -> money", Doc: "The tenant's monthly budget minus its month spend (never below $0).", Cost: 5}},

	{Fn: abArm, Decl: lang.BuiltinDecl{Module: "ab", Name: "arm", Sig: "(experiment: string, key: string, split: map[string, int]) -> string", Doc: "The experiment arm of key: a stable hash of experiment and key over the weights of split (arms in ascending name order), the same on every router. Once the experiment has a promoted winner, the winner, which must be one of split's arms (of any weight): a winner that is not is a builtin_error naming it. The router (and rplc eval) record the last assignment of a run in the decision's experiment and arm once the run is over: within the run, a test reading route(r).experiment finds it empty. The split's weights follow weighted's rules, and an empty arm name is a builtin_error, with a winner or without.", Cost: 5}},
	{Fn: abWinner, Decl: lang.BuiltinDecl{Module: "ab", Name: "winner", Sig: "(experiment: string) -> string?", Doc: "The promoted winning arm of experiment, or none while it runs.", Cost: 3}},

	{Fn: healthHealthy, Decl: lang.BuiltinDecl{Module: "health", Name: "healthy", Sig: "(target: string) -> bool", Doc: "Whether target may be sent requests: its circuit breaker is closed, or half-open. On the router, the breaker opens when a failure brings the share of failures among the target's last outcomes (about the last 20, however far apart) to 0.5, after at least 20 outcomes with no 5-minute pause between two of them; it stays open 30s, whatever failures are reported meanwhile, then is half-open: the next outcome closes it (a success, from which the count starts again) or opens it again for 30s (a failure).", Cost: 3}},
	{Fn: healthLatency, Decl: lang.BuiltinDecl{Module: "health", Name: "latency", Sig: "(target: string) -> duration", Doc: "target's observed median latency: on the router, of its successful requests that gave a latency_ms (absent or 0 is none) in the last 2 to 4 minutes (two rotating 2-minute windows). Without one, the catalogue default; 1s when the router knows none.", Cost: 3}},
	{Fn: healthErrorRate, Decl: lang.BuiltinDecl{Module: "health", Name: "error_rate", Sig: "(target: string) -> float", Doc: "target's recent error rate, 0–1: the share of the target's failures (timeout, error, http_5xx, http_429) among its recent outcomes; canceled requests and other 4xx are the client's doing and do not count. On the router, an outcome weighs 5% less with each later one (about the last 20) and half as much every 5s, and the rate is at most the outcomes' weight: a target that gets no feedback sees its rate decay to 0, so a policy that skips it above a rate tries it again (the rate is below 0.2 within 25s of the last of 5 failures in a row, and within 34s of the last failure however many came before).", Cost: 3}},
}

// testingDefs: std/testing, the state tests run against (test files only).
var testingDefs = []Def{
	{Fn: testSetSpend, Decl: lang.BuiltinDecl{Module: "testing", Name: "set_spend", Sig: "(tenant: string, month?: money, day?: money) -> void", Doc: "Sets the spend of the tenant with id tenant this month and today, as cost.month_spend, cost.day_spend and cost.remaining read it; an omitted amount keeps its value.", Cost: 1}},
	{Fn: testSetPrice, Decl: lang.BuiltinDecl{Module: "testing", Name: "set_price", Sig: "(target: string, input: money, output: money) -> void", Doc: "Puts target in the price catalogue at input and output per million tokens, as cost.price and cost.estimate read it. A negative price is an error.", Cost: 1}},
	{Fn: testSetWinner, Decl: lang.BuiltinDecl{Module: "testing", Name: "set_winner", Sig: "(experiment: string, arm: string) -> void", Doc: "Promotes arm as the winner of experiment (\"\" removes the winner), as ab.arm and ab.winner read it.", Cost: 1}},
	{Fn: testSetHealth, Decl: lang.BuiltinDecl{Module: "testing", Name: "set_health", Sig: "(target: string, healthy: bool, error_rate?: float) -> void", Doc: "Opens (healthy: false) or closes target's circuit breaker and sets its error rate (0–1; omitted keeps it), as health.healthy and health.error_rate read them.", Cost: 1}},
	{Fn: testSetLatency, Decl: lang.BuiltinDecl{Module: "testing", Name: "set_latency", Sig: "(target: string, latency: duration) -> void", Doc: "Sets target's observed median latency, as health.latency reads it; 0s is none observed (health.latency then gives its default), and a negative latency is an error.", Cost: 1}},
	{Fn: testSetNow, Decl: lang.BuiltinDecl{Module: "testing", Name: "set_now", Sig: "(t: string) -> void", Doc: "Sets the evaluation's clock, which now() returns, to the RFC 3339 time t (\"2025-06-01T14:00:00Z\") for the rest of the test; a time outside 1677-09-21 to 2262-04-11 (what a time holds) is an error.", Cost: 1}},
	{Fn: testSkip, Decl: lang.BuiltinDecl{Module: "testing", Name: "skip", Sig: "(reason: string) -> void", Doc: "Ends the test here and reports it as skipped, with reason.", Cost: 1}},
	{Fn: testSetSeed, Decl: lang.BuiltinDecl{Module: "testing", Name: "set_seed", Sig: "(seed: int) -> void", Doc: "Sets the evaluation's random seed, from which weighted and random draw, for the rest of the test.", Cost: 1}},
}
