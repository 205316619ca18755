// Package migrate turns CP1 JSON routing policies into RPL source: the
// library behind `rplc migrate`.
//
// Parse validates a CP1 policy; every unknown or invalid field, and every
// key given twice in one object, is an Error naming its JSON path
// (`fallbacks[1].backoff.base_ms: want a non-negative integer, have -5`;
// a key that is empty or not a plain name is bracketed: `weights["a.b"]`,
// `providers[0][""]`), and placed by its Line and Col (Error.Place), all
// of them reported in the order of their places. Generate writes an RPL policy
// in canonical layout (lang.Format) that checks, compiles and decides as
// the CP1 policy did; a header comment names the source file, lists where
// the RPL policy differs and the CP1 settings that are not carried over,
// which neither the policy nor the router enforces. Warnings lists the
// same, each naming its JSON path and placed as an error is
// (Warning.Place). JSON that does not parse is one Error, with no path,
// placed at the byte at fault.
//
// # CP1 policies
//
// The fields, as DESIGN.md §4 lists them, with the reading this package
// gives them:
//
//	version            "1" (or 1); required
//	policy_id          optional; the RPL package name (made an identifier;
//	                   a warning when that changes it: CP1 clients must
//	                   send the new id)
//	description        optional; copied into the header comment
//	providers          [{name, weight 0-100, priority? 0-100}], names unique,
//	                   weights summing to more than 0; a name (here, in
//	                   weights and as a fallback's to) must be a target
//	                   the router takes, as lang.TargetProblem says: no
//	                   spaces or control characters, not "p:" or ":m", at
//	                   most 256 bytes (the router would refuse feedback
//	                   naming it, and its breaker would never open)
//	weights            legacy form of providers: {name: weight}
//	fallbacks          [{when?: {status?: [...], errors?: [...]}, retry? 0-100,
//	                     backoff?: {strategy? fixed|linear|exponential,
//	                     base_ms?, max_ms? >= base_ms, jitter?}, to}]
//	fallback           legacy: {provider, conditions?: [...]}
//	sticky             {enabled? (default true), session_key?, ttl? ("30m" or
//	                   seconds) | ttl_seconds? (legacy)}; ttl defaults to 10m
//	pre, validators,   lists of extension ids, or {id, config?} objects
//	post
//	circuit_breaker    {enabled? (default true), failure_threshold?, error_rate?
//	                   (0-1], cooldown_ms?, half_open_requests?}
//	rate_limit         {requests_per_second | requests_per_minute, burst?,
//	                   scope? global|tenant|user}
//
// CP1 semantics (what the equivalence test's reference evaluator
// implements): a request goes to a provider with probability weight/sum;
// with a circuit breaker, providers whose breaker is open (or whose error
// rate reaches error_rate) are left out of the draw unless all are; the
// decision's priority is the chosen provider's priority (50 without one);
// fallbacks are tried in order, each when the previous target fails with
// one of its conditions (any error without conditions), after retry
// retries spaced by backoff; with sticky, requests carrying the same
// session key keep their provider for ttl, and a request without a key is
// not sticky; the extensions run in list order.
//
// A CP1 DecideRequest (DESIGN.md §4) carries no session: its session can
// only be in its metadata, under the key that session_key names. Without
// session_key the RPL policy sticks by the request's session id, which v2
// requests carry and CP1 requests do not; the header and a warning say
// that CP1 clients' requests are then never sticky.
//
// # Mapping
//
//	CP1                                  RPL
//	providers / weights                  const weights = {...}; weighted(weights)
//	providers[i].priority                const priorities = {...};
//	                                     d.priority(priorities[d.target] ?? 50)
//	fallbacks[i] / fallback              .fallback(to, on: [...], retries: retry,
//	                                              backoff: base_ms)
//	  condition 429, "429"               http_429
//	  condition "5xx"                    http_5xx
//	  condition 500-599, "503"           http_5xx (wider: every 5xx; said in the header)
//	  other statuses (400, 404, ...)     an error: RPL has no trigger for them
//	  "timeout"                          timeout
//	  "connection_error", "connection",  connection_error
//	  "network"
//	  "any", "error", "any_error", "*"   any_error
//	  no conditions                      [any_error]
//	  backoff.strategy/max_ms/jitter     not carried over (RPL's backoff is one fixed
//	                                     delay): a warning each
//	sticky (enabled)                     .sticky(r.session.id, ttl: ttl) and a warning
//	                                     (CP1 requests carry no session id), or with
//	                                     session_key K: .sticky(r.metadata["K"] ?? "", ttl: ttl)
//	sticky.enabled false                 no .sticky; header note
//	pre / validators / post              .pre(id) / .validate(id) / .post(id), in order
//	  {config: ...}                      not carried over: a warning
//	circuit_breaker (enabled)            health.healthy / health.error_rate filter the
//	                                     weights (fn usable, share, split), over at most
//	                                     MaxBreakerProviders providers; failure_threshold,
//	                                     cooldown_ms, half_open_requests: not carried over
//	                                     (the router's breakers have fixed settings), a
//	                                     warning each
//	rate_limit                           not carried over (the router has no quotas): a
//	                                     warning
//
// Every warning is also a line of the header comment: under "Differences
// from the CP1 policy" (a changed policy id, a widened status, sticky
// without session_key) or "Not carried over".
package migrate
