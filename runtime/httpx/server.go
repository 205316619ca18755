// Package httpx is the router's HTTP transport: the decide, feedback,
// health, metrics, admin and live-state endpoints over a runtime.Engine.
//
//	POST /v1/decide              CP1 DecideRequest → DecideResponse
//	POST /v2/decide              v2 decide (see runtime.HandleV2)
//	POST /v2/decide/batch        v2 batch
//	POST /v2/feedback            feedback (one, or {"feedback": [...]})
//	GET  /healthz                the process is up
//	GET  /readyz                 a policy version is active and the process is not shutting down (503 otherwise)
//	GET  /metrics                Prometheus
//	GET  /v2/policies            the active version, its policies, the kept versions (then those rollbacks left, "rolled_back": true), the last load error, ready as /readyz says it, what was taken from each source (Config.Sources)
//	POST /v2/policies/rollback   reactivate the previous version (no body, or {})
//	POST /v2/policies/activate   {"version": "…"}: activate a kept version (runtime.Engine.ActivateVersion)
//	POST /v2/policies/reload     build the policy source again and activate it, even unchanged (Config.Reload)
//	GET  /v2/targets             the provider health the engine decides with (live.go)
//	GET  /v2/spend?tenant=ID     a tenant's spend today and this month, and its budget (live.go)
//
// Rollback, activate and reload answer 200
// {"ok":true,"version":…,"source":…,"policies":[…]}, the version
// activated and where it came from, or an error: rollback 400
// invalid_request (a body naming anything) and 409 no_previous_version;
// activate 400 invalid_request (a body other than
// {"version": string}), 404 version_not_found and 409 ambiguous_version;
// reload 400 invalid_request (a body naming anything, as rollback's),
// 409 no_source (Config.Reload nil or ErrNoSource) and 422
// reload_failed. The running version stays when they fail. With
// Config.AdminToken set, /v2/policies and the endpoints under it,
// /v2/targets and /v2/spend answer 401 unauthorized (WWW-Authenticate: Bearer) to a request without
// "Authorization: Bearer TOKEN".
//
// /readyz answers 200 {"ready":true,"version":…}; 503 (Retry-After: 1)
// {"ready":false,"last_error":…} before a version is active or while
// Config.NotReady gives a reason, and
// {"ready":false,"shutting_down":true} once Config.Draining says so,
// while the other endpoints still serve (a load balancer takes the
// process out before it stops taking connections).
//
// Error codes map to statuses: invalid_request 400, unauthorized 401,
// policy_not_found 404, decision_failed 422, overloaded and not_ready 503
// (with Retry-After, as every 503), internal 500. A batch none of whose
// requests could be decided because no version is active answers as a
// decide does (503 not_ready); one with other outcomes too answers 200,
// each request's error in its result. Bodies beyond Config.MaxBody are
// invalid_request (413), naming their size when the request gives it
// (Content-Length; else "more than" the limit) and the limit; a body
// with a Content-Encoding (but identity) is 415, naming it, at the admin
// endpoints too; one not
// received within the http.Server's ReadTimeout is 408 (invalid_request,
// naming the timeout, the connection closed), at the admin endpoints
// too; otherwise unreadable, 400. Another
// method than an endpoint's is 405 with Allow, and an unknown path
// (under /v1/ or /v2/ or not), or one that is not clean (//v1/decide,
// /v1/../v1/decide), 404, both invalid_request in the house error shape
// ({"ok":false,"error":{"code","message"}}; CP1's, with its context,
// under /v1/, the path cleaned). At most Config.MaxInFlight decide and feedback
// requests run at once; beyond that the server answers overloaded at once,
// naming the request (its request_id, CP1's trace_id),
// instead of queueing. A server's listener wrapped by Limit keeps at most
// a number of connections open, the others waiting in the kernel's
// backlog; with its ConnState the http.Server's hook, it closes an idle
// keep-alive, the one idle longest, to make room for one waiting.
// Refused requests (overloaded, too large, unreadable, a method not
// taken, a path that is no endpoint) are
// reported to Config.Refused. What is not HTTP (the
// dispatch by kind, spans, refusal answers, pooled buffers) is
// runtime.Dispatcher's, shared with the NATS transport.
package httpx

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/internal/repeats"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

// Config configures a Server.
type Config struct {
	// MaxBody is the largest request body in bytes; 0 means 1 MiB.
	MaxBody int64
	// MaxInFlight bounds concurrent decide and feedback requests; 0
	// means 4096.
	MaxInFlight int
	// Sources is what GET /v2/policies reports as "sources": what the
	// router last took from each of its sources (nil: nothing).
	Sources func() any
	// Metrics serves /metrics (nil: 404).
	Metrics http.Handler
	// Draining, when set, tells that the process is shutting down:
	// /readyz answers 503, shutting down, and every answer says
	// Connection: close.
	Draining func() bool
	// NotReady, when set, tells why the process cannot take its share
	// of the requests although a policy version is active (the router's
	// NATS subjects not subscribed), nil when it can: /readyz answers
	// 503 with it as last_error.
	NotReady func() error
	// Reload, when set, builds the policy source again and activates
	// it, even unchanged since it was last taken (POST
	// /v2/policies/reload), returning the version activated. An error
	// wrapping ErrNoSource says there is no source to reload (409);
	// any other, why the source was refused (422).
	Reload func(ctx context.Context) (*runtime.Snapshot, error)
	// AdminToken, when set, is required of the admin endpoints
	// (/v2/policies and under it, /v2/targets, /v2/spend), as
	// "Authorization: Bearer TOKEN":
	// another request is answered 401 unauthorized. The decide,
	// feedback, health and metrics endpoints stay open.
	AdminToken string
	// Logger, when set, is told of admin requests refused without the
	// admin token, once a minute at most (WARN); each is counted as a
	// refusal, unauthorized (Hooks.Refused).
	Logger *slog.Logger
	// Hooks trace each request and count those refused before the
	// engine (overloaded, too large, unreadable) as transport "http".
	runtime.Hooks
}

// Transport is the name the HTTP transport gives spans and metrics.
const Transport = "http"

// Refusals are the reasons the HTTP transport refuses a request for
// (rpl_refused_total's reason).
var Refusals = []runtime.Refusal{runtime.RefusedOverloaded, runtime.RefusedTooLarge, runtime.RefusedUnreadable, runtime.RefusedMethod, runtime.RefusedNotFound, runtime.RefusedUnauthorized}

// ErrNoSource is wrapped by a Config.Reload error that means there is no
// policy source to reload.
var ErrNoSource = errors.New("no policy source to reload")

// Server is the HTTP transport.
type Server struct {
	e   *runtime.Engine
	d   *runtime.Dispatcher
	cfg Config
	sem chan struct{}
	mux *http.ServeMux

	// unauthorizedN counts the admin requests refused since the last
	// line logged, which unauthorizedLog keeps to one a minute.
	unauthorizedN   atomic.Int64
	unauthorizedLog repeats.Filter
}

// New returns a server for e.
func New(e *runtime.Engine, cfg Config) *Server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4096
	}
	s := &Server{e: e, cfg: cfg, sem: make(chan struct{}, cfg.MaxInFlight), mux: http.NewServeMux(),
		d: runtime.NewDispatcher(e, runtime.DispatchConfig{Transport: Transport, Hooks: cfg.Hooks})}
	for path, kind := range map[string]runtime.Kind{"/v1/decide": runtime.KindCP1, "/v2/decide": runtime.KindV2, "/v2/decide/batch": runtime.KindBatch, "/v2/feedback": runtime.KindFeedback} {
		s.mux.HandleFunc("POST "+path, s.serve(kind))
		s.mux.HandleFunc(path, s.wrongMethod(kind)) // any other method
	}
	// The other endpoints: a pattern with the method, and the path
	// alone for any other method (405), as the decide endpoints.
	handle := func(method, path string, h http.Handler) {
		s.mux.Handle(method+" "+path, h)
		s.mux.HandleFunc(path, s.notAllowed(method))
	}
	handle("GET", "/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	handle("GET", "/readyz", http.HandlerFunc(s.readyz))
	handle("GET", "/v2/policies", s.admin(s.policies))
	handle("POST", "/v2/policies/rollback", s.admin(s.rollback))
	handle("POST", "/v2/policies/activate", s.admin(s.activate))
	handle("POST", "/v2/policies/reload", s.admin(s.reload))
	handle("GET", "/v2/targets", s.admin(s.targets)) // live.go
	handle("GET", "/v2/spend", s.admin(s.spend))
	if cfg.Metrics != nil {
		handle("GET", "/metrics", cfg.Metrics)
	}
	// No endpoint is a JSON 404, under /v1 and /v2 in their shapes, and
	// those two paths themselves (which the mux would redirect to /v1/
	// and /v2/, no JSON), and anywhere else ("/": Go's text/plain 404
	// was the one answer of the router that was not JSON).
	for _, p := range []string{"/v1/", "/v2/", "/v1", "/v2", "/"} {
		s.mux.HandleFunc(p, s.notFound)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A path that is not clean (//v1/decide, /v1/../v1/decide) is no
	// endpoint: the mux would answer it with a redirect, no JSON, which
	// a client posting a decision does not follow.
	if p := r.URL.Path; len(p) > 1 && path.Clean(p) != strings.TrimSuffix(p, "/") {
		s.notFound(w, r)
		return
	}
	if s.cfg.Draining != nil && s.cfg.Draining() {
		// Shutting down: the client opens a new connection for its next
		// request, which a load balancer sends elsewhere, and net/http
		// closes this one after the answer. A keep-alive idle meanwhile
		// stays open until the shutdown closes it, at the grace's end:
		// closed at its start (http.Server.SetKeepAlivesEnabled), it
		// could be closed under a client sending a POST on it, which
		// fails with EOF or a reset, the client not knowing whether it
		// was decided.
		w.Header().Set("Connection", "close")
	}
	s.mux.ServeHTTP(w, r)
}

// Status maps an error code to an HTTP status.
func Status(c runtime.Code) int {
	switch c {
	case "":
		return http.StatusOK
	case runtime.CodeInvalidRequest:
		return http.StatusBadRequest
	case runtime.CodeUnauthorized:
		return http.StatusUnauthorized
	case runtime.CodePolicyNotFound:
		return http.StatusNotFound
	case runtime.CodeDecisionFailed:
		return http.StatusUnprocessableEntity
	case runtime.CodeOverloaded, runtime.CodeNotReady:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// serve adapts HTTP to the dispatcher: the body (bounded by MaxBody),
// the concurrency bound, the traceparent and tracestate headers, the
// status and Retry-After.
func (s *Server) serve(kind runtime.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		arrival := time.Now()
		x := s.d.Get()
		defer s.d.Put(x)
		// A body larger than MaxBody is refused before it is read when
		// the request says its length, and named as NATS names it; read,
		// up to the limit, when it does not (chunked): its size is then
		// known only to be more than the limit. Unread, the body names
		// no request id.
		if r.ContentLength > s.cfg.MaxBody {
			s.write(w, http.StatusRequestEntityTooLarge, s.d.Refuse(x, kind, runtime.RefusedTooLarge,
				runtime.TooLargeMessage(r.ContentLength, s.cfg.MaxBody), nil, traceparent(r)))
			return
		}
		// A compressed body would be read as JSON and refused as
		// malformed, which would not say why.
		if ce := runtime.ContentCoding(r.Header.Values("Content-Encoding")); ce != "" {
			s.write(w, http.StatusUnsupportedMediaType, s.d.Refuse(x, kind, runtime.RefusedUnreadable,
				runtime.CodingMessage(ce), nil, traceparent(r)))
			return
		}
		// The body first: a client still sending its request holds no
		// slot, or a few slow uploads would shed every decision.
		body, err := readBody(r.Body, s.cfg.MaxBody, x.In)
		if err != nil {
			status, why, msg := unreadable(w, r, err)
			if errors.Is(err, errTooLarge) {
				status, why = http.StatusRequestEntityTooLarge, runtime.RefusedTooLarge
				msg = runtime.TooLargeMessage(-1, s.cfg.MaxBody)
			}
			s.write(w, status, s.d.Refuse(x, kind, why, msg, nil, traceparent(r)))
			return
		}
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		default:
			s.write(w, http.StatusServiceUnavailable, s.d.Refuse(x, kind, runtime.RefusedOverloaded,
				fmt.Sprintf("router overloaded: %s in flight; retry later", runtime.Count(s.cfg.MaxInFlight, "request")), body, traceparent(r)))
			return
		}
		x.In = body[:0] // keep the grown buffer
		// A batch none of whose requests could be decided, no version
		// being active, comes as not_ready (503), as a decide does.
		ctx := r.Context()
		if ts := r.Header["Tracestate"]; len(ts) > 0 && s.cfg.Trace != nil {
			ctx = tracing.WithTraceState(ctx, ts...) // the span's trace state
		}
		out, code := s.d.Serve(ctx, x, kind, body, traceparent(r), arrival)
		s.write(w, Status(code), out)
	}
}

// appendError appends an error answer in the house shape, v2's:
// {"ok":false,"error":{"code":…,"message":…}}, without a request id.
func appendError(buf []byte, code runtime.Code, message string) []byte {
	buf = append(buf, `{"ok":false,"error":{"code":`...)
	buf = runtime.AppendString(buf, string(code))
	buf = append(buf, `,"message":`...)
	buf = runtime.AppendString(buf, message)
	return append(buf, "}}"...)
}

// writeError writes an error answer in the house shape (appendError);
// under /v1/, CP1's (its context, without a request id: none was read).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, code runtime.Code, message string) {
	out := appendError(nil, code, message)
	if strings.HasPrefix(path.Clean(r.URL.Path), "/v1/") {
		out = append(out[:len(out)-1], `,"context":{"request_id":""}}`...)
	}
	s.write(w, status, out)
}

// notAllowed answers a method other than method (GET also takes HEAD)
// at an endpoint other than a decide one: 405 with Allow, in the house
// shape, counted as a refusal.
func (s *Server) notAllowed(method string) http.HandlerFunc {
	allow := method
	if method == "GET" {
		allow = "GET, HEAD"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Refused != nil {
			s.cfg.Refused(Transport, runtime.RefusedMethod)
		}
		w.Header().Set("Allow", allow)
		s.writeError(w, r, http.StatusMethodNotAllowed, runtime.CodeInvalidRequest, fmt.Sprintf("method %s: %s takes %s", jsonx.Echo(r.Method), r.URL.Path, method))
	}
}

// notFound answers a path that is no endpoint: 404 in the house shape
// (CP1's under /v1/), counted as a refusal, as a method not taken is.
// The path is named as sent, escaped (/v1%2Fdecide is no endpoint, its
// decoded path /v1/decide is one), and cut as any echo is.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Refused != nil {
		s.cfg.Refused(Transport, runtime.RefusedNotFound)
	}
	s.writeError(w, r, http.StatusNotFound, runtime.CodeInvalidRequest, "no endpoint "+jsonx.Echo(r.URL.EscapedPath()))
}

// wrongMethod answers a method other than POST in the endpoint's shape
// (405, Allow: POST), as a refusal.
func (s *Server) wrongMethod(kind runtime.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		x := s.d.Get()
		defer s.d.Put(x)
		w.Header().Set("Allow", "POST")
		s.write(w, http.StatusMethodNotAllowed, s.d.Refuse(x, kind, runtime.RefusedMethod,
			fmt.Sprintf("method %s: %s takes POST", jsonx.Echo(r.Method), r.URL.Path), nil, traceparent(r)))
	}
}

// write writes an answer; a 503 (overloaded, not ready, not ready to
// take requests) says when to retry (Retry-After), if not said already.
func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	writeBody(w, status, body)
}

// writeBody writes body with its length: the server would send one
// larger than its 2 KiB buffer chunked, which an HTTP/1.0 client (a
// load balancer's probe, a proxy) reads to the connection's close. A
// shorter body, a decision's, gets its length from the server, which
// buffered all of it: set here, it would cost the request a string and a
// header slice.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	if len(body) >= chunkingSize {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	header(w, status)
	w.Write(body)
}

func header(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
}

// traceparent is the request's W3C traceparent header (the server
// canonicalizes the names it receives), without Header.Get's copy of the
// name canonicalized, allocated for each request: a name not in
// net/http's table of common ones. A request that gives it more than
// once has none: W3C Trace Context takes several traceparent headers for
// an invalid one, and the request starts a new trace (the first was
// taken).
func traceparent(r *http.Request) string {
	if v := r.Header["Traceparent"]; len(v) == 1 {
		return v[0]
	}
	return ""
}

var errTooLarge = errors.New("request body too large")

// timeoutAnswerGrace is the time a 408 (unreadable) has to be written:
// a few hundred bytes, into the connection's socket buffer.
const timeoutAnswerGrace = time.Second

// unreadable is the answer to a body that could not be read (but for
// one too large): 408 when it was not received within the server's read
// timeout (http.Server.ReadTimeout), the connection then closed (as RFC
// 9110 asks), naming the timeout; else 400, naming the error.
func unreadable(w http.ResponseWriter, r *http.Request, err error) (int, runtime.Refusal, string) {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return http.StatusBadRequest, runtime.RefusedUnreadable, err.Error()
	}
	w.Header().Set("Connection", "close")
	// net/http's write deadline (WriteTimeout) runs from the end of the
	// headers, the read deadline from their start: with the two equal,
	// as the router's are, the answer written at the read deadline
	// would miss the write deadline by a moment and never be sent.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeoutAnswerGrace))
	msg := "request body not received within the server's read timeout"
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 {
		msg += fmt.Sprintf(" (%s)", srv.ReadTimeout)
	}
	return http.StatusRequestTimeout, runtime.RefusedUnreadable, msg
}

// readBody reads at most max bytes into buf.
func readBody(r io.Reader, max int64, buf []byte) ([]byte, error) {
	lr := io.LimitReader(r, max+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readiness is /readyz's answer, "ready" first: {"ready":true,"version"},
// or {"ready":false} with shutting_down, last_error, or, when no version
// is active and none failed (a router waiting for its first push),
// reason.
type readiness struct {
	Ready        bool    `json:"ready"`
	Version      string  `json:"version,omitempty"`
	ShuttingDown bool    `json:"shutting_down,omitempty"`
	LastError    *string `json:"last_error,omitempty"`
	Reason       string  `json:"reason,omitempty"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	a := s.readiness(s.e.Status())
	status := http.StatusOK
	if !a.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, a)
}

// readiness is /readyz's answer for the engine's status st, which
// GET /v2/policies's status says too ("ready").
func (s *Server) readiness(st runtime.Status) readiness {
	var why error
	if s.cfg.NotReady != nil {
		why = s.cfg.NotReady()
	}
	switch {
	case s.cfg.Draining != nil && s.cfg.Draining():
		return readiness{ShuttingDown: true}
	case !st.Ready && st.LastError == "":
		// Nothing failed: "last_error":"" said nothing of why.
		return readiness{Reason: "no policy version is active"}
	case !st.Ready:
		return readiness{LastError: &st.LastError}
	case why != nil:
		msg := why.Error()
		return readiness{LastError: &msg}
	}
	return readiness{Ready: true, Version: st.Version}
}

type versionInfo struct {
	Version  string    `json:"version"`
	Source   string    `json:"source"`
	Built    time.Time `json:"built"` // when this router loaded it (runtime.Snapshot.Built), not the bundle's build time
	Policies []string  `json:"policies"`
	Active   bool      `json:"active"`
	// RolledBack marks a version a rollback left, which activate puts
	// back; the others are the rollback chain, newest first.
	RolledBack bool `json:"rolled_back,omitempty"`
}

func (s *Server) policies(w http.ResponseWriter, r *http.Request) {
	// The sources first: a source's record is made after the activation
	// or refusal it records, so the status read after is at least as new
	// as the sources shown beside it.
	var sources any
	if s.cfg.Sources != nil {
		sources = s.cfg.Sources()
	}
	st, h, undone := s.e.Versions()
	// Ready as /readyz says it: a version active is not enough while the
	// router shuts down or has not subscribed its NATS subjects.
	st.Ready = s.readiness(st).Ready
	hist := make([]versionInfo, 0, len(h)) // [] before any activation, not null
	for i := len(h) - 1; i >= 0; i-- {
		v := h[i]
		hist = append(hist, versionInfo{Version: v.Version, Source: v.Source, Built: v.Built, Policies: v.PolicyIDs(), Active: v.Version == st.Version})
	}
	for i := len(undone) - 1; i >= 0; i-- {
		v := undone[i]
		hist = append(hist, versionInfo{Version: v.Version, Source: v.Source, Built: v.Built, Policies: v.PolicyIDs(), RolledBack: true})
	}
	out := map[string]any{"status": st, "versions": hist}
	if s.cfg.Sources != nil {
		out["sources"] = sources
	}
	writeJSON(w, http.StatusOK, out)
}

// compressed answers 415 to an admin body with a Content-Encoding (but
// identity), as decide does: read as JSON, it was refused 400 as no JSON
// object, which did not say why.
func compressed(w http.ResponseWriter, r *http.Request) bool {
	if ce := runtime.ContentCoding(r.Header.Values("Content-Encoding")); ce != "" {
		adminError(w, http.StatusUnsupportedMediaType, "invalid_request", errors.New(runtime.CodingMessage(ce)))
		return true
	}
	return false
}

// bodyNamesNothing answers an admin request that takes no body (a
// rollback, a reload) whose body is compressed (415), or names anything
// (400, msg): what it names would be ignored, and another version
// activated than the one meant. No body, or one naming nothing ({ },
// null), is taken: it reports whether the request may go on.
func (s *Server) bodyNamesNothing(w http.ResponseWriter, r *http.Request, msg string) bool {
	if compressed(w, r) {
		return false
	}
	// A body not received in time (408), or unreadable (a malformed
	// chunk: 400), is named so, as activate names it: it was told that
	// the endpoint takes no body, which the client may not have meant
	// to send. One too large names something.
	body, err := readBody(r.Body, s.cfg.MaxBody, nil)
	if err != nil && !errors.Is(err, errTooLarge) {
		status, _, msg := unreadable(w, r, err)
		adminError(w, status, "invalid_request", errors.New(msg))
		return false
	}
	var named map[string]json.RawMessage
	if b := bytes.TrimSpace(body); err != nil || (len(b) > 0 && (json.Unmarshal(b, &named) != nil || len(named) > 0)) {
		adminError(w, http.StatusBadRequest, "invalid_request", errors.New(msg))
		return false
	}
	return true
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request) {
	if !s.bodyNamesNothing(w, r, `rollback takes no body: it activates the previous version (to activate a given one, POST /v2/policies/activate {"version": "…"})`) {
		return
	}
	snap, err := s.e.Rollback()
	if err != nil {
		adminError(w, http.StatusConflict, "no_previous_version", err)
		return
	}
	s.activated(w, r, snap, "local rollback over HTTP: the previous version active on this router only, the bundle bucket unchanged")
}

// activate activates a kept version, named in the body
// {"version": "…"} (runtime.Engine.ActivateVersion: the version, or a
// prefix of it).
func (s *Server) activate(w http.ResponseWriter, r *http.Request) {
	if compressed(w, r) {
		return
	}
	// A body over MaxBody is named as a decide's is: its size when the
	// request gives it (refused unread), the limit.
	if r.ContentLength > s.cfg.MaxBody {
		adminError(w, http.StatusRequestEntityTooLarge, "invalid_request", errors.New(runtime.TooLargeMessage(r.ContentLength, s.cfg.MaxBody)))
		return
	}
	body, err := readBody(r.Body, s.cfg.MaxBody, nil)
	if err != nil {
		status, _, msg := unreadable(w, r, err)
		if errors.Is(err, errTooLarge) {
			status, msg = http.StatusRequestEntityTooLarge, runtime.TooLargeMessage(-1, s.cfg.MaxBody)
		}
		adminError(w, status, "invalid_request", errors.New(msg))
		return
	}
	var req struct {
		Version *string `json:"version"`
	}
	msg := `want a JSON object {"version": "…"}: a version that GET /v2/policies lists, or 8 of its first characters at least`
	// An unknown key is named, the first in the body's order, as the
	// decide and feedback bodies name theirs, and a key is version only
	// when spelt so: encoding/json takes VERSION for version, the last
	// of two for both, where a proxy or an audit log that compares keys
	// exactly reads {"version": "a", "Version": "b"} as activating a.
	valid := json.Valid(body)
	if valid {
		if k, ok := jsonx.UnknownKey(body, []string{"version"}); ok {
			hint := ""
			if lang.Nearest(k, []string{"version"}) != "" { // VERSION too
				hint = " (did you mean version?)"
			}
			adminError(w, http.StatusBadRequest, "invalid_request", errors.New("unknown field "+jsonx.QuoteEcho(k)+hint+"; "+msg))
			return
		}
		if _, dup := jsonx.DuplicateKey(body, "", 1); dup {
			adminError(w, http.StatusBadRequest, "invalid_request", errors.New("version: "+jsonx.RepeatedKey+"; "+msg))
			return
		}
	}
	if at, err := malformed(body, valid); err != nil {
		// Placed as a decide body's syntax error is.
		adminError(w, http.StatusBadRequest, "invalid_request", fmt.Errorf("malformed JSON at byte %d: %v; %s", at, err, msg))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil || req.Version == nil || !atEOF(dec) {
		adminError(w, http.StatusBadRequest, "invalid_request", errors.New(msg))
		return
	}
	snap, err := s.e.ActivateVersion(*req.Version)
	switch {
	case errors.Is(err, runtime.ErrUnknownVersion):
		adminError(w, http.StatusNotFound, "version_not_found", err)
	case err != nil:
		adminError(w, http.StatusConflict, "ambiguous_version", err)
	default:
		s.activated(w, r, snap, "local activation over HTTP: a kept version active on this router only, the bundle bucket unchanged")
	}
}

// admin is h behind Config.AdminToken, when one is set.
func (s *Server) admin(h http.HandlerFunc) http.Handler {
	if s.cfg.AdminToken == "" {
		return h
	}
	want := []byte(s.cfg.AdminToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme, then one space or more (RFC 6750: 1*SP).
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimLeft(token, " ")
		// Given twice, the header is refused whatever the first says: a
		// proxy in front may have checked the other.
		twice := len(r.Header.Values("Authorization")) > 1
		if twice || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(token), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rpl-router admin"`)
			msg := "the admin endpoints need Authorization: Bearer TOKEN, the router's --admin-token"
			switch {
			case twice:
				msg = "Authorization is given more than once; " + msg + ", once"
			case strings.EqualFold(scheme, "Bearer") && token == "":
				msg = "Authorization: Bearer gives no token; " + msg
			case strings.EqualFold(scheme, "Bearer"):
				// A token given, not the router's: say so, not that one
				// is needed, which the client thinks it sent.
				msg = "the token of Authorization: Bearer is not the router's --admin-token"
			}
			s.unauthorized(r)
			adminError(w, http.StatusUnauthorized, string(runtime.CodeUnauthorized), errors.New(msg))
			return
		}
		h(w, r)
	})
}

// errUnauthorized is the failure the log of admin requests refused
// repeats (Server.unauthorized).
var errUnauthorized = errors.New("admin request refused: unauthorized")

// unauthorized counts an admin request r refused without the admin token
// and logs it, once a minute at most, naming where it came from (never
// the token it gave) and how many were refused since the last line.
func (s *Server) unauthorized(r *http.Request) {
	if s.cfg.Refused != nil {
		s.cfg.Refused(Transport, runtime.RefusedUnauthorized)
	}
	n := s.unauthorizedN.Add(1)
	if s.cfg.Logger != nil && s.unauthorizedLog.Tell(errUnauthorized) {
		s.unauthorizedN.Add(-n)
		s.cfg.Logger.Warn("admin request refused: no valid admin token (logged once a minute at most; rpl_refused_total{reason=\"unauthorized\"} counts every one)",
			"remote", r.RemoteAddr, "method", r.Method, "path", jsonx.Echo(r.URL.Path), "refused", n)
	}
}

// malformed is the syntax error of body, not empty, that is not JSON
// (valid is json.Valid(body), which its caller read already), and the
// byte at fault, counted from 0 (the body's end for a body cut short);
// nil for an empty body or JSON.
func malformed(body []byte, valid bool) (at int, err error) {
	if valid || len(bytes.TrimSpace(body)) == 0 {
		return 0, nil
	}
	var v any
	var se *json.SyntaxError
	if !errors.As(json.Unmarshal(body, &v), &se) {
		return 0, nil
	}
	return jsonx.SyntaxOffset(body, se), se
}

// atEOF reports whether dec has nothing but space left (More misses a
// stray closing brace or bracket).
func atEOF(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err == io.EOF
}

// adminError is the answer of a rollback, activation or reload refused:
// {"ok":false,"error":{"code","message"}}, "ok" first as in every other
// answer of the router.
func adminError(w http.ResponseWriter, status int, code string, err error) {
	type adminErr struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, status, struct {
		OK    bool     `json:"ok"`
		Error adminErr `json:"error"`
	}{false, adminErr{code, err.Error()}})
}

// InFlight is the number of requests (decide, batch, feedback) being
// handled.
func (s *Server) InFlight() int { return len(s.sem) }

// activated is the answer of a rollback, activation or reload that
// activated snap: {"ok":true,"version","source","policies"}, in that
// order.
//
// A rollback or activation logs line (Config.Logger) with the version,
// its source and the client's address: the engine's own line, "policy version active",
// names the version's source (a bucket revision, say) as a push's does,
// and did not say that this router alone went back, nor who asked.
func (s *Server) activated(w http.ResponseWriter, r *http.Request, snap *runtime.Snapshot, line string) {
	if s.cfg.Logger != nil && line != "" {
		s.cfg.Logger.Info(line, "version", snap.ShortVersion(), "source", snap.Source, "remote", r.RemoteAddr)
	}
	writeJSON(w, http.StatusOK, struct {
		OK       bool     `json:"ok"`
		Version  string   `json:"version"`
		Source   string   `json:"source"`
		Policies []string `json:"policies"`
	}{true, snap.Version, snap.Source, snap.PolicyIDs()})
}

// reload builds the policy source again and activates it (Config.Reload),
// to completion once asked for even if the client goes.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	// As a rollback, it takes no body: one naming a version or a
	// directory was ignored, and the policy source activated instead.
	if !s.bodyNamesNothing(w, r, `reload takes no body: it builds the policy source again and activates it (to activate a kept version, POST /v2/policies/activate {"version": "…"})`) {
		return
	}
	if s.cfg.Reload == nil {
		adminError(w, http.StatusConflict, "no_source", ErrNoSource)
		return
	}
	snap, err := s.cfg.Reload(context.WithoutCancel(r.Context()))
	switch {
	case errors.Is(err, ErrNoSource):
		adminError(w, http.StatusConflict, "no_source", err)
	case err != nil:
		adminError(w, http.StatusUnprocessableEntity, "reload_failed", err)
	default:
		s.activated(w, r, snap, "") // the source's own load, logged as such
	}
}

// chunkingSize is the most that net/http buffers of an answer whose
// length it was not told before sending the rest chunked (its
// bufferBeforeChunkingSize).
const chunkingSize = 2048

// writeJSON writes v: the router's state (readiness, its policies, what
// an admin call did), which no cache between it and a probe or an
// operator may keep (Cache-Control: no-store).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(v)
	writeBody(w, status, buf.Bytes())
}
