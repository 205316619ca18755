package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// Code is the stable code of a decision error. The first five are CP1's;
// transports speaking CP1 answer the others as internal with the code in
// the details.
type Code string

// Decision error codes.
const (
	CodeUnauthorized   Code = "unauthorized"     // the tenant is not allowed (unknown with RequireKnownTenant)
	CodeInvalidRequest Code = "invalid_request"  // malformed, wrong types, missing fields, too large
	CodePolicyNotFound Code = "policy_not_found" // no policy by that id, and no default
	CodeDecisionFailed Code = "decision_failed"  // the policy failed or denied the request
	CodeInternal       Code = "internal"         // a bug or an unexpected condition
	CodeOverloaded     Code = "overloaded"       // too many decisions in flight: retry later
	CodeNotReady       Code = "not_ready"        // no policy version is active yet
)

// ErrorCodes are the decision error codes, every one a decision can be
// answered with (metrics count each from the start, at 0).
func ErrorCodes() []Code {
	return []Code{CodeUnauthorized, CodeInvalidRequest, CodePolicyNotFound, CodeDecisionFailed, CodeInternal, CodeOverloaded, CodeNotReady}
}

// CP1 reports whether c is one of the five codes of the CP1 contract.
func (c Code) CP1() bool {
	switch c {
	case CodeUnauthorized, CodeInvalidRequest, CodePolicyNotFound, CodeDecisionFailed, CodeInternal:
		return true
	}
	return false
}

// Failure reports whether an answer with code c is the router's failure:
// a policy that failed or denied, an internal error, a router overloaded
// or not ready; not a client's error (a request invalid, a tenant
// refused, a policy it names that does not exist). Spans mark the
// router's failures as errors.
func (c Code) Failure() bool {
	switch c {
	case "", CodeInvalidRequest, CodeUnauthorized, CodePolicyNotFound:
		return false
	}
	return true
}

// Error is a decision error: a code, a one-line message and details.
type Error struct {
	Code    Code
	Message string
	Details map[string]any
	Err     error // the underlying error, if any (a *vm.Error for policy failures)
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Outcome is the result of one decision.
type Outcome struct {
	Snapshot  *Snapshot // the snapshot decided with (nil before activation)
	Policy    *Policy   // the policy that decided (nil if none was selected)
	RequestID string
	TenantID  string
	Decision  vm.Value // the Decision record (invalid when Err is set)
	Stats     vm.Stats
	Elapsed   time.Duration
	// SafeDefault is set when the policy failed and the configured safe
	// default decision was answered instead; Failure says why.
	SafeDefault bool
	Failure     *vm.Error
	// Denied is set when the policy denied the request.
	Denied bool
	// Sticky is set when the decision's target is its sticky session's,
	// kept from an earlier decision (see StickyState).
	Sticky bool
	// Canceled is set when the run was stopped from outside (its
	// context cancelled: a shutdown whose drain ran out, a request
	// abandoned by its client); Err is then overloaded, to be retried.
	Canceled bool
	Err      *Error
	// Batch sums up a batch's answer (a batch's outcome alone, without
	// Err: answered, not refused whole).
	Batch BatchCounts

	// arena is the memory of the records, maps and lists of Decision
	// when the outcome was decided into (DecideInto): the next decision
	// into this Outcome reuses it.
	arena *vm.Arena
	// decisionJSON is Decision's JSON when the decision was logged
	// (Engine.event encodes it): a v2 answer copies it rather than
	// encode the decision again. Its memory is kept across decisions.
	decisionJSON []byte
	encoded      bool // decisionJSON is this decision's
}

// reuse clears o for a decision with s, keeping its arena, reset.
func (o *Outcome) reuse(s *Snapshot) {
	a := o.arena
	if a != nil {
		a.Reset()
	}
	j := o.decisionJSON[:0]
	if cap(j) > 64<<10 {
		j = nil // one huge decision must not stay pinned
	}
	*o = Outcome{Snapshot: s, arena: a, decisionJSON: j}
}

// PolicyID is the id of the deciding policy, "" if none.
func (o *Outcome) PolicyID() string {
	if o.Policy == nil {
		return ""
	}
	return o.Policy.ID
}

// Version is the version of the snapshot decided with, "" if none.
func (o *Outcome) Version() string {
	if o.Snapshot == nil {
		return ""
	}
	return o.Snapshot.Version
}

// Result names the outcome for metrics and logs: "route", "deny",
// "safe_default", "canceled" (answered overloaded, but no sign of load)
// or the error code.
func (o *Outcome) Result() string {
	switch {
	case o.Canceled:
		return "canceled"
	case o.Err != nil:
		return string(o.Err.Code)
	case o.SafeDefault:
		return "safe_default"
	}
	if o.Denied {
		return "deny"
	}
	return "route"
}

// Decide decides the request req, a Request record (see Codec), with
// policy policyID when not "" (else by tenant, else the default policy),
// as arrived at arrival. Decide takes ownership of req: it fills the
// tenant from the registry (an unregistered tenant's parents completed
// along it) and the arrival time in place.
func (e *Engine) Decide(ctx context.Context, policyID string, req vm.Value, arrival time.Time) Outcome {
	var o Outcome
	e.decideInto(ctx, &o, policyID, req, arrival, false)
	return o
}

// DecideInto is Decide writing the outcome to *o, every field of which it
// sets. A caller deciding in a loop reuses one Outcome: the records, maps
// and lists of the policy's decision are made in memory that the Outcome
// keeps (vm.Arena), so once warm a decision allocates nothing beyond the
// strings the policy builds. That memory is reused by the next decision
// into o: the Decision of o, and every record, map and list in it, is
// valid until then (strings taken out of it stay valid). o must not be in
// use by another decision.
func (e *Engine) DecideInto(ctx context.Context, o *Outcome, policyID string, req vm.Value, arrival time.Time) {
	e.decideInto(ctx, o, policyID, req, arrival, true)
}

// decideInto is DecideInto; arena says whether o keeps an arena for its
// decisions (Decide's one-off Outcome does not).
func (e *Engine) decideInto(ctx context.Context, o *Outcome, policyID string, req vm.Value, arrival time.Time, arena bool) {
	e.decideOn(ctx, o, e.cur.Load(), policyID, req, arrival, arena)
}

// decideOn is decideInto with the snapshot s, the one active when the
// request began (nil: none was): a batch decides each of its items on
// the snapshot active when it began (HandleV2Batch).
func (e *Engine) decideOn(ctx context.Context, o *Outcome, s *Snapshot, policyID string, req vm.Value, arrival time.Time, arena bool) {
	start := time.Now()
	if arrival.IsZero() {
		arrival = start
	}
	o.reuse(s)
	if arena && o.arena == nil {
		o.arena = new(vm.Arena)
	}
	e.decide(ctx, o, s, policyID, req, arrival, start)
	o.Elapsed = time.Since(start)
	if s != nil { // answered not_ready, nothing was decided
		e.decisions.Add(1)
	}
	// A failure is a policy's run that failed (answered an error or the
	// safe default), or the router's own; a request refused before a
	// policy ran (invalid, unknown policy, no active version) is not.
	if o.Failure != nil || (o.Err != nil && o.Err.Code == CodeInternal) {
		e.failures.Add(1)
	}
	if obs := e.cfg.Observer; obs != nil {
		obs.Decided(o)
	}
	// Every outcome of a policy is a decision to log, its failure too
	// (o.Failure, answered as an error in FailError mode); a request
	// refused before a policy ran is not (the metrics count it).
	if (o.Err == nil || o.Failure != nil) && e.logs.pick() {
		e.cfg.DecisionLog.LogDecision(e.event(o, arrival))
	}
}

// registered looks the tenant id up in the registry of s: its entry and
// whether it has one. The error is the refusal of a tenant the engine does
// not serve: with Config.RequireKnownTenant, one the registry does not
// hold is unauthorized, and any is not_ready while no version is active
// (s nil), which has the registry. Decisions and feedback ask it alike,
// so that feedback is taken from the tenants decisions are made for, and
// no other.
func (e *Engine) registered(s *Snapshot, id string) (*Tenant, bool, *Error) {
	var reg *Tenant
	known := false
	if s != nil {
		reg, known = s.tenants[id]
	}
	switch {
	case known || !e.cfg.RequireKnownTenant:
		return reg, known, nil
	case s == nil:
		return nil, false, errNotReady()
	}
	return nil, false, Errorf(CodeUnauthorized, "tenant %s is not registered", jsonx.QuoteEcho(id))
}

// errNotReady is the error of a request made before any version is
// active.
func errNotReady() *Error { return Errorf(CodeNotReady, "no policy version is active") }

// decide decides into o; start is the clock when the decision began.
func (e *Engine) decide(ctx context.Context, o *Outcome, s *Snapshot, policyID string, req vm.Value, arrival, start time.Time) {
	l := &e.lay
	slots, isReq := e.requestSlots(req)
	o.RequestID = e.requestID(req) // named in every answer, errors too
	if s == nil {
		o.Err = errNotReady()
		return
	}
	if !isReq {
		o.Err = Errorf(CodeInvalidRequest, "the request is not a Request record")
		return
	}
	var parents []vm.Value
	if ts := slots[l.req.tenant].Record(); len(ts) == l.tenant.n {
		o.TenantID = ts[l.tenant.id].Str()
		parents = ts[l.tenant.parents].List()
	}
	reg, known, refused := e.registered(s, o.TenantID)
	if refused != nil {
		o.Err = refused
		return
	}
	if known {
		slots[l.req.tenant] = reg.value
		parents = nil
	} else if len(parents) > 0 {
		// An unregistered tenant's parents, completed along the
		// registry for the policy as for the selection below.
		if ps, changed := completeParents(s, parents); changed {
			slots[l.req.tenant].Record()[l.tenant.parents] = ps
			parents = ps.List()
		}
	}
	if slots[l.req.arrival].Int() == 0 {
		slots[l.req.arrival] = vm.TimeOf(arrival)
	}

	// Select the policy.
	var p *Policy
	switch {
	case policyID != "":
		if p = s.policies[policyID]; p == nil {
			o.Err = Errorf(CodePolicyNotFound, "no policy %s in version %s", jsonx.QuoteEcho(policyID), s.ShortVersion())
			return
		}
	default:
		p = e.tenantPolicy(s, o.TenantID)
		if p == nil && known {
			for _, par := range reg.Parents {
				if p = e.tenantPolicy(s, par); p != nil {
					break
				}
			}
		}
		// An unregistered tenant's own parents, completed above (each
		// followed by its registered ancestors), as a registered
		// tenant's are.
		for i := 0; p == nil && i < len(parents); i++ {
			p = e.tenantPolicy(s, parents[i].Str())
		}
		if p == nil {
			if p = s.policies[e.cfg.DefaultPolicy]; p == nil {
				o.Err = Errorf(CodePolicyNotFound, "no policy for tenant %s and no %s policy in version %s (give the tenant a policy in tenants.json, name one with policy_id, or add a policy named %s)",
					jsonx.QuoteEcho(o.TenantID), e.cfg.DefaultPolicy, s.ShortVersion(), e.cfg.DefaultPolicy)
				return
			}
		}
	}
	o.Policy = p

	// Evaluate.
	h := e.hosts.Get()
	if h == nil {
		h = e.newHost()
	}
	hst := h.(*host)
	hst.exp, hst.arm, hst.cat = "", "", s.catalogue
	hst.tenant, hst.policy, hst.now = o.TenantID, p.ID, arrival
	lim := e.cfg.Limits
	lim.Deadline = start.Add(e.cfg.Deadline) // checked by the VM, no timer
	res, err := p.Program.DecideWithLimits(ctx, req, rpl.Input{Now: arrival, Seed: rpl.SeedOf(o.RequestID), Host: hst, Policy: p.ID, Arena: o.arena}, lim)
	exp, arm, look := hst.exp, hst.arm, hst.look
	hst.look = keptLookup{} // a pooled host is put back without it
	e.hosts.Put(h)
	o.Stats = res.Stats
	if err != nil {
		var ve *vm.Error
		if !errors.As(err, &ve) {
			ve = &vm.Error{Code: vm.CodeInternal, Msg: err.Error(), Cause: err}
		}
		if ve.Code == vm.CodeCanceled {
			// Not the policy's failure: the run was stopped from outside
			// (a shutdown whose drain ran out, a request abandoned), so
			// the request is to be retried, on this router or another.
			o.Canceled = true
			o.Err = &Error{Code: CodeOverloaded, Message: "the decision was cancelled before it finished (the router is shutting down, or the request was abandoned); retry",
				Details: map[string]any{"cause": "canceled"}}
			return
		}
		e.failed(o, s, p, s.relative(ve))
		return
	}
	o.Decision = res.Value
	if why := e.decisionProblem(res.Value, p.untyped, p.builds, exp, arm); why != "" {
		e.failed(o, s, p, &vm.Error{Code: CodeInvalidDecision, Msg: why})
		return
	}
	o.Denied = res.Value.Record()[l.dec.action].Str() == "deny"
	if exp != "" {
		d := o.arena.Values(len(res.Value.Record()))
		copy(d, res.Value.Record())
		if len(d) == l.dec.n {
			d[l.dec.experiment], d[l.dec.arm] = vm.Str(exp), vm.Str(arm)
			o.Decision = vm.NewRecord(d)
		}
	}
	if !o.Denied {
		e.stick(o, arrival, &look)
	}
}

// CodeInvalidDecision is the vm code of a policy's failure to return a
// decision the router can follow (layout.decisionProblem): anything but
// a record of a Decision's fields, or, for an untyped policy (an
// unsigned bundle's), anything but a Decision whose every part is of
// its type, an action other than route or deny, a route to no target
// without a split, what the builtins refuse to build (a Decision record
// literal's: stdlib.DecisionProblem, a target the router does not take,
// split weights that draw nothing, a fallback that never runs), or
// names its answer would not hold as they are (a tag key that is not
// UTF-8).
const CodeInvalidDecision vm.Code = "invalid_decision"

// failed records the policy p's failure ve in o: the safe default in that
// failure mode, else decision_failed.
func (e *Engine) failed(o *Outcome, s *Snapshot, p *Policy, ve *vm.Error) {
	o.Failure = ve
	if e.cfg.FailureMode == FailSafeDefault {
		o.SafeDefault = true
		o.Decision = e.safeDefault
		return
	}
	o.Err = &Error{Code: CodeDecisionFailed, Message: fmt.Sprintf("policy %s failed: %v", p.ID, ve.Error()), Err: ve,
		Details: map[string]any{"policy_id": p.ID, "policy_version": s.Version, "vm_code": string(ve.Code)}}
}

// tenantPolicy is the policy registered for tenant id, else the policy
// named id.
func (e *Engine) tenantPolicy(s *Snapshot, id string) *Policy {
	if id == "" {
		return nil
	}
	if t, ok := s.tenants[id]; ok && t.Policy != "" {
		return s.policies[t.Policy]
	}
	return s.policies[id]
}

// services are the state services Config.State implements, asserted
// once when the engine is made rather than on every decision or
// feedback.
type services struct {
	cost     stdlib.CostState
	exps     stdlib.ExperimentState
	health   stdlib.HealthState
	feedback FeedbackRecorder
	sticky   StickyState // never nil: the engine's own StickyStore by default
}

func servicesOf(state any) services {
	var s services
	s.cost, _ = state.(stdlib.CostState)
	s.exps, _ = state.(stdlib.ExperimentState)
	s.health, _ = state.(stdlib.HealthState)
	s.feedback, _ = state.(FeedbackRecorder)
	if s.sticky, _ = state.(StickyState); s.sticky == nil {
		s.sticky = NewStickyStore(0)
	}
	return s
}

// host is the per-run host value: the engine's state services, and the
// experiment assignment of the run (stdlib.ArmRecorder).
type host struct {
	services
	cat      *bundle.Catalogue // the deciding snapshot's, or nil
	exp, arm string
	// The run's session: its tenant, policy and time, for KeptTarget,
	// and the policy's look-up of its kept target, for stick.
	tenant, policy string
	now            time.Time
	look           keptLookup
}

var (
	_ stdlib.CostState       = (*host)(nil)
	_ stdlib.ExperimentState = (*host)(nil)
	_ stdlib.HealthState     = (*host)(nil)
	_ stdlib.ArmRecorder     = (*host)(nil)
	_ stdlib.SessionState    = (*host)(nil)
)

// KeptTarget implements stdlib.SessionState: the target kept for the
// run's tenant, policy and key, which stick then finds again. A ttl of 0
// reads without extending the entry (StickyState): stick extends it for
// a decision that used it, not a denied or failed run.
func (h *host) KeptTarget(key string) (string, bool) {
	t, ok := h.sticky.StickyTarget(h.tenant, h.policy, key, h.now, 0)
	h.look = keptLookup{done: true, key: key, target: t, ok: ok}
	return t, ok
}

func (e *Engine) newHost() *host { return &host{services: e.svc} }

func (h *host) MonthSpend(t string, at time.Time) int64 {
	if h.cost == nil {
		return 0
	}
	return h.cost.MonthSpend(t, at)
}

func (h *host) DaySpend(t string, at time.Time) int64 {
	if h.cost == nil {
		return 0
	}
	return h.cost.DaySpend(t, at)
}

func (h *host) Price(target string) (stdlib.Price, bool) { return h.price(h.cat, target) }

func (h *host) Winner(exp string) (string, bool) {
	if h.exps == nil {
		return "", false
	}
	return h.exps.Winner(exp)
}

func (h *host) Healthy(target string) bool { return h.health == nil || h.health.Healthy(target) }

func (h *host) Latency(target string) (time.Duration, bool) { return h.latency(h.cat, target) }

// price is target's price in the state (one set at run time), else in the
// catalogue cat (a snapshot's, or nil).
func (s services) price(cat *bundle.Catalogue, target string) (stdlib.Price, bool) {
	if s.cost != nil {
		if p, ok := s.cost.Price(target); ok {
			return p, true
		}
	}
	if cat != nil {
		if m, ok := cat.Lookup(target); ok {
			return stdlib.Price{Input: m.Input, Output: m.Output}, true
		}
	}
	return stdlib.Price{}, false
}

// latency is target's observed median latency, else its default latency
// in the catalogue cat (a snapshot's, or nil).
func (s services) latency(cat *bundle.Catalogue, target string) (time.Duration, bool) {
	if s.health != nil {
		if d, ok := s.health.Latency(target); ok {
			return d, true
		}
	}
	if cat != nil {
		if m, ok := cat.Lookup(target); ok {
			return m.Latency, true
		}
	}
	return 0, false
}

func (h *host) ErrorRate(target string) float64 {
	if h.health == nil {
		return 0
	}
	return h.health.ErrorRate(target)
}

func (h *host) RecordArm(exp, arm string) { h.exp, h.arm = exp, arm }
