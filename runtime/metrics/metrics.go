// Package metrics exports the engine's decisions and loads as Prometheus
// metrics. A Metrics is a runtime.Observer; register it with the engine's
// Config and serve Handler on /metrics.
//
// Series:
//
//	rpl_decisions_total{policy,version,outcome}  outcome: route, deny, safe_default or an error code
//	rpl_decision_duration_seconds                 engine time per decision (histogram)
//	rpl_decision_fuel                             fuel per decision (histogram)
//	rpl_decision_errors_total{code}               decisions answered with an error
//	rpl_reloads_total{result}                     activations (ok) and failed loads (error)
//	rpl_active_policy_version{version}            1 for the active version
//	rpl_refused_total{transport,reason}           requests refused before the engine: overloaded, too_large, unreadable
//	rpl_decision_log_dropped_total                decision events dropped by a slow sink
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rpl-lang/rpl/runtime"
)

// Metrics holds the router's Prometheus metrics.
type Metrics struct {
	reg        *prometheus.Registry
	decisions  *prometheus.CounterVec
	duration   prometheus.Histogram
	fuel       prometheus.Histogram
	errors     *prometheus.CounterVec
	reloads    *prometheus.CounterVec
	active     *prometheus.GaugeVec
	refused    *prometheus.CounterVec
	logDropped prometheus.Counter

	mu      sync.Mutex
	version string

	// counters caches the decisions counter of each (policy, version,
	// outcome): CounterVec.WithLabelValues validates, hashes and locks on
	// every call, and allocates its arguments.
	counters sync.Map // decisionKey → prometheus.Counter
	// refusals caches the refusals counter of each (transport, reason).
	refusals sync.Map // refusalKey → prometheus.Counter
}

type decisionKey struct{ policy, version, outcome string }

type refusalKey struct {
	transport string
	why       runtime.Refusal
}

var _ runtime.Observer = (*Metrics)(nil)

// New returns metrics registered in a fresh registry (with the Go and
// process collectors).
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpl_decisions_total", Help: "Decisions by policy, policy version and outcome.",
		}, []string{"policy", "version", "outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rpl_decision_duration_seconds", Help: "Engine time per decision.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 2, 18), // 1µs … 131ms
		}),
		fuel: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "rpl_decision_fuel", Help: "Fuel used per decision.",
			Buckets: prometheus.ExponentialBuckets(16, 4, 10), // 16 … 4M
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpl_decision_errors_total", Help: "Decisions answered with an error, by code.",
		}, []string{"code"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpl_reloads_total", Help: "Policy activations (ok) and failed loads (error).",
		}, []string{"result"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "rpl_active_policy_version", Help: "1 for the active policy version.",
		}, []string{"version"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpl_refused_total", Help: "Requests refused before the engine, by transport and reason (overloaded, too_large, unreadable).",
		}, []string{"transport", "reason"}),
		logDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rpl_decision_log_dropped_total", Help: "Decision events dropped because the log sink was behind.",
		}),
	}
	m.reg.MustRegister(m.decisions, m.duration, m.fuel, m.errors, m.reloads, m.active, m.refused, m.logDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the metrics' registry, for extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Decided implements runtime.Observer.
func (m *Metrics) Decided(o *runtime.Outcome) {
	version := ""
	if o.Snapshot != nil {
		version = o.Snapshot.ShortVersion()
	}
	k := decisionKey{o.PolicyID(), version, o.Result()}
	c, ok := m.counters.Load(k)
	if !ok {
		c, _ = m.counters.LoadOrStore(k, m.decisions.WithLabelValues(k.policy, k.version, k.outcome))
	}
	c.(prometheus.Counter).Inc()
	m.duration.Observe(o.Elapsed.Seconds())
	if o.Policy != nil {
		m.fuel.Observe(float64(o.Stats.Fuel))
	}
	if o.Err != nil {
		m.errors.WithLabelValues(string(o.Err.Code)).Inc()
	}
}

// Loaded implements runtime.Observer.
func (m *Metrics) Loaded(s *runtime.Snapshot, err error) {
	if err != nil {
		m.reloads.WithLabelValues("error").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.version != "" {
		m.active.DeleteLabelValues(m.version)
	}
	m.version = s.ShortVersion()
	m.active.WithLabelValues(m.version).Set(1)
}

// Refused counts a request refused by transport before the engine (a
// runtime.DispatchConfig.Refused hook).
func (m *Metrics) Refused(transport string, why runtime.Refusal) {
	k := refusalKey{transport, why}
	c, ok := m.refusals.Load(k)
	if !ok {
		c, _ = m.refusals.LoadOrStore(k, m.refused.WithLabelValues(transport, why.String()))
	}
	c.(prometheus.Counter).Inc()
}

// LogDropped counts a dropped decision event.
func (m *Metrics) LogDropped() { m.logDropped.Inc() }
