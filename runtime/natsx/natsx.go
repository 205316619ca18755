// Package natsx is the router's NATS transport: an embedded NATS server
// with JetStream, the decide and feedback subjects served by a queue group,
// and the decision log on a JetStream stream.
//
// Subjects (request-reply, JSON; the W3C traceparent and tracestate
// headers are read, their names in any case, and a body whose Content-Encoding header names
// a coding other than identity is refused invalid_request, as HTTP
// refuses it 415):
//
//	beamline.router.v1.decide   CP1 DecideRequest → DecideResponse
//	rpl.v2.decide               v2 decide
//	rpl.v2.decide.batch         v2 batch
//	rpl.v2.feedback             feedback, acknowledged once recorded
//
// A message published without a reply subject has no one to answer:
// feedback is recorded all the same (a failure is logged, with a count),
// a decide request is not decided and is logged likewise.
//
// Every router subscribes in the queue group "rpl-router", so routers on
// one NATS share the work. Each decide subject (CP1, v2) has Workers
// subscriptions, the batch and feedback subjects max(1, Workers/2); a
// subscription whose backlog exceeds MaxPending answers overloaded
// instead of letting the backlog grow (a request on any of the four:
// fire-and-forget feedback is recorded whatever the backlog).
//
// Core NATS delivers at most once: a message the client library cannot
// queue (a subscription's backlog past its limits: a slow consumer) is
// dropped. A decide or a feedback sent as a request then times out at its
// requester; feedback published without a reply subject is lost. The
// feedback subscriptions' backlog is bounded by bytes only
// (MaxPendingBytes), so that a burst of fire-and-forget feedback is
// queued rather than dropped; what is dropped all the same is counted by
// subject (Dropped) and logged, a line a second at most. So are the
// messages still queued when the subscriptions close (Stop: a drain
// that ran out, or a connection down at Drain), lost with them, and the
// replies that could not be sent (the connection closed while their
// requests were handled), whose requesters time out too.
//
// The decision log is published on rpl.log.decisions, which the stream
// RPL_DECISIONS stores: each message holds one or more events in JSON
// Lines, compressed with S2 unless the log is configured uncompressed
// (LogEncodingS2: the message's header says so; DecisionLog; LogEvents
// reads a message).
package natsx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/internal/certfile"
	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/tracing"
)

// Subjects.
const (
	SubjectCP1      = "beamline.router.v1.decide"
	SubjectDecide   = "rpl.v2.decide"
	SubjectBatch    = "rpl.v2.decide.batch"
	SubjectFeedback = "rpl.v2.feedback"
	QueueGroup      = "rpl-router"
	// LogStream and LogSubject carry the decision log.
	LogStream  = "RPL_DECISIONS"
	LogSubject = "rpl.log.decisions"
)

// EmbeddedOptions configure the embedded server.
type EmbeddedOptions struct {
	// DataDir holds JetStream's storage (DataDir/jetstream).
	DataDir string
	// Listen is host:port for external clients; "" means no listener
	// (in-process connections only); port 0 picks a free port (see
	// server.ClientURL).
	Listen string
	// Token, when set, is required from every client (nats.Token, or
	// nats://TOKEN@host:port), in process too; without it a listener
	// serves any client that reaches it, JetStream included.
	Token string
	// TLSCert and TLSKey, PEM files (the certificate, its chain after
	// it, and its key), make the listener TLS only: a client that does
	// not start TLS is refused, so the token does not cross the network
	// in clear. Both or neither; loaded at the start, and followed: a
	// pair renewed in place is served from the next connection on, as
	// HTTPS's (certfile.Certificate). The in-process connections need
	// none.
	TLSCert, TLSKey string
	// TLSCA, a PEM file of certificates, makes the listener require a
	// client certificate that one of them signed (with TLSCert); loaded
	// at the start, and followed as the pair is (certfile.Pool): a CA
	// added to the file is trusted from the next connection on.
	TLSCA string
	// Log has the renewals of TLSCert and TLSKey, and a renewed pair
	// that does not load; so for TLSCA. nil logs nothing.
	Log *slog.Logger
	// ReadyTimeout bounds the start; 0 means 10s.
	ReadyTimeout time.Duration
	// MaxStore is what JetStream may store, in bytes; 0 means its
	// default, 75% of the disk free under DataDir at the start.
	MaxStore int64
}

// StartEmbedded starts a NATS server with JetStream in this process.
func StartEmbedded(o EmbeddedOptions) (*server.Server, error) {
	opts := &server.Options{
		ServerName:             "rpl-router",
		JetStream:              true,
		StoreDir:               filepath.Join(o.DataDir, "jetstream"),
		NoSigs:                 true,
		NoLog:                  true,
		DisableJetStreamBanner: true,
		MaxPayload:             8 << 20,
		Authorization:          o.Token,
		JetStreamMaxStore:      o.MaxStore,
	}
	if o.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("--nats-listen %q: %v", o.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("--nats-listen %q: bad port", o.Listen)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		opts.Host, opts.Port = host, p
		if opts.TLSConfig, err = listenTLS(o); err != nil {
			return nil, err
		}
		opts.TLS, opts.TLSVerify = opts.TLSConfig != nil, o.TLSCA != ""
	}
	if o.Listen == "" && (o.TLSCert != "" || o.TLSKey != "" || o.TLSCA != "") {
		return nil, errors.New("--nats-listen-tls-cert, --nats-listen-tls-key and --nats-listen-tls-ca are the listener's, and the embedded NATS server has none: give --nats-listen")
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	// The server's fatal errors (its port taken, its JetStream store
	// refused) end its start, which it tells its logger only: without
	// one, the start waited out the timeout and said the server was
	// not ready, not why.
	fatal := &fatalLogger{err: make(chan fatalError, 1)}
	s.SetLogger(fatal, false, false)
	go s.Start()
	t := o.ReadyTimeout
	if t == 0 {
		t = 10 * time.Second
	}
	for deadline := time.Now().Add(t); !s.ReadyForConnections(50 * time.Millisecond); {
		select {
		case f := <-fatal.err:
			s.Shutdown()
			// The listener's failure (the port taken, an address not
			// the host's) is told with the error of net.Listen: a
			// *net.OpError of Op "listen" (the server has no listener
			// but the clients'), which the error returned wraps.
			var op *net.OpError
			if o.Listen != "" && errors.As(f.err, &op) && op.Op == "listen" {
				return nil, fmt.Errorf("embedded NATS server: --nats-listen %s: %w", o.Listen, f.err)
			}
			if strings.Contains(f.msg, "JetStream") {
				// Its store refused ("storage directory is not a
				// directory"), which the message does not name.
				return nil, fmt.Errorf("embedded NATS server: %s (JetStream's store: %s)", f.msg, opts.StoreDir)
			}
			return nil, fmt.Errorf("embedded NATS server: %s", f.msg)
		default:
		}
		if time.Now().After(deadline) {
			s.Shutdown()
			return nil, fmt.Errorf("embedded NATS server not ready after %v", t)
		}
	}
	return s, nil
}

// ListenTLSProblem is what is wrong with the files of the embedded
// server's listener's TLS (--nats-listen-tls-cert, -key and -ca), nil
// when nothing: a certificate without its key or a key without its
// certificate, or a CA without them.
func ListenTLSProblem(cert, key, ca string) error {
	if (cert == "") != (key == "") {
		return errors.New("--nats-listen-tls-cert and --nats-listen-tls-key: give both, the certificate and its key, or neither")
	}
	if ca != "" && cert == "" {
		return errors.New("--nats-listen-tls-ca without --nats-listen-tls-cert and --nats-listen-tls-key: client certificates are verified over TLS, which needs the server's certificate and key")
	}
	return nil
}

// listenTLS is the TLS configuration of the embedded server's listener
// (EmbeddedOptions.TLSCert, TLSKey and TLSCA), nil without a
// certificate. A file missing or not what its flag wants is an error
// naming the flag and the file.
func listenTLS(o EmbeddedOptions) (*tls.Config, error) {
	if err := ListenTLSProblem(o.TLSCert, o.TLSKey, o.TLSCA); err != nil || o.TLSCert == "" {
		return nil, err
	}
	// The server hands its configuration to tls.Server for each
	// client's handshake, whose GetCertificate is then the pair's as
	// the files are now.
	cert, err := certfile.Load(o.TLSCert, o.TLSKey, certfile.Names{CertFlag: "--nats-listen-tls-cert", KeyFlag: "--nats-listen-tls-key", Listener: "embedded NATS listener"}, o.Log)
	if err != nil {
		return nil, err
	}
	c := &tls.Config{GetCertificate: cert.Get, MinVersion: tls.VersionTLS12}
	if o.TLSCA != "" {
		// The CAs too are followed (certfile.Pool): each handshake's
		// configuration, GetConfigForClient's, has the file's as it is
		// now. The listener's own keeps them as they were at the start,
		// and its ClientAuth, which the server reads to tell clients
		// that it verifies theirs.
		c.ClientAuth = tls.RequireAndVerifyClientCert
		pool, err := certfile.LoadPool(o.TLSCA, c.Clone(), certfile.Names{CAFlag: "--nats-listen-tls-ca", Listener: "embedded NATS listener"}, o.Log)
		if err != nil {
			return nil, err
		}
		c.ClientCAs, c.GetConfigForClient = pool.Pool(), pool.Config
	}
	return c, nil
}

// fatalLogger keeps the first fatal error of an embedded server, which
// logs nothing else.
type fatalLogger struct{ err chan fatalError }

// fatalError is a fatal error of the server: its message, and the first
// error among its arguments (nil if none), which says what failed
// whatever the message's words.
type fatalError struct {
	msg string
	err error
}

func (l *fatalLogger) Fatalf(format string, v ...any) {
	f := fatalError{msg: fmt.Sprintf(format, v...)}
	for _, a := range v {
		if err, ok := a.(error); ok {
			f.err = err
			break
		}
	}
	select {
	case l.err <- f:
	default: // one told already
	}
}
func (*fatalLogger) Noticef(string, ...any) {}
func (*fatalLogger) Warnf(string, ...any)   {}
func (*fatalLogger) Errorf(string, ...any)  {}
func (*fatalLogger) Debugf(string, ...any)  {}
func (*fatalLogger) Tracef(string, ...any)  {}

// ConnectInProcess connects to an embedded server without a socket (a
// net.Pipe). Its writes have no deadline (nats.FlusherTimeout(0)): a
// deadline on a pipe is a new timer each time it is set, and the client
// sets two around every flush, which made timers 12% of what the
// router, its embedded server and an in-process client allocated at
// 10,000 requests/s. A pipe's write cannot hang on a slow network: the
// server reads it until the connection closes, which ends the write.
func ConnectInProcess(s *server.Server, opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect("", append([]nats.Option{nats.InProcessServer(s), nats.Name("rpl-router"), nats.FlusherTimeout(0)}, opts...)...)
}

// Config configures Serve.
type Config struct {
	// Workers is the number of subscriptions per decide subject; 0 means
	// GOMAXPROCS.
	Workers int
	// MaxPending is the backlog (messages) of one subscription beyond
	// which requests are answered overloaded; 0 means 1024.
	MaxPending int
	// MaxPendingBytes bounds the backlog of one feedback subscription,
	// beyond which the client drops messages (Dropped); 0 means 64 MiB
	// (some 400,000 feedbacks). It is per subscription: there are
	// max(1, Workers/2) feedback subscriptions, so the feedback backlog
	// can reach that many times MaxPendingBytes (with Workers at
	// GOMAXPROCS, 16×64 MiB = 1 GiB on 32 cores).
	MaxPendingBytes int
	// MaxBacklog bounds the backlog (messages) of one decide
	// subscription, beyond which the client drops messages (Dropped),
	// and their requesters time out; 0 means MaxPending + 65,536. The
	// requests queued past MaxPending are answered overloaded, each
	// as it comes up, at the rate of a refusal (a few microseconds), so
	// that a burst far beyond what the router decides is answered
	// rather than dropped. The bytes of that backlog are bounded at 64
	// MiB as well.
	MaxBacklog int
	// MaxBody bounds a request's body in bytes, as the HTTP transport's
	// does: a larger one is refused as too large (the NATS server's own
	// limit, max_payload, is megabytes more); 0 means 1 MiB.
	MaxBody int
	// Logger logs the messages dropped and those without a reply
	// subject not served; nil means slog.Default.
	Logger *slog.Logger
	// Hooks trace each request and count those refused before the
	// engine (overloaded) as transport "nats".
	rt.Hooks
	// Context is what each request is decided in; nil means
	// context.Background. Cancelling it stops the policy runs in flight,
	// which are answered overloaded, to be retried (a shutdown whose
	// drain ran out).
	Context context.Context
	// BatchTimeout bounds the time a batch is decided in: its requests
	// not decided by then are answered overloaded, cancelled, as over
	// HTTP when the client goes away (NATS does not tell of a requester
	// that stopped waiting, and a batch of a thousand requests each
	// running out of fuel held a worker 14 s after its requester timed
	// out at 5); 0 means DefaultBatchTimeout.
	BatchTimeout time.Duration
}

// DefaultBatchTimeout is Config.BatchTimeout's default.
const DefaultBatchTimeout = 10 * time.Second

// Transport is the name the NATS transport gives spans and metrics.
const Transport = "nats"

// Server serves the engine's subjects on a connection.
type Server struct {
	nc   *nats.Conn
	d    *rt.Dispatcher
	cfg  Config
	subs []*nats.Subscription
	// running[i] is set while subs[i]'s handler runs (a subscription
	// runs one at a time): busy counts them. Not a WaitGroup: a draining
	// subscription still delivers, and a handler starting from none
	// while Drain waits would break its rule (Add from zero before Wait).
	running []*atomic.Bool

	// dropped[i] is the last count of messages subs[i] dropped that was
	// read (a subscription closed answers no more); lost[i], the
	// messages still queued in subs[i] when Stop closed it, and those
	// whose reply could not be sent (respond).
	dropped, lost []atomic.Int64
	// noReplyDecides and noReplyFeedback count the messages without a
	// reply subject the handler could not serve: decide requests (never
	// decided) and feedback that was not recorded (invalid, or failed).
	noReplyDecides, noReplyFeedback quietLog
	// unsent counts the replies not sent (respond).
	unsent quietLog

	stop chan struct{} // closed by Stop and Drain: ends watchDrops
	once sync.Once
}

// Subjects are the subjects Serve subscribes.
var Subjects = []string{SubjectCP1, SubjectDecide, SubjectBatch, SubjectFeedback}

// kinds maps the subjects to the requests they carry.
var kinds = map[string]rt.Kind{
	SubjectCP1:      rt.KindCP1,
	SubjectDecide:   rt.KindV2,
	SubjectBatch:    rt.KindBatch,
	SubjectFeedback: rt.KindFeedback,
}

// The defaults of Config's limits: DefaultMaxPending its MaxPending,
// DefaultMaxBacklog its MaxBacklog (MaxPending + backlogBeyondPending),
// and MaxBacklogBytes the bound on the bytes of a decide subscription's
// backlog.
const (
	DefaultMaxPending    = 1024
	backlogBeyondPending = 1 << 16
	DefaultMaxBacklog    = DefaultMaxPending + backlogBeyondPending
	MaxBacklogBytes      = 64 << 20
)

// Serve subscribes the engine's subjects in the queue group.
func Serve(nc *nats.Conn, e *rt.Engine, cfg Config) (*Server, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MaxPendingBytes <= 0 {
		cfg.MaxPendingBytes = 64 << 20
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = cfg.MaxPending + backlogBeyondPending
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.BatchTimeout <= 0 {
		cfg.BatchTimeout = DefaultBatchTimeout
	}
	s := &Server{nc: nc, cfg: cfg, stop: make(chan struct{}), d: rt.NewDispatcher(e, rt.DispatchConfig{Transport: Transport, Hooks: cfg.Hooks})}
	for _, subj := range Subjects {
		n := cfg.Workers
		if subj != SubjectCP1 && subj != SubjectDecide {
			n = max(1, n/2)
		}
		for range n {
			h, running := s.handler(kinds[subj]), new(atomic.Bool)
			sub, err := nc.QueueSubscribe(subj, QueueGroup, func(m *nats.Msg) {
				running.Store(true)
				h(m)
				running.Store(false)
			})
			if err != nil {
				s.Stop()
				return nil, err
			}
			// Generous client-side limits: overload is answered by us,
			// before the library would drop messages. Feedback without
			// a reply subject is not refused: its backlog is bounded by
			// bytes only.
			if subj == SubjectFeedback {
				sub.SetPendingLimits(-1, cfg.MaxPendingBytes)
			} else {
				sub.SetPendingLimits(cfg.MaxBacklog, MaxBacklogBytes)
			}
			s.subs, s.running = append(s.subs, sub), append(s.running, running)
		}
	}
	s.dropped, s.lost = make([]atomic.Int64, len(s.subs)), make([]atomic.Int64, len(s.subs))
	go s.watchDrops()
	if nc.IsConnected() {
		if err := nc.Flush(); err != nil {
			s.Stop()
			return nil, err
		}
	} // else the subscriptions are sent when the connection comes up
	return s, nil
}

// handler adapts NATS to the dispatcher: the backlog bound, the
// traceparent header, the reply. (nats.go does not recover a handler's
// panic; the dispatcher answers one as an internal error, so that one bad
// message cannot take the router down.)
func (s *Server) handler(kind rt.Kind) nats.MsgHandler {
	return func(m *nats.Msg) {
		if m.Reply == "" {
			// No one to answer. A decide is not made (its answer would
			// go nowhere), but counted and logged; feedback is recorded
			// all the same (a fire-and-forget publish of a cost must not
			// be lost), even past MaxPending, and if it cannot be, that
			// is counted and logged, there being no one to tell.
			if kind != rt.KindFeedback {
				s.refused(rt.RefusedNoReply)
				s.noReplyDecides.note(s.cfg.Logger, "NATS request without a reply subject not decided (publish it as a request)", m.Subject, "")
				return
			}
			if len(m.Data) > s.cfg.MaxBody {
				s.refused(rt.RefusedTooLarge)
				s.noReplyFeedback.note(s.cfg.Logger, "NATS feedback without a reply subject not recorded", m.Subject, s.tooLarge(len(m.Data)))
				return
			}
			if ce := encoded(m.Header); ce != "" {
				s.refused(rt.RefusedUnreadable)
				s.noReplyFeedback.note(s.cfg.Logger, "NATS feedback without a reply subject not recorded", m.Subject, rt.CodingMessage(ce))
				return
			}
			x := s.d.Get()
			defer s.d.Put(x)
			// Counted once: recorded, as answered; else as refused
			// (no_reply), there being no answer.
			if out, code := s.d.ServeUncounted(s.traceContext(m.Header), x, kind, m.Data, traceparent(m.Header), time.Now()); code != "" {
				s.refused(rt.RefusedNoReply)
				s.noReplyFeedback.note(s.cfg.Logger, "NATS feedback without a reply subject not recorded", m.Subject, string(out))
			} else {
				s.d.Count(kind, code)
			}
			return
		}
		arrival := time.Now()
		x := s.d.Get()
		defer s.d.Put(x)
		tp := traceparent(m.Header)
		if n, _, _ := m.Sub.Pending(); n > s.cfg.MaxPending {
			s.refuse(m, x, kind, rt.RefusedOverloaded, fmt.Sprintf("router overloaded: %s queued; retry later", rt.Count(n, "request")), tp)
			return
		}
		if len(m.Data) > s.cfg.MaxBody {
			s.refuse(m, x, kind, rt.RefusedTooLarge, s.tooLarge(len(m.Data)), tp)
			return
		}
		// A compressed body would be read as JSON and refused as
		// malformed, which would not say why: refused as HTTP refuses
		// it (415 there), its request unnamed (the body is not read).
		if ce := encoded(m.Header); ce != "" {
			s.respond(m, s.d.Refuse(x, kind, rt.RefusedUnreadable, rt.CodingMessage(ce), nil, tp))
			return
		}
		ctx := s.traceContext(m.Header)
		if kind == rt.KindBatch {
			// Cut at the request that would take the answer past what
			// the server takes in a message, as at --max-answer: a
			// server's max_payload below it (nats-server's default,
			// 1 MiB) refused such an answer whole, every decision lost.
			x.LimitAnswer(int(s.nc.MaxPayload()), "the NATS server's max_payload")
			// Cancelled, not a deadline: the policies' runs past it
			// are not theirs to fail (decision_failed, or a safe
			// default), but abandoned, to be retried.
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer time.AfterFunc(s.cfg.BatchTimeout, cancel).Stop()
			defer cancel()
		}
		out, code := s.d.ServeUncounted(ctx, x, kind, m.Data, tp, arrival)
		err := s.respond(m, out)
		if errors.Is(err, nats.ErrMaxPayload) {
			// An answer can outgrow its request past what the server
			// accepts (a request id, which an answer repeats, invalid
			// UTF-8 thrice as long; a batch's, the connection moved to
			// a server that takes less since it was cut): say so,
			// rather than leave the requester to time out; counted as
			// that refusal alone.
			msg := fmt.Sprintf("the reply, %d bytes, is larger than the NATS server accepts (%d bytes)", len(out), s.nc.MaxPayload())
			if kind == rt.KindBatch {
				msg += "; send fewer requests in a batch"
			}
			s.refuse(m, x, kind, rt.RefusedTooLarge, msg, tp)
			return
		}
		if err == nil {
			s.d.Count(kind, code)
		}
	}
}

// respond sends out as m's reply. A reply that the server would refuse
// (nats.ErrMaxPayload) is the caller's to replace. One not sent for
// another reason (the connection closed, or draining its publishes, or
// its reconnect buffer full) is lost, and the requester times out: it
// is counted dropped on m's subject, as messages the router never
// answers are, and logged; not as answered.
func (s *Server) respond(m *nats.Msg, out []byte) error {
	err := m.Respond(out)
	if err != nil && !errors.Is(err, nats.ErrMaxPayload) {
		for i, sub := range s.subs[:len(s.lost)] {
			if sub == m.Sub {
				s.lost[i].Add(1)
			}
		}
		s.unsent.note(s.cfg.Logger, "NATS reply not sent, lost: its requester times out", m.Subject, err.Error())
	}
	return err
}

// refuse answers m with a refusal (Dispatcher.Refuse), counted once. One
// that repeats a request id too long for what the server accepts is
// answered without naming the request: else its requester would time out.
func (s *Server) refuse(m *nats.Msg, x *rt.Exchange, kind rt.Kind, why rt.Refusal, msg, tp string) {
	out := s.d.Refuse(x, kind, why, msg, m.Data, tp)
	if int64(len(out)) > s.nc.MaxPayload() {
		out = s.d.Refusal(x, kind, why, msg, nil, tp)
	}
	s.respond(m, out)
}

// busy is the number of handlers running.
func (s *Server) busy() int {
	n := 0
	for _, r := range s.running {
		if r.Load() {
			n++
		}
	}
	return n
}

// InFlight is the number of requests being handled, or queued in the
// subscriptions to be: a subscription's pending messages count the one
// its handler runs on (nats.go lets it go when the handler returns), so
// they are the count unless the subscriptions are gone.
func (s *Server) InFlight() int {
	n := 0
	for _, sub := range s.subs {
		if m, _, err := sub.Pending(); err == nil {
			n += m
		}
	}
	return max(n, s.busy())
}

// tooLarge is the refusal of a body of n bytes, beyond MaxBody.
func (s *Server) tooLarge(n int) string { return rt.TooLargeMessage(int64(n), int64(s.cfg.MaxBody)) }

// traceparent is the W3C traceparent header of a message, its name in
// any case: header names are case-insensitive (HTTP's; W3C Trace Context
// writes it in lower case, but an HTTP client or proxy may send
// Traceparent), and nats.Header.Get matches the name exactly. A message
// that gives it more than once, under one name or several, has none: W3C
// Trace Context takes several traceparent headers for an invalid one,
// and the request starts a new trace (the first was taken). The headers
// are walked, which allocates nothing, unless traceparent, as W3C spells
// it, is the only one (a map look-up, the usual message with a trace).
func traceparent(h nats.Header) string {
	if v, ok := h["traceparent"]; ok && len(h) == 1 {
		if len(v) != 1 {
			return ""
		}
		return v[0]
	}
	tp, n := "", 0
	for k, v := range h {
		if len(k) == len("traceparent") && strings.EqualFold(k, "traceparent") {
			n += len(v)
			if len(v) > 0 {
				tp = v[0]
			}
		}
	}
	if n != 1 {
		return ""
	}
	return tp
}

// header is the values of the header name of a message, its name in
// any case (see traceparent), without allocating: name as it is usually
// spelt is looked up first, and the values of the first key found are
// taken.
func header(h nats.Header, name string) []string {
	if v := h[name]; len(v) > 0 {
		return v
	}
	for k, v := range h {
		if len(v) > 0 && len(k) == len(name) && strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// traceContext is the context a message is served in: with a tracer,
// the message's W3C tracestate header (its name in any case), for the
// span a child of its traceparent (tracing.WithTraceState).
func (s *Server) traceContext(h nats.Header) context.Context {
	if s.cfg.Trace == nil {
		return s.cfg.Context
	}
	return tracing.WithTraceState(s.cfg.Context, header(h, "tracestate")...)
}

// encoded is the content coding (rt.ContentCoding) that h's
// Content-Encoding headers declare, their name in any case: "" when the
// body is as sent. It allocates nothing.
func encoded(h nats.Header) string {
	for k, vs := range h {
		if len(k) == len("Content-Encoding") && strings.EqualFold(k, "Content-Encoding") {
			if c := rt.ContentCoding(vs); c != "" {
				return c
			}
		}
	}
	return ""
}

// refused counts a message without a reply subject not served
// (Hooks.Refused), which no answer does for it.
func (s *Server) refused(why rt.Refusal) {
	if s.cfg.Refused != nil {
		s.cfg.Refused(Transport, why)
	}
}

// quietLog counts events and logs them (at warning level)
// with the running count: each of the first 10, then the 2^k-th, and
// otherwise at most one a minute, so that a flood of them cannot flood
// the log.
type quietLog struct {
	n    atomic.Int64
	last atomic.Int64 // unix ns of the last line
}

func (q *quietLog) note(log *slog.Logger, msg, subject, answer string) {
	n := q.n.Add(1)
	now, last := time.Now().UnixNano(), q.last.Load()
	if n > 10 && n&(n-1) != 0 && (now-last < int64(time.Minute) || !q.last.CompareAndSwap(last, now)) {
		return
	}
	q.last.Store(now)
	args := []any{"subject", subject, "count", n}
	if answer != "" {
		args = append(args, "answer", answer)
	}
	log.Warn(msg, args...)
}

// Dropped is the number of messages the client dropped (a slow
// consumer), that were still queued when Stop closed the subscriptions,
// or whose reply could not be sent (the connection closed), on subject,
// or on any subject when it is "".
func (s *Server) Dropped(subject string) int64 {
	var n int64
	for i, sub := range s.subs[:len(s.dropped)] { // none before Serve has them all
		if subject != "" && sub.Subject != subject {
			continue
		}
		if d, err := sub.Dropped(); err == nil {
			raise(&s.dropped[i], int64(d))
		}
		n += s.dropped[i].Load() + s.lost[i].Load()
	}
	return n
}

// raise sets a to v if v is greater. Callers read the client's counts
// at different times: a load then a store would let one that read an
// older count store it over a later one, and a counter that falls reads
// as a reset to Prometheus.
func raise(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// watchDrops logs the messages dropped, a line a second at most (the
// client library's own error handler would be called at the start of
// every slow-consumer episode, many in a burst), until Stop or Drain.
func (s *Server) watchDrops() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var logged int64
	for {
		select {
		case <-tick.C:
		case <-s.stop:
			return
		}
		if n := s.Dropped(""); n > logged {
			s.cfg.Logger.Warn("NATS messages dropped: the router's subscriptions fell behind (slow consumer); requests among them time out at their requesters, fire-and-forget feedback is lost",
				"dropped", n-logged, "total", n)
			logged = n
		}
	}
}

// Drain stops taking requests and waits (up to ctx) for those in flight
// to be answered. If the connection is lost meanwhile, the requests and
// feedback already queued are still handled (answers wait in the
// client's reconnect buffer), and waited for.
func (s *Server) Drain(ctx context.Context) error {
	s.Dropped("") // the last counts, before the subscriptions close
	s.once.Do(func() { close(s.stop) })
	if !s.nc.IsConnected() {
		s.Stop() // nothing can arrive
	} else {
		for _, sub := range s.subs {
			sub.Drain()
		}
	}
	// A drained subscription becomes invalid once it has delivered what
	// it held (and its handler has returned). While the connection is
	// down, nats.go's drain waits for it to come back; the subscription
	// delivers what it holds all the same, which is what is waited for:
	// a handler's return alone was no sign of it (the drain returned
	// between two queued messages, and they were lost, uncounted).
	drained := func() bool {
		up := s.nc.IsConnected()
		for _, sub := range s.subs {
			if up && sub.IsValid() {
				return false
			}
			if n, _, err := sub.Pending(); !up && err == nil && n > 0 {
				return false
			}
		}
		return s.busy() == 0
	}
	for !drained() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// Stop unsubscribes at once. The messages still queued in the
// subscriptions are lost: those of a drain that ran out (Drain leaves
// the subscriptions delivering them), or all those queued when Drain
// found the connection down. A request among them times out at its
// requester, but feedback published without a reply subject, which
// has none, was lost without a word: they are counted as dropped on
// their subject (Dropped) and logged. A message that a handler takes up
// between the count and the unsubscription is counted although served
// (the subscriptions deliver meanwhile: a few at most).
func (s *Server) Stop() {
	s.Dropped("") // the last counts, before the subscriptions close
	s.once.Do(func() { close(s.stop) })
	var lost map[string]int64
	for i, sub := range s.subs {
		// Those queued less the one the handler is on, which the
		// subscription counts until it returns, and which ends. Read
		// in this order, a handler that returns in between and takes
		// up the next is counted right.
		busy := 0
		if i < len(s.running) && s.running[i].Load() {
			busy = 1
		}
		if n, _, err := sub.Pending(); err == nil && n > busy && i < len(s.lost) {
			s.lost[i].Add(int64(n - busy))
			if lost == nil {
				lost = map[string]int64{}
			}
			lost[sub.Subject] += int64(n - busy)
		}
		sub.Unsubscribe()
	}
	for _, subj := range Subjects {
		if n := lost[subj]; n > 0 {
			s.cfg.Logger.Warn("NATS messages still queued when the subscriptions closed, lost: requests among them time out at their requesters, fire-and-forget feedback is not recorded",
				"subject", subj, "lost", n)
		}
	}
}
