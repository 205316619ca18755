// Package metrics exports the engine's decisions and loads as Prometheus
// metrics. A Metrics is a runtime.Observer; register it with the engine's
// Config and serve Handler on /metrics.
//
// Series:
//
//	rpl_decisions_total{policy,version,outcome}  outcome: route, deny, safe_default, canceled (a run stopped from outside, answered overloaded) or an error code
//	rpl_decision_duration_seconds                 engine time per decision a policy ran for (histogram)
//	rpl_decision_fuel                             fuel per decision (histogram)
//	rpl_decision_errors_total{code}               decisions answered with an error
//	rpl_reloads_total{result}                     activations (ok) and failed loads (error)
//	rpl_active_policy_version{version}            1 for the active version
//	rpl_requests_total{transport,kind,code}       requests the engine answered, by kind (cp1, v2, batch, feedback) and code (ok or the error code)
//	rpl_refused_total{transport,reason}           requests refused before the engine: overloaded, too_large, unreadable, no_reply, method, not_found, unauthorized (an admin request without the admin token)
//	rpl_decision_log_dropped_total                decision events dropped (a slow sink, a failed publish, a closed log)
//	rpl_decision_log_failures_total               acknowledged decision-log publishes that failed (their messages, kept, are published again)
//	rpl_nats_dropped_total{subject}               NATS messages the router's client dropped (slow consumer), still queued when its subscriptions closed (a shutdown's drain that ran out), or whose reply could not be sent: requests time out, fire-and-forget feedback is lost
//	rpl_spans_dropped_total{reason}               decision spans not exported (only when tracing): queue_full, export_failed, rejected, shutdown
//	rpl_http_connections                          HTTP connections open (only when serving HTTP)
//	rpl_http_connections_limit                    the most HTTP connections open at once (--max-connections; 0: none)
//	rpl_http_connection_waits_total               times the HTTP listener stopped accepting at that limit until a connection closed
//	rpl_http_idle_closed_total                    idle keep-alive HTTP connections closed to make room for a connection waiting at that limit
//	rpl_nats_connected{connection}                1 while the NATS connection is up, 0 while it is lost (reconnecting) or closed: rpl-router (requests, bundle watch), rpl-router-log (the decision log's); only with NATS
//	rpl_bundle_watch_up                           1 while the watch of the bundle bucket runs, 0 while it waits for the connection or retries a failure (only when bundles are watched)
//	rpl_decision_log_ready                        1 while the decision log's connection is up and its stream is known to exist there and store its messages, 0 while events wait for it or the stream refuses them (only with the decision log)
//	rpl_bundle_watch_restarts_total{reason}       restarts of the bundle watch that are no failure: stalled (its consumer behind the key at two resyncs), reconnected (the NATS connection back), replaced (the bucket deleted or created again)
//	rpl_bundle_bucket_replicas                    the bundle bucket's copies, as the watch last found or raised them: 0 before it found the bucket, fewer than --replicas while their raise fails (tried again) (only when bundles are watched)
//
// The last five are read when /metrics is scraped: the requests do not
// touch them.
//
// The series whose labels take fixed values are there from the start,
// at 0: rpl_reloads_total's (ok, error), rpl_decision_errors_total's
// (each error code) and rpl_refused_total's (each reason of each
// transport that serves: Transport), as are rpl_spans_dropped_total's
// and the others counted when scraped; the others, labelled by policy,
// version, kind or code, appear once they have a value.
//
// The decisions' series of a policy version are dropped once it is
// neither the active version nor the one activated before it
// (KeepVersions): their number stays bounded however often policies are
// reloaded.
package metrics

import (
	"net/http"
	"slices"
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
	requests   *prometheus.CounterVec
	logDropped prometheus.Counter
	logFailed  prometheus.Counter

	mu       sync.Mutex
	versions []string // the active version last, and those before it: at most KeepVersions

	// counters caches the decisions counter of each (policy, version,
	// outcome), errCounters the errors counter of each code, refusals the
	// refusals counter of each (transport, reason), answered the requests
	// counter of each (transport, kind, code): WithLabelValues
	// validates, hashes and locks on every call, and allocates its
	// arguments.
	counters    sync.Map // decisionKey → prometheus.Counter
	errCounters sync.Map // runtime.Code → prometheus.Counter
	refusals    sync.Map // refusalKey → prometheus.Counter
	answered    sync.Map // answerKey → prometheus.Counter
}

// KeepVersions is how many policy versions keep their decisions' series:
// the active one and the one before it (the rollback target, and the
// version in-flight decisions may still finish on after a reload).
const KeepVersions = 2

type decisionKey struct{ policy, version, outcome string }

type answerKey struct {
	transport string
	kind      runtime.Kind
	code      runtime.Code
}

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
			Name: "rpl_refused_total", Help: "Requests refused before the engine, by transport and reason (overloaded, too_large, unreadable; no_reply: a NATS decide without a reply subject, or such feedback not recorded; method: an HTTP method the endpoint does not take; not_found: an HTTP path under /v1/ or /v2/ that is no endpoint; unauthorized: an HTTP admin request without the admin token).",
		}, []string{"transport", "reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rpl_requests_total", Help: "Requests the engine answered, by transport, kind (cp1, v2, batch, feedback) and code (ok, or the error code: invalid_request for a malformed request or invalid feedback).",
		}, []string{"transport", "kind", "code"}),
		logDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rpl_decision_log_dropped_total", Help: "Decision events dropped: the log sink was behind, publishing them failed, or the log had closed (shutdown).",
		}),
		logFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rpl_decision_log_failures_total", Help: "Acknowledged decision-log publishes that failed: the messages kept since the previous acknowledgement are published again, each acknowledged.",
		}),
	}
	m.reg.MustRegister(m.decisions, m.duration, m.fuel, m.errors, m.reloads, m.active, m.refused, m.requests, m.logDropped, m.logFailed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The series of fixed labels are there from the start, at 0: the
	// first failed reload, or the first error after a restart, is then an
	// increase that increase() and rate() see.
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("error")
	for _, c := range runtime.ErrorCodes() {
		m.errors.WithLabelValues(string(c))
	}
	return m
}

// Transport makes the refusal series of a transport that serves, one
// for each of the reasons it can refuse a request for, at 0 until one
// is (rpl_refused_total{transport,reason}).
func (m *Metrics) Transport(name string, reasons ...runtime.Refusal) {
	for _, why := range reasons {
		k := refusalKey{name, why}
		m.refusals.LoadOrStore(k, m.refused.WithLabelValues(name, why.String()))
	}
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
	if o.Policy != nil { // a policy ran: a refusal before one would skew the engine's time
		m.duration.Observe(o.Elapsed.Seconds())
		m.fuel.Observe(float64(o.Stats.Fuel))
	}
	if o.Err != nil {
		c, ok := m.errCounters.Load(o.Err.Code)
		if !ok {
			c, _ = m.errCounters.LoadOrStore(o.Err.Code, m.errors.WithLabelValues(string(o.Err.Code)))
		}
		c.(prometheus.Counter).Inc()
	}
}

// Loaded implements runtime.Observer. An activation drops the decisions'
// series (and their cached counters) of every version but the last
// KeepVersions activated.
func (m *Metrics) Loaded(s *runtime.Snapshot, err error) {
	if err != nil {
		m.reloads.WithLabelValues("error").Inc()
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
	m.mu.Lock()
	defer m.mu.Unlock()
	v := s.ShortVersion()
	if n := len(m.versions); n > 0 {
		m.active.DeleteLabelValues(m.versions[n-1])
	}
	m.active.WithLabelValues(v).Set(1)
	m.versions = append(slices.DeleteFunc(m.versions, func(old string) bool { return old == v }), v)
	if n := len(m.versions); n > KeepVersions {
		m.versions = slices.Delete(m.versions, 0, n-KeepVersions)
	}
	// Every cached counter is a series: drop those of the other versions
	// (a decision that finishes late on one re-creates its series, which
	// the next activation drops).
	m.counters.Range(func(key, _ any) bool {
		if k := key.(decisionKey); k.version != "" && !slices.Contains(m.versions, k.version) {
			m.counters.Delete(k)
			m.decisions.DeleteLabelValues(k.policy, k.version, k.outcome)
		}
		return true
	})
}

// Refused counts a request refused by transport before the engine (a
// runtime.Hooks.Refused hook).
func (m *Metrics) Refused(transport string, why runtime.Refusal) {
	k := refusalKey{transport, why}
	c, ok := m.refusals.Load(k)
	if !ok {
		c, _ = m.refusals.LoadOrStore(k, m.refused.WithLabelValues(transport, why.String()))
	}
	c.(prometheus.Counter).Inc()
}

// Answered counts a request the engine answered (a runtime.Hooks.Answered
// hook), code "" as ok.
func (m *Metrics) Answered(transport string, kind runtime.Kind, code runtime.Code) {
	k := answerKey{transport, kind, code}
	c, ok := m.answered.Load(k)
	if !ok {
		c, _ = m.answered.LoadOrStore(k, m.requests.WithLabelValues(transport, kind.String(), codeLabel(code)))
	}
	c.(prometheus.Counter).Inc()
}

func codeLabel(c runtime.Code) string {
	if c == "" {
		return "ok"
	}
	return string(c)
}

// LogDropped counts a dropped decision event.
func (m *Metrics) LogDropped() { m.logDropped.Inc() }

// LogFailed counts a failed acknowledged decision-log publish.
func (m *Metrics) LogFailed() { m.logFailed.Inc() }

// NATSDropped exports the counts of NATS messages the router's client
// dropped, which dropped reads for each of subjects (natsx.Server.Dropped
// and natsx.Subjects), as rpl_nats_dropped_total{subject}.
func (m *Metrics) NATSDropped(dropped func(subject string) int64, subjects ...string) {
	m.counterFuncs("rpl_nats_dropped_total", "subject",
		"NATS messages the router's client dropped, by subject: a subscription's backlog passed its limits (slow consumer), or they were still queued when the subscriptions closed (a shutdown whose drain ran out), or their reply could not be sent (the connection closed while they were handled). NATS is at-most-once: a request dropped times out at its requester; feedback published without a reply subject is lost.",
		dropped, subjects)
}

// SpansDropped exports the counts of decision spans dropped, which
// dropped reads for each of reasons (tracing.Tracer.Dropped and
// tracing.DropReasons), as rpl_spans_dropped_total{reason}.
func (m *Metrics) SpansDropped(dropped func(reason string) int64, reasons ...string) {
	m.counterFuncs("rpl_spans_dropped_total", "reason",
		"Decision spans not exported, by reason: queue_full (the export queue was full: the OTLP endpoint was behind), export_failed (the export failed: the endpoint unreachable, refusing, or too slow), rejected (the endpoint took the export but rejected them: an OTLP partial success), shutdown (ended after the tracer shut down).",
		dropped, reasons)
}

// HTTPConnections exports the HTTP listener's connections (an
// httpx.Listener): open, those open now, as rpl_http_connections; limit,
// the most it keeps open, as rpl_http_connections_limit; waits, the times
// a connection waited at the limit for another to close, as
// rpl_http_connection_waits_total; idleClosed, the idle keep-alives
// closed to make room, as rpl_http_idle_closed_total.
func (m *Metrics) HTTPConnections(open func() int64, limit int, waits, idleClosed func() int64) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rpl_http_connections", Help: "HTTP connections open."},
			func() float64 { return float64(open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rpl_http_connections_limit", Help: "The most HTTP connections open at once (--max-connections; 0: no limit); beyond it connections wait in the kernel's backlog."},
			func() float64 { return float64(limit) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rpl_http_connection_waits_total", Help: "Times a connection waited at the HTTP listener's limit (--max-connections) for another to close (an idle keep-alive closed for it, or one closing of itself); further clients waited in the kernel's backlog."},
			func() float64 { return float64(waits()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rpl_http_idle_closed_total", Help: "HTTP connections closed to make room for a connection waiting at the limit (--max-connections): idle keep-alives, the one idle longest first, else one that has sent nothing for 200 ms, the oldest first."},
			func() float64 { return float64(idleClosed()) }))
}

// NATSConnected exports whether the NATS connection named name is up,
// which connected reads (nats.Conn.IsConnected), as
// rpl_nats_connected{connection=name}: 1 up, 0 lost (reconnecting) or
// closed.
func (m *Metrics) NATSConnected(name string, connected func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rpl_nats_connected", ConstLabels: prometheus.Labels{"connection": name},
		Help: "1 while the router's NATS connection is up, 0 while it is lost (the client reconnecting) or closed, by connection: rpl-router (the requests and the bundle watch), rpl-router-log (the decision log)."},
		func() float64 { return bit(connected()) }))
}

// BundleWatchUp exports whether the watch of the bundle bucket runs,
// which up reads (natsx.BundleWatcher.Up), as rpl_bundle_watch_up.
func (m *Metrics) BundleWatchUp(up func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rpl_bundle_watch_up",
		Help: "1 while the watch of the bundle bucket (rplc push) runs, 0 while it waits for the NATS connection or retries a failure (no JetStream, the bucket deleted): bundles pushed meanwhile are activated once it runs again."},
		func() float64 { return bit(up()) }))
}

// BundleWatchRestarts exports the restarts of the watch of the bundle
// bucket, which restarts reads for each of reasons
// (natsx.BundleWatcher.Restarts and natsx.RestartReasons), as
// rpl_bundle_watch_restarts_total{reason}.
func (m *Metrics) BundleWatchRestarts(restarts func(reason string) int64, reasons ...string) {
	m.counterFuncs("rpl_bundle_watch_restarts_total", "reason",
		"Restarts of the watch of the bundle bucket (rplc push) that are no failure, by reason: stalled (it was behind the bundle key at two resyncs in a row, its JetStream consumer lost, as with a cluster's server), reconnected (the NATS connection came back after a loss), replaced (the bucket was deleted, or deleted and created again). Each restart delivers the key's latest bundle.",
		restarts, reasons)
}

// BundleBucketReplicas exports the bundle bucket's copies, which
// replicas reads (natsx.BundleWatcher.Replicas), as
// rpl_bundle_bucket_replicas.
func (m *Metrics) BundleBucketReplicas(replicas func() int) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rpl_bundle_bucket_replicas",
		Help: "The copies of the bundle bucket (rplc push) on its JetStream cluster, as the bundle watch last found them or raised them to --replicas: 0 before the watch found the bucket; fewer than --replicas while their raise fails (too few servers up), tried again until they are in place."},
		func() float64 { return float64(replicas()) }))
}

// DecisionLogReady exports whether the decision log can publish, which
// ready reads (natsx.DecisionLog.Storing), as rpl_decision_log_ready.
func (m *Metrics) DecisionLogReady(ready func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rpl_decision_log_ready",
		Help: "1 while the decision log's NATS connection is up and its stream known to exist there and to store the log's messages; 0 while decision events wait in the log's queue for them (dropped, and counted in rpl_decision_log_dropped_total, once it is full), or while the stream refuses messages (its limits reached with discard new: their events dropped and counted)."},
		func() float64 { return bit(ready()) }))
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// counterFuncs registers the counter name, one series per value of
// label, each read from count.
func (m *Metrics) counterFuncs(name, label, help string, count func(string) int64, values []string) {
	for _, v := range values {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, ConstLabels: prometheus.Labels{label: v}, Help: help},
			func() float64 { return float64(count(v)) }))
	}
}
