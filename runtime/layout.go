package runtime

import (
	"fmt"
	"slices"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// layout holds the slot indexes of the record fields the engine reads and
// writes, found once from the prelude's types.
type layout struct {
	req struct {
		n                                        int
		id, tenant, arrival, task, constraints   int
		metadata, headers, model, estimate, user int
		session                                  int
	}
	tenant struct{ n, id, parents, tier, budget int }
	est    struct{ input, output int }     // Estimate
	budget struct{ n, daily, monthly int } // Budget
	task   struct{ n, typ int }
	cons   struct{ n, maxLatency, maxCost int }
	dec    struct {
		n                                                      int
		action, target, split, fallbacks, stickyKey, stickyTTL int
		tags, experiment, arm, denyReason, reason, priority    int
		pre, validators, post                                  int
	}
	blankDecision []vm.Value
	blankRequest  []vm.Value
}

func field(r *lang.Record, name string, dst *int) error {
	i := r.FieldIndex(name)
	if i < 0 {
		return fmt.Errorf("runtime: %s has no field %s", r.Name, name)
	}
	*dst = i
	return nil
}

// init finds the fields of req and dec, the prelude's Request and
// Decision, and of the records they hold.
func (l *layout) init(req, dec *lang.Record) error {
	type f struct {
		r    *lang.Record
		name string
		dst  *int
	}
	sub := func(r *lang.Record, name string) *lang.Record {
		if i := r.FieldIndex(name); i >= 0 {
			s, _ := r.Fields[i].Type.(*lang.Record)
			return s
		}
		return nil
	}
	tenant, task, cons, est := sub(req, "tenant"), sub(req, "task"), sub(req, "constraints"), sub(req, "estimate")
	if tenant == nil || task == nil || cons == nil || est == nil {
		return fmt.Errorf("runtime: Request lacks a tenant, task, constraints or estimate record")
	}
	budget := sub(tenant, "budget")
	if budget == nil {
		return fmt.Errorf("runtime: Tenant lacks a budget record")
	}
	fs := []f{
		{req, "id", &l.req.id}, {req, "tenant", &l.req.tenant}, {req, "arrival", &l.req.arrival},
		{req, "task", &l.req.task}, {req, "constraints", &l.req.constraints}, {req, "metadata", &l.req.metadata},
		{req, "headers", &l.req.headers}, {req, "model", &l.req.model}, {req, "estimate", &l.req.estimate},
		{req, "user", &l.req.user}, {req, "session", &l.req.session},
		{tenant, "id", &l.tenant.id}, {tenant, "parents", &l.tenant.parents}, {tenant, "tier", &l.tenant.tier},
		{tenant, "budget", &l.tenant.budget}, {budget, "daily", &l.budget.daily}, {budget, "monthly", &l.budget.monthly},
		{est, "input_tokens", &l.est.input}, {est, "output_tokens", &l.est.output},
		{task, "type", &l.task.typ},
		{cons, "max_latency", &l.cons.maxLatency}, {cons, "max_cost", &l.cons.maxCost},
		{dec, "action", &l.dec.action}, {dec, "target", &l.dec.target}, {dec, "split", &l.dec.split},
		{dec, "fallbacks", &l.dec.fallbacks}, {dec, "sticky_key", &l.dec.stickyKey}, {dec, "sticky_ttl", &l.dec.stickyTTL},
		{dec, "tags", &l.dec.tags}, {dec, "experiment", &l.dec.experiment}, {dec, "arm", &l.dec.arm},
		{dec, "deny_reason", &l.dec.denyReason}, {dec, "reason", &l.dec.reason}, {dec, "priority", &l.dec.priority},
		{dec, "pre", &l.dec.pre}, {dec, "validators", &l.dec.validators}, {dec, "post", &l.dec.post},
	}
	for _, x := range fs {
		if err := field(x.r, x.name, x.dst); err != nil {
			return err
		}
	}
	l.req.n, l.tenant.n, l.task.n, l.cons.n, l.dec.n = len(req.Fields), len(tenant.Fields), len(task.Fields), len(cons.Fields), len(dec.Fields)
	l.budget.n = len(budget.Fields)
	l.blankDecision = slices.Clone(compiler.ZeroValue(dec).Record())
	l.blankDecision[l.dec.action] = vm.Str("route")
	l.blankDecision[l.dec.priority] = vm.Int(stdlib.DefaultPriority)
	l.blankRequest = slices.Clone(compiler.ZeroValue(req).Record())
	return nil
}

// decision builds a route decision to target with a reason.
func (l *layout) decision(target, reason string) vm.Value {
	s := slices.Clone(l.blankDecision)
	s[l.dec.target] = vm.Str(target)
	s[l.dec.reason] = vm.Str(reason)
	return vm.NewRecord(s)
}

// DecisionView reads a Decision record's fields by name-free accessors.
type DecisionView struct {
	l *layout
	s []vm.Value
}

// View returns accessors for a decision record produced by this engine.
func (e *Engine) View(d vm.Value) DecisionView { return DecisionView{&e.lay, d.Record()} }

func (d DecisionView) str(i int) string {
	if i < len(d.s) {
		return d.s[i].Str()
	}
	return ""
}

// Action is "route" or "deny".
func (d DecisionView) Action() string { return d.str(d.l.dec.action) }

// Target is the chosen target.
func (d DecisionView) Target() string { return d.str(d.l.dec.target) }

// DenyReason is the reason of a deny.
func (d DecisionView) DenyReason() string { return d.str(d.l.dec.denyReason) }

// Reason is why the decision was taken.
func (d DecisionView) Reason() string { return d.str(d.l.dec.reason) }

// StickyKey is the sticky-session key, "" when not sticky.
func (d DecisionView) StickyKey() string { return d.str(d.l.dec.stickyKey) }

// Experiment and Arm are the experiment assignment, if any.
func (d DecisionView) Experiment() string { return d.str(d.l.dec.experiment) }

// Arm is the experiment arm.
func (d DecisionView) Arm() string { return d.str(d.l.dec.arm) }

// Priority is the decision's priority, 0–100.
func (d DecisionView) Priority() int64 {
	if d.l.dec.priority < len(d.s) {
		return d.s[d.l.dec.priority].Int()
	}
	return 0
}

// Weighted reports whether the target was drawn from a split: one of its
// keys with a positive weight (stdlib.Drawn), not a target the policy set
// beside a split.
func (d DecisionView) Weighted() bool {
	if max(d.l.dec.split, d.l.dec.target) >= len(d.s) || d.s[d.l.dec.split].Kind() != vm.KindMap {
		return false
	}
	return stdlib.Drawn(d.s[d.l.dec.split].Map(), d.s[d.l.dec.target])
}

// Tags are the cost-attribution tags.
func (d DecisionView) Tags() vm.Map {
	if d.l.dec.tags < len(d.s) && d.s[d.l.dec.tags].Kind() == vm.KindMap {
		return d.s[d.l.dec.tags].Map()
	}
	return vm.Map{}
}

// Fallbacks is the fallback list.
func (d DecisionView) Fallbacks() vm.Value {
	if d.l.dec.fallbacks < len(d.s) {
		return d.s[d.l.dec.fallbacks]
	}
	return vm.Nil()
}
