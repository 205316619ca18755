package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// FailureMode is what Decide does when a policy fails at run time.
type FailureMode int

const (
	// FailClosed answers decision_failed.
	FailClosed FailureMode = iota
	// FailSafeDefault answers Config.SafeDefault, marked as such.
	FailSafeDefault
)

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// Env compiles and runs policies; nil means rpl.NewEnv().
	Env *rpl.Env
	// Limits bound every evaluation (zero fields: the VM's defaults;
	// New refuses negative ones).
	Limits rpl.Limits
	// Deadline bounds one evaluation's wall time from the decision's
	// start; 0 means 50ms. The VM checks it with its fuel, every
	// vm.CheckEvery instructions (rpl.Limits.Deadline): no timer per
	// decision.
	Deadline time.Duration
	// FailureMode and SafeDefault: see FailureMode. SafeDefault is a
	// target ("provider:model" or a provider alone, as feedback's:
	// lang.TargetProblem), required with
	// FailSafeDefault; New refuses any other string.
	FailureMode FailureMode
	SafeDefault string
	// DefaultPolicy is the policy deciding for tenants without one of
	// their own; "" means "default".
	DefaultPolicy string
	// RequireKnownTenant refuses (unauthorized) requests whose tenant is
	// not in the snapshot's tenant registry.
	RequireKnownTenant bool
	// Keep is the number of snapshots kept for rollback; 0 means 5.
	Keep int
	// State is the live state policies read (cost, health, experiments):
	// passed to every run as its host. nil means an empty state.
	State any
	// Observer is told about decisions and loads (metrics); may be nil.
	Observer Observer
	// DecisionLog receives a sample of decisions; nil logs none.
	DecisionLog DecisionLog
	// LogSample is the fraction of the decisions that are logged (every
	// outcome of a policy: routed, denied, the safe default, or the
	// policy's failure), in [0, 1] (New refuses any other value); 0
	// means 1, the default: to log none, leave DecisionLog nil. The sample
	// is exact and even, not random: with 0.7, seven of every ten
	// consecutive decisions (see sampler).
	LogSample float64
	// MaxAnswer bounds a batch's answer in bytes (HandleV2Batch): the
	// request whose answer would take it past the limit is answered
	// invalid_request (decided, not answered), and those after it are
	// not decided, answered invalid_request (answerCut); 0 means
	// DefaultMaxAnswer. New refuses a negative one. A transport that
	// carries less bounds it lower (Exchange.LimitAnswer: NATS at its
	// server's max_payload).
	MaxAnswer int
}

// Observer is told about every decision and every load; implementations
// (metrics) must be fast and safe for concurrent use. The Outcome is
// valid only during the call (the caller reuses it): keep copies, not the
// pointer.
type Observer interface {
	Decided(o *Outcome)
	Loaded(s *Snapshot, err error)
}

// Reactivator is an Observer also told of an activation of the version
// already active (Activate, ActivateVersion, ActivateOver), which loads
// nothing (Loaded is not told) but clears the last load error as any
// activation does: an observer that keeps that error's record elsewhere
// (the router, with its last good version) clears it too, and a restart
// does not report again what the status no longer does. It is told under
// the activations' lock, as Loaded is, with the snapshot given to the
// activation (not the one active: another of the same version).
type Reactivator interface {
	Reactivated(s *Snapshot)
}

// Engine decides requests with the active snapshot. It is safe for
// concurrent use.
type Engine struct {
	env *rpl.Env
	cfg Config

	cur     atomic.Pointer[Snapshot]
	mu      sync.Mutex     // serializes activations
	dedup   *feedbackDedup // the feedback ids seen lately (HandleFeedback)
	history []*Snapshot
	// undone are the snapshots Rollback left, most recent last (at most
	// Keep): ActivateVersion puts them back, should a rollback have been
	// a mistake.
	undone  []*Snapshot
	lastErr atomic.Pointer[loadFailure]

	reqType, decType, tenantType *lang.Record
	lay                          layout
	// The encoders of a Decision, and of its tags and fallbacks (CP1).
	encDecision, encTags, encFallbacks encoder
	decShape                           *shape // what route must return
	fast                               typedDecoder
	safeDefault                        vm.Value
	svc                                services // asserted from cfg.State
	hosts                              sync.Pool
	logs                               sampler // the decisions logged

	decisions, failures, reloads, reloadFailures atomic.Int64
}

// loadFailure is a refused load: when, why, and from which source (the
// LoadError's Source; "" for an error of the system, such as a temporary
// directory not made, which only an activation clears).
type loadFailure struct {
	at     time.Time
	err    error
	source string
}

// New returns an engine with no active snapshot.
func New(cfg Config) (*Engine, error) {
	if cfg.Env == nil {
		env, err := rpl.NewEnv()
		if err != nil {
			return nil, err
		}
		cfg.Env = env
	}
	if cfg.MaxAnswer < 0 {
		return nil, fmt.Errorf("runtime: MaxAnswer %d is negative", cfg.MaxAnswer)
	}
	if cfg.MaxAnswer == 0 {
		cfg.MaxAnswer = DefaultMaxAnswer
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 50 * time.Millisecond
	}
	if cfg.DefaultPolicy == "" {
		cfg.DefaultPolicy = "default"
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 5
	}
	if s := cfg.LogSample; !(s >= 0 && s <= 1) { // NaN too
		return nil, fmt.Errorf("runtime: LogSample %v is not a fraction of decisions in [0, 1]", s)
	}
	if cfg.FailureMode == FailSafeDefault && cfg.SafeDefault == "" {
		return nil, errors.New("runtime: the safe-default failure mode needs a SafeDefault target")
	}
	if cfg.SafeDefault != "" {
		if why := lang.TargetProblem(cfg.SafeDefault); why != "" {
			return nil, fmt.Errorf("runtime: SafeDefault %q is not a target: %s", cfg.SafeDefault, why)
		}
	}
	for _, l := range []struct {
		name string
		n    int64
	}{{"Fuel", cfg.Limits.Fuel}, {"Memory", cfg.Limits.Memory}, {"MaxDepth", int64(cfg.Limits.MaxDepth)}} {
		if l.n < 0 {
			return nil, fmt.Errorf("runtime: Limits.%s %d is negative (0 means the VM's default)", l.name, l.n)
		}
	}
	e := &Engine{env: cfg.Env, cfg: cfg, svc: servicesOf(cfg.State), dedup: newFeedbackDedup()}
	u := cfg.Env.Universe()
	for name, dst := range map[string]**lang.Record{"Request": &e.reqType, "Decision": &e.decType, "Tenant": &e.tenantType} {
		t, ok := u.Types[name]
		if !ok {
			return nil, fmt.Errorf("runtime: the environment declares no %s type", name)
		}
		r, ok := t.Type.(*lang.Record)
		if !ok {
			return nil, fmt.Errorf("runtime: %s is not a record type", name)
		}
		*dst = r
	}
	if err := e.lay.init(e.reqType, e.decType); err != nil {
		return nil, err
	}
	e.encDecision = compileEncoder(e.decType)
	e.decShape = compileShape(e.decType)
	e.encTags = compileEncoder(e.decType.Fields[e.lay.dec.tags].Type)
	e.encFallbacks = compileEncoder(e.decType.Fields[e.lay.dec.fallbacks].Type)
	if cfg.FailureMode == FailSafeDefault {
		e.safeDefault = e.lay.decision(cfg.SafeDefault, "safe default")
	}
	if cfg.DecisionLog != nil {
		s := cfg.LogSample
		if s == 0 {
			s = 1
		}
		e.logs.p, e.logs.q = fraction(s)
	}
	return e, nil
}

// sampler picks p of every q decisions, evenly, without a lock, an
// allocation or a random number: counting from k = 1, the kth decision is
// picked when ⌊k·p/q⌋ > ⌊(k−1)·p/q⌋. So the first n decisions hold exactly
// ⌊n·p/q⌋ picked ones, and any n consecutive ones ⌊n·p/q⌋ or ⌈n·p/q⌉
// (7 of any 10 for 7/10), whatever the concurrency: each decision takes
// its own k. The zero sampler picks none.
type sampler struct {
	p, q uint64 // p <= q < 2^32, so that (k mod q + 1)·p does not overflow
	k    atomic.Uint64
}

// pick says whether the next decision is picked.
func (s *sampler) pick() bool {
	switch {
	case s.p == 0:
		return false
	case s.p == s.q:
		return true // no counter: no contended cache line
	}
	// The pattern repeats every q decisions: ⌊(k+q)·p/q⌋ = ⌊k·p/q⌋ + p.
	r := (s.k.Add(1) - 1) % s.q
	return (r+1)*s.p/s.q > r*s.p/s.q
}

// fraction returns p/q, q < 2^32, the first convergent of s's continued
// fraction (s in [0, 1]) that is s as a float64: the float64s 0.7, 0.333
// and 1.0/3 are 7/10, 333/1000 and 1/3. Failing that (s below 2.3e-10,
// or a q of 2^32 or more) it is the last convergent with q < 2^32, within
// 2.4e-10 of s, or 1/(2^32-1).
func fraction(s float64) (p, q uint64) {
	const maxQ = 1<<32 - 1
	switch {
	case s <= 0:
		return 0, 1
	case s >= 1:
		return 1, 1
	}
	// s = num/den exactly; Euclid's algorithm gives its continued fraction
	// [0; a1, a2, …], whose convergents h/k follow hp/kp.
	r := new(big.Rat).SetFloat64(s)
	num, den := new(big.Int).Set(r.Num()), new(big.Int).Set(r.Denom())
	hp, h, kp, k := uint64(1), uint64(0), uint64(0), uint64(1)
	a := new(big.Int)
	for float64(h)/float64(k) != s && num.Sign() > 0 {
		num, den = den, num
		a.QuoRem(num, den, num)
		if !a.IsUint64() || a.Uint64() > (maxQ-kp)/k {
			break
		}
		hp, h = h, a.Uint64()*h+hp
		kp, k = k, a.Uint64()*k+kp
	}
	if h == 0 {
		return 1, maxQ
	}
	return h, k
}

// Env is the engine's compilation environment.
func (e *Engine) Env() *rpl.Env { return e.env }

// RequestType is the record type of requests.
func (e *Engine) RequestType() *lang.Record { return e.reqType }

// DecisionType is the record type of decisions.
func (e *Engine) DecisionType() *lang.Record { return e.decType }

// Current is the active snapshot, nil before the first activation.
func (e *Engine) Current() *Snapshot { return e.cur.Load() }

// Ready reports whether a snapshot is active.
func (e *Engine) Ready() bool { return e.cur.Load() != nil }

// Decisions is the number of decide requests answered with a version
// active (Status's Decisions), without the rest of Status.
func (e *Engine) Decisions() int64 { return e.decisions.Load() }

// LoadDir builds a snapshot from dir and activates it. On failure the
// active snapshot stays and the error says why.
func (e *Engine) LoadDir(ctx context.Context, dir string) (*Snapshot, error) {
	s, err := e.BuildDir(ctx, dir)
	if err != nil {
		e.LoadFailed(err)
		return nil, err
	}
	e.Activate(s)
	return s, nil
}

// LoadFailed records a load that failed before the engine was given
// the source's contents (a bundle file that cannot be read), as LoadDir
// and LoadBundle record theirs: the status's last error (its source that
// of a *LoadError, for SourceMended), and the failures counted.
func (e *Engine) LoadFailed(err error) {
	e.reloadFailures.Add(1)
	e.storeFailure(err, time.Now())
	if o := e.cfg.Observer; o != nil {
		o.Loaded(nil, err)
	}
}

func (e *Engine) storeFailure(err error, at time.Time) {
	f := &loadFailure{at: at, err: err}
	if le, ok := errors.AsType[*LoadError](err); ok {
		f.source = le.Source
	}
	e.lastErr.Store(f)
}

// StillRefused records err, a load of source refused at at (by LoadDir
// or LoadBundle, which counted it and told the Observer), as the last
// load error again, without counting it again: for a source whose newest
// version was refused and then an older one activated in its place (a
// bundle bucket's watch looking back through the key's history), which
// cleared it, while the newest is the one the source holds and its
// refusal is what the status must report. The next activation or
// refusal replaces it, as any load error, and SourceMended(source) clears
// it.
func (e *Engine) StillRefused(source string, err error, at time.Time) {
	if err != nil {
		e.lastErr.Store(&loadFailure{at: at, err: err, source: source})
	}
}

// Activate makes s the active snapshot. Activating the version already
// active changes nothing but the last load error, which it clears (the
// source is good again); activating one from the history moves it to
// the top.
func (e *Engine) Activate(s *Snapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.activate(s)
}

// Activation marks the engine's activations at a moment
// (Engine.Activation), for ActivateOver.
type Activation struct {
	s *Snapshot
	n int64
}

// Snapshot is the snapshot active at the mark, nil for none.
func (a Activation) Snapshot() *Snapshot { return a.s }

// Activation is the mark of the activations made until now.
func (e *Engine) Activation() Activation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Activation{s: e.cur.Load(), n: e.reloads.Load()}
}

// ActivateOver is Activate if no activation came since was (Activation)
// was marked, and reports whether none did: for a source whose build
// must not override an activation made while it ran (a push landing
// during a slow build of the policy directory is the later one). The
// activations are counted (the status's reloads, each made under mu),
// not compared by the snapshot active: one activated and then rolled
// back from during the build leaves the same snapshot active, the
// rollback being the later activation all the same.
func (e *Engine) ActivateOver(was Activation, s *Snapshot) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reloads.Load() != was.n {
		return false
	}
	e.activate(s)
	return true
}

// activate is Activate, under e.mu.
func (e *Engine) activate(s *Snapshot) {
	if cur := e.cur.Load(); cur != nil && cur.Version == s.Version {
		e.lastErr.Store(nil)
		if o, ok := e.cfg.Observer.(Reactivator); ok {
			o.Reactivated(s)
		}
		return
	}
	e.history = last(append(without(e.history, s.Version), s), e.cfg.Keep)
	e.undone = without(e.undone, s.Version)
	e.cur.Store(s)
	e.reloads.Add(1)
	e.lastErr.Store(nil)
	if o := e.cfg.Observer; o != nil {
		o.Loaded(s, nil)
	}
}

// SourceMended clears the last load error without an activation when it
// is source's (the source given to LoadDir or LoadBundle): for a source
// whose failed load is over (it holds again a version built before)
// while a later activation stays active. Another source's failure stays.
// It reports whether it cleared one.
func (e *Engine) SourceMended(source string) bool {
	f := e.lastErr.Load()
	return f != nil && f.source == source && e.lastErr.CompareAndSwap(f, nil)
}

// ErrUnknownVersion is ActivateVersion's error for a version that no
// kept snapshot has; ErrAmbiguousVersion for a prefix that several have.
var (
	ErrUnknownVersion   = errors.New("no kept policy version")
	ErrAmbiguousVersion = errors.New("policy version prefix names several kept versions")
)

// MinVersionPrefix is the shortest prefix of a version ActivateVersion
// takes for the whole.
const MinVersionPrefix = 8

// VersionName is name, a policy version as an operator gives it (the
// whole, 64 hex digits, or MinVersionPrefix of its first at least, in
// either case), as versions are written; ok is false when name can name
// no version. ActivateVersion, rplc rollback --version and the bundle
// bucket's rollback take versions so.
func VersionName(name string) (string, bool) {
	name = strings.ToLower(name)
	return name, len(name) >= MinVersionPrefix && len(name) <= 64 && strings.Trim(name, "0123456789abcdef") == ""
}

// ActivateVersion activates the kept snapshot (History) whose version is
// version, or begins with it (MinVersionPrefix characters at least, and
// only one kept version may begin with it), as Activate does: it becomes
// the top of the history, so that Rollback then returns to the version
// active before it.
func (e *Engine) ActivateVersion(version string) (*Snapshot, error) {
	name, ok := VersionName(version)
	if !ok {
		return nil, fmt.Errorf("%w is %s (give the version, or %d of its characters at least)", ErrUnknownVersion, jsonx.QuoteEcho(version), MinVersionPrefix)
	}
	e.mu.Lock()
	var found []*Snapshot
	for _, s := range slices.Concat(e.history, e.undone) {
		if strings.HasPrefix(s.Version, name) {
			found = append(found, s)
		}
	}
	e.mu.Unlock()
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w is or begins with %q (GET /v2/policies lists the kept versions)", ErrUnknownVersion, name)
	case 1:
		e.Activate(found[0])
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: %d begin with %q (give more of it)", ErrAmbiguousVersion, len(found), version)
}

// ErrNoPrevious is Rollback's error when no earlier snapshot is kept.
var ErrNoPrevious = errors.New("no previous policy version to roll back to")

// Rollback reactivates the snapshot active before the current one, and
// moves the current one out of the history (so that another rollback
// goes further back) to RolledBack, from which ActivateVersion can put
// it back. Being an activation, it clears the last load error, as
// Activate does.
func (e *Engine) Rollback() (*Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.history) < 2 {
		return nil, ErrNoPrevious
	}
	left := e.history[len(e.history)-1]
	e.undone = last(append(without(e.undone, left.Version), left), e.cfg.Keep)
	// Its slot cleared: left in the array past the history's end, it
	// kept the snapshot (its compiled bundle) in memory after RolledBack
	// let it go, until an activation wrote over it.
	e.history = slices.Delete(e.history, len(e.history)-1, len(e.history))
	s := e.history[len(e.history)-1]
	e.cur.Store(s)
	e.reloads.Add(1)
	e.lastErr.Store(nil)
	if o := e.cfg.Observer; o != nil {
		o.Loaded(s, nil)
	}
	return s, nil
}

// History lists the kept snapshots, oldest first; the last is active.
func (e *Engine) History() []*Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Snapshot(nil), e.history...)
}

// RolledBack lists the snapshots that rollbacks left and no activation
// has put back, oldest first (at most Config.Keep): ActivateVersion
// takes them as it takes History's.
func (e *Engine) RolledBack() []*Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Snapshot(nil), e.undone...)
}

// Versions is Status, History and RolledBack read at once: no activation
// or rollback comes between them (a status naming one version beside a
// history whose newest is another, a version both in the history and
// rolled back).
func (e *Engine) Versions() (st Status, history, undone []*Snapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.Status(), slices.Clone(e.history), slices.Clone(e.undone)
}

// last is the n last of ss, moved to the start of its array and the
// slots after them cleared: resliced (ss[len(ss)-n:]), the array kept
// the snapshots dropped before them, each a compiled version, in memory
// until an append outgrew it.
func last(ss []*Snapshot, n int) []*Snapshot {
	if k := len(ss) - n; k > 0 {
		return slices.Delete(ss, 0, k)
	}
	return ss
}

// without is ss without the snapshot of version, if it holds it.
func without(ss []*Snapshot, version string) []*Snapshot {
	return slices.DeleteFunc(ss, func(s *Snapshot) bool { return s.Version == version })
}

// Status is the engine's state for status endpoints.
type Status struct {
	Ready          bool      `json:"ready"`
	Version        string    `json:"version,omitempty"`
	Policies       []string  `json:"policies,omitempty"`
	Decisions      int64     `json:"decisions"`       // decide requests answered with a version active: its decisions, and its refusals of a tenant or a policy id; not those answered not_ready, nor invalid ones
	Failures       int64     `json:"failures"`        // policy runs that failed, and internal errors
	Reloads        int64     `json:"reloads"`         // activations, a rollback included (Observer.Loaded with a snapshot)
	ReloadFailures int64     `json:"reload_failures"` // loads refused: LoadDir's, LoadBundle's, and those told to LoadFailed
	LastError      string    `json:"last_error,omitempty"`
	LastErrorAt    time.Time `json:"last_error_at,omitzero"`
}

// Status returns the engine's counters and the last load failure, until
// an activation or the failed source mended (SourceMended) clears it.
func (e *Engine) Status() Status {
	st := Status{
		Decisions:      e.decisions.Load(),
		Failures:       e.failures.Load(),
		Reloads:        e.reloads.Load(),
		ReloadFailures: e.reloadFailures.Load(),
	}
	if s := e.cur.Load(); s != nil {
		st.Ready, st.Version, st.Policies = true, s.Version, s.PolicyIDs()
	}
	if f := e.lastErr.Load(); f != nil {
		st.LastError, st.LastErrorAt = f.err.Error(), f.at
	}
	return st
}
