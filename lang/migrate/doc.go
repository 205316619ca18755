// Package migrate turns CP1 JSON routing policies into RPL source: the
// library behind `rplc migrate`.
//
// Parse validates a CP1 policy; every unknown or invalid field is an Error
// naming its JSON path (`fallbacks[1].backoff.base_ms: want a non-negative
// integer, have -5`). Generate writes an RPL policy in canonical layout
// (lang.Format) that checks and decides as the CP1 policy did; a header
// comment names the source file, lists where the RPL policy differs and
// what the router enforces instead of the policy.
//
// # CP1 policies
//
// The fields, as DESIGN.md §4 lists them, with the reading this package
// gives them:
//
//	version            "1" (or 1); required
//	policy_id          optional; the RPL package name (made an identifier)
//	description        optional; copied into the header comment
//	providers          [{name, weight 0-100, priority? 0-100}], names unique,
//	                   weights summing to more than 0
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
//	  backoff.strategy/max_ms/jitter     header note: the router's retry settings
//	sticky (enabled)                     .sticky(r.session.id, ttl: ttl), or with
//	                                     session_key K: .sticky(r.metadata["K"] ?? "", ttl: ttl)
//	sticky.enabled false                 no .sticky; header note
//	pre / validators / post              .pre(id) / .validate(id) / .post(id), in order
//	  {config: ...}                      header note: the router's extension registry
//	circuit_breaker (enabled)            health.healthy / health.error_rate filter the
//	                                     weights (fn usable, share, split); thresholds,
//	                                     cooldown and half-open: header note
//	rate_limit                           header note: the router's quotas
package migrate
