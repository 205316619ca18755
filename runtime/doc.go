// Package runtime is the router's engine: it loads policies into immutable
// snapshots, activates them atomically, decides requests and takes
// feedback. Transports (runtime/httpx, runtime/natsx), metrics and the
// rpl-router binary are thin layers over an Engine; what the transports
// share (the hand-off by request kind, spans, refusals, pooled buffers)
// is a Dispatcher, so that each transport only adapts its protocol.
//
// Contract:
//
//   - A Snapshot is built completely off the request path: every policy is
//     compiled (or loaded from a bundle) and verified, and its own test
//     blocks run against a fresh stdlib.MemState, before the snapshot can
//     become active. A directory is checked as rplc check checks it: a
//     test file without its policy (RPL215) refuses it. A snapshot never
//     changes once built.
//   - Activation swaps an atomic pointer. A decision loads the pointer once
//     and finishes on that snapshot, whatever activations happen meanwhile;
//     every Outcome names the policy id and the snapshot's version.
//   - A failed load leaves the active snapshot in place; the error is
//     returned, kept (Engine.Status) and counted.
//   - The engine keeps the last Config.Keep snapshots; Rollback reactivates
//     the previous one, ActivateVersion any of them by its version.
//   - Decide selects the policy by the request's policy id when given, else
//     by tenant along its hierarchy (the tenant's own policy, then each
//     parent's, nearest first), else the policy named "default". Limits
//     (fuel, memory, depth, deadline) come from Config. When a policy fails
//     at run time the configured failure mode applies: an error
//     (decision_failed) or the declared safe default decision; failures are
//     counted either way.
//   - Feedback (Observe, HandleFeedback) is validated (an http_status
//     contradicting its status, ok with 500, is refused), and its tenant
//     refused as a decision's would be (unauthorized, with
//     Config.RequireKnownTenant, for a tenant the registry does not
//     hold), before anything of it is recorded.
//   - An error repeats at most MaxEcho bytes of any one value of the
//     request (a tenant id, a field's name): a longer one is cut, marked
//     "…" and followed by its length, so that the answer to a huge value
//     is small.
//   - Evaluation is deterministic: the seed is rpl.SeedOf(request id), the
//     clock is the request's arrival.
//   - DecideInto, with an Outcome the caller reuses, allocates only the
//     strings the policy builds: the decision's records, maps and lists
//     are made in memory the Outcome keeps (vm.Arena), valid until the
//     next decision into it (Decide returns a new Outcome, on the heap).
//     HandleCP1 and HandleV2 take the same reusable Outcome and append
//     the response to the caller's buffer; the request's records are
//     decoded into pooled memory, so an exchange allocates the request's
//     strings and little else (TestCP1ExchangeAllocs: 3 for the default
//     policy's CP1 exchange).
//
// Policy ids are package names. A directory's snapshot version is the
// sha256 of its sources; a bundle's is the bundle hash.
package runtime
