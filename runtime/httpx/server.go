// Package httpx is the router's HTTP transport: the decide, feedback,
// health, metrics and policy admin endpoints over a runtime.Engine.
//
//	POST /v1/decide              CP1 DecideRequest → DecideResponse
//	POST /v2/decide              v2 decide (see runtime.HandleV2)
//	POST /v2/decide/batch        v2 batch
//	POST /v2/feedback            feedback (one, or {"feedback": [...]})
//	GET  /healthz                the process is up
//	GET  /readyz                 a policy version is active (503 before)
//	GET  /metrics                Prometheus
//	GET  /v2/policies            the active version, its policies, the kept versions, the last load error
//	POST /v2/policies/rollback   reactivate the previous version
//
// Error codes map to statuses: invalid_request 400, unauthorized 401,
// policy_not_found 404, decision_failed 422, overloaded and not_ready 503
// (with Retry-After), internal 500. Bodies beyond Config.MaxBody are
// invalid_request (413). At most Config.MaxInFlight decide and feedback
// requests run at once; beyond that the server answers overloaded at once
// instead of queueing.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// Config configures a Server.
type Config struct {
	// MaxBody is the largest request body in bytes; 0 means 1 MiB.
	MaxBody int64
	// MaxInFlight bounds concurrent decide and feedback requests; 0
	// means 4096.
	MaxInFlight int
	// Metrics serves /metrics (nil: 404).
	Metrics http.Handler
	// Overloaded is called when a request is shed (metrics); may be nil.
	Overloaded func()
	// Trace wraps each decision (OpenTelemetry); may be nil.
	Trace func(ctx context.Context, traceparent string, kind string) (context.Context, func(*runtime.Outcome))
}

// Server is the HTTP transport.
type Server struct {
	e    *runtime.Engine
	cfg  Config
	sem  chan struct{}
	bufs sync.Pool
	mux  *http.ServeMux
}

// New returns a server for e.
func New(e *runtime.Engine, cfg Config) *Server {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 4096
	}
	s := &Server{e: e, cfg: cfg, sem: make(chan struct{}, cfg.MaxInFlight), mux: http.NewServeMux()}
	s.bufs.New = func() any { return &exchange{buf: make([]byte, 0, 4096)} }
	s.mux.HandleFunc("POST /v1/decide", s.decide(true, "v1"))
	s.mux.HandleFunc("POST /v2/decide", s.decide(false, "v2"))
	s.mux.HandleFunc("POST /v2/decide/batch", s.decide(false, "batch"))
	s.mux.HandleFunc("POST /v2/feedback", s.decide(false, "feedback"))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /v2/policies", s.policies)
	s.mux.HandleFunc("POST /v2/policies/rollback", s.rollback)
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", cfg.Metrics)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

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

// exchange is the pooled scratch of one HTTP exchange: the body and
// response buffer, and the outcome.
type exchange struct {
	buf []byte
	out runtime.Outcome
}

func (s *Server) decide(cp1 bool, kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		arrival := time.Now()
		x := s.bufs.Get().(*exchange)
		defer func() {
			x.out = runtime.Outcome{}
			s.bufs.Put(x)
		}()
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		default:
			if s.cfg.Overloaded != nil {
				s.cfg.Overloaded()
			}
			w.Header().Set("Retry-After", "1")
			s.write(w, http.StatusServiceUnavailable, runtime.AppendError(x.buf[:0], runtime.Errorf(runtime.CodeOverloaded, "router overloaded: %d requests in flight; retry later", s.cfg.MaxInFlight), cp1))
			return
		}
		body, err := readBody(r.Body, s.cfg.MaxBody, x.buf[:0])
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, errTooLarge) {
				status = http.StatusRequestEntityTooLarge
			}
			s.write(w, status, runtime.AppendError(nil, runtime.Errorf(runtime.CodeInvalidRequest, "%v", err), cp1))
			return
		}
		x.buf = body[:0] // keep the grown buffer
		out := body[len(body):]
		ctx := r.Context()
		traceparent := r.Header.Get("traceparent")
		var done func(*runtime.Outcome)
		if s.cfg.Trace != nil {
			ctx, done = s.cfg.Trace(ctx, traceparent, kind)
		}
		var code runtime.Code
		var o *runtime.Outcome
		switch kind {
		case "v1":
			out, code, o = s.e.HandleCP1(ctx, body, runtime.CP1Meta{Arrival: arrival, TraceParent: traceparent}, out, &x.out)
		case "v2":
			out, code, o = s.e.HandleV2(ctx, body, arrival, out, &x.out)
		case "batch":
			out, code = s.e.HandleV2Batch(ctx, body, arrival, out)
		case "feedback":
			out, code = s.e.HandleFeedback(body, out)
		}
		if done != nil {
			done(o)
		}
		status := Status(code)
		if code == runtime.CodeNotReady {
			w.Header().Set("Retry-After", "1")
		}
		s.write(w, status, out)
	}
}

func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

var errTooLarge = errors.New("request body too large")

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

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	st := s.e.Status()
	if !st.Ready {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "last_error": st.LastError})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ready": true, "version": st.Version})
}

type versionInfo struct {
	Version  string    `json:"version"`
	Source   string    `json:"source"`
	Built    time.Time `json:"built"`
	Policies []string  `json:"policies"`
	Active   bool      `json:"active"`
}

func (s *Server) policies(w http.ResponseWriter, r *http.Request) {
	st := s.e.Status()
	cur := s.e.Current()
	var hist []versionInfo
	h := s.e.History()
	for i := len(h) - 1; i >= 0; i-- {
		v := h[i]
		hist = append(hist, versionInfo{Version: v.Version, Source: v.Source, Built: v.Built, Policies: v.PolicyIDs(), Active: v == cur})
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": st, "versions": hist})
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request) {
	snap, err := s.e.Rollback()
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]any{"ok": false, "error": map[string]any{"code": "no_previous_version", "message": err.Error()}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "version": snap.Version, "policies": snap.PolicyIDs()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
