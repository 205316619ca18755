package stdlib

import (
	"sync"
	"time"
)

// The state contract. The modules std/cost, std/ab and std/health read
// router state only through these interfaces, which the runtime implements
// (in memory, or backed by JetStream). The builtins find them by type
// assertion on the run's host value (vm.Input.Host): a host may implement
// any subset, and for each interface it does not implement the builtins
// use the neutral defaults documented on the interface. Implementations
// must be safe for concurrent use; they are called on the request path,
// so they should answer from memory.
//
// Money is given in nano-units (1e-9 of the currency unit), like the
// run-time money values.

// CostState answers the std/cost builtins. Without one, every spend is $0
// and every price is unknown (cost.price is none, cost.estimate is $0).
type CostState interface {
	// MonthSpend is the tenant's spend in the calendar month (UTC) that
	// contains at, the run's evaluation time.
	MonthSpend(tenant string, at time.Time) int64
	// DaySpend is the tenant's spend on the day (UTC) that contains at.
	DaySpend(tenant string, at time.Time) int64
	// Price is the catalogue price of target, per million tokens, and
	// whether target is in the catalogue.
	Price(target string) (Price, bool)
}

// Price is a catalogue price per million tokens, in nano-units.
type Price struct {
	Input, Output int64
}

// ExperimentState answers the std/ab builtins. Without one, no experiment
// has a winner. Arm assignment itself needs no state: it is a stable hash
// (see ab.arm).
type ExperimentState interface {
	// Winner is the promoted winning arm of experiment, if it has one.
	Winner(experiment string) (arm string, ok bool)
}

// ArmRecorder is implemented by a host that wants to know the experiment
// assignments a run made: ab.arm calls RecordArm with each one, and the
// runtime fills Decision.experiment and Decision.arm from the last call
// (the decision builders are pure and do not read the host). A host value
// is per run when it implements ArmRecorder.
type ArmRecorder interface {
	RecordArm(experiment, arm string)
}

// SessionState answers sticky: the target a router keeps for a sticky
// session of the run's tenant and policy. Without one (rplc eval and
// explain, tests), no session has a kept target.
type SessionState interface {
	// KeptTarget is the target kept for key if its entry has not
	// expired at the run's time. It only reads: the router extends the
	// entry once the decision that used it is made.
	KeptTarget(key string) (string, bool)
}

// HealthState answers the std/health builtins. Without one, every target
// is healthy, with latency DefaultLatency and error rate 0.
type HealthState interface {
	// Healthy reports whether target's circuit breaker is closed.
	Healthy(target string) bool
	// Latency is target's observed median latency, and false when there is
	// no observation yet (the builtin then answers DefaultLatency).
	Latency(target string) (time.Duration, bool)
	// ErrorRate is target's recent error rate, 0–1.
	ErrorRate(target string) float64
}

// DefaultLatency is health.latency of a target without observations, when
// the host does not know better.
const DefaultLatency = 1 * time.Second

// MemState is an in-memory CostState, ExperimentState and HealthState for
// tests and `rplc test`: fill it with the Set methods, then pass it as
// vm.Input.Host. The zero value is empty and ready; it is safe for
// concurrent use (read-mostly: readers share a lock). Spend does not
// depend on the evaluation time: MonthSpend and DaySpend answer what was
// set, whatever the month or day.
type MemState struct {
	mu      sync.RWMutex
	month   map[string]int64
	day     map[string]int64
	prices  map[string]Price
	winners map[string]string
	health  map[string]memHealth
}

type memHealth struct {
	down       bool
	latency    time.Duration
	hasLatency bool
	errorRate  float64
}

var (
	_ CostState       = (*MemState)(nil)
	_ ExperimentState = (*MemState)(nil)
	_ HealthState     = (*MemState)(nil)
)

// SetSpend sets the tenant's month and day spend, in nano-units.
func (s *MemState) SetSpend(tenant string, month, day int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.month == nil {
		s.month, s.day = map[string]int64{}, map[string]int64{}
	}
	s.month[tenant], s.day[tenant] = month, day
}

// SetPrice sets the catalogue price of target.
func (s *MemState) SetPrice(target string, p Price) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prices == nil {
		s.prices = map[string]Price{}
	}
	s.prices[target] = p
}

// SetWinner promotes arm as the winner of experiment; "" removes the winner.
func (s *MemState) SetWinner(experiment, arm string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.winners == nil {
		s.winners = map[string]string{}
	}
	if arm == "" {
		delete(s.winners, experiment)
		return
	}
	s.winners[experiment] = arm
}

// SetHealth sets whether target is healthy and its error rate.
func (s *MemState) SetHealth(target string, healthy bool, errorRate float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.health == nil {
		s.health = map[string]memHealth{}
	}
	h := s.health[target]
	h.down, h.errorRate = !healthy, errorRate
	s.health[target] = h
}

// SetLatency sets target's observed median latency.
func (s *MemState) SetLatency(target string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.health == nil {
		s.health = map[string]memHealth{}
	}
	h := s.health[target]
	h.latency, h.hasLatency = d, d > 0 // 0: none observed, as the router has it
	s.health[target] = h
}

// MonthSpend implements CostState.
func (s *MemState) MonthSpend(tenant string, _ time.Time) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.month[tenant]
}

// DaySpend implements CostState.
func (s *MemState) DaySpend(tenant string, _ time.Time) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.day[tenant]
}

// Price implements CostState.
func (s *MemState) Price(target string) (Price, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.prices[target]
	return p, ok
}

// Winner implements ExperimentState.
func (s *MemState) Winner(experiment string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.winners[experiment]
	return w, ok
}

// Healthy implements HealthState.
func (s *MemState) Healthy(target string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return !s.health[target].down
}

// Latency implements HealthState.
func (s *MemState) Latency(target string) (time.Duration, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := s.health[target]
	return h.latency, h.hasLatency
}

// ErrorRate implements HealthState.
func (s *MemState) ErrorRate(target string) float64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.health[target].errorRate
}
