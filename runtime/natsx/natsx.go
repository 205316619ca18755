// Package natsx is the router's NATS transport: an embedded NATS server
// with JetStream, the decide and feedback subjects served by a queue group,
// and the decision log on a JetStream stream.
//
// Subjects (request-reply, JSON; the W3C traceparent header is read):
//
//	beamline.router.v1.decide   CP1 DecideRequest → DecideResponse
//	rpl.v2.decide               v2 decide
//	rpl.v2.decide.batch         v2 batch
//	rpl.v2.feedback             feedback, acknowledged once recorded
//
// Every router subscribes in the queue group "rpl-router", so routers on
// one NATS share the work. Each subject has Workers subscriptions; a
// subscription whose backlog exceeds MaxPending answers overloaded
// instead of letting the backlog grow.
package natsx

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	rt "github.com/rpl-lang/rpl/runtime"
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
	// ReadyTimeout bounds the start; 0 means 10s.
	ReadyTimeout time.Duration
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
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	go s.Start()
	t := o.ReadyTimeout
	if t == 0 {
		t = 10 * time.Second
	}
	if !s.ReadyForConnections(t) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded NATS server not ready after %v", t)
	}
	return s, nil
}

// ConnectInProcess connects to an embedded server without a socket.
func ConnectInProcess(s *server.Server, opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect("", append([]nats.Option{nats.InProcessServer(s), nats.Name("rpl-router")}, opts...)...)
}

// Config configures Serve.
type Config struct {
	// Workers is the number of subscriptions per decide subject; 0 means
	// GOMAXPROCS.
	Workers int
	// MaxPending is the backlog (messages) of one subscription beyond
	// which requests are answered overloaded; 0 means 1024.
	MaxPending int
	// Hooks trace each request and count those refused before the
	// engine (overloaded) as transport "nats".
	rt.Hooks
}

// Transport is the name the NATS transport gives spans and metrics.
const Transport = "nats"

// Server serves the engine's subjects on a connection.
type Server struct {
	nc   *nats.Conn
	d    *rt.Dispatcher
	cfg  Config
	subs []*nats.Subscription
	wg   sync.WaitGroup // in-flight handlers
}

// kinds maps the subjects to the requests they carry.
var kinds = map[string]rt.Kind{
	SubjectCP1:      rt.KindCP1,
	SubjectDecide:   rt.KindV2,
	SubjectBatch:    rt.KindBatch,
	SubjectFeedback: rt.KindFeedback,
}

// Serve subscribes the engine's subjects in the queue group.
func Serve(nc *nats.Conn, e *rt.Engine, cfg Config) (*Server, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 1024
	}
	s := &Server{nc: nc, cfg: cfg, d: rt.NewDispatcher(e, rt.DispatchConfig{Transport: Transport, Hooks: cfg.Hooks})}
	for _, subj := range []string{SubjectCP1, SubjectDecide, SubjectBatch, SubjectFeedback} {
		n := cfg.Workers
		if subj != SubjectCP1 && subj != SubjectDecide {
			n = max(1, n/2)
		}
		for range n {
			sub, err := nc.QueueSubscribe(subj, QueueGroup, s.handler(kinds[subj]))
			if err != nil {
				s.Stop()
				return nil, err
			}
			// Generous client-side limits: overload is answered by us,
			// before the library would drop messages.
			sub.SetPendingLimits(cfg.MaxPending*8, 64<<20)
			s.subs = append(s.subs, sub)
		}
	}
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
			return
		}
		s.wg.Add(1)
		defer s.wg.Done()
		arrival := time.Now()
		x := s.d.Get()
		defer s.d.Put(x)
		if n, _, _ := m.Sub.Pending(); n > s.cfg.MaxPending {
			m.Respond(s.d.Refuse(x, kind, rt.RefusedOverloaded, fmt.Sprintf("router overloaded: %d requests queued; retry later", n)))
			return
		}
		traceparent := ""
		if m.Header != nil {
			traceparent = m.Header.Get("traceparent")
		}
		out, _ := s.d.Serve(context.Background(), x, kind, m.Data, traceparent, arrival)
		m.Respond(out)
	}
}

// Drain stops taking requests and waits (up to ctx) for those in flight
// to be answered.
func (s *Server) Drain(ctx context.Context) error {
	if !s.nc.IsConnected() {
		s.Stop() // nothing can arrive
		s.wg.Wait()
		return nil
	}
	for _, sub := range s.subs {
		sub.Drain()
	}
	done := make(chan struct{})
	go func() {
		for _, sub := range s.subs {
			for sub.IsValid() {
				if ctx.Err() != nil {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop unsubscribes at once.
func (s *Server) Stop() {
	for _, sub := range s.subs {
		sub.Unsubscribe()
	}
}

// LogConfig configures the decision log stream.
type LogConfig struct {
	// MaxAge, MaxBytes and MaxMsgs limit the stream (oldest discarded);
	// zero means 24h, 1 GiB and no message limit.
	MaxAge   time.Duration
	MaxBytes int64
	MaxMsgs  int64
	// Buffer is the number of events queued before drops; 0 means 8192.
	Buffer int
	// Dropped is called for each dropped event; may be nil.
	Dropped func()
	// AckEvery: events go out as plain NATS publishes, which the stream
	// stores like any other, except one in each AckEvery, published with
	// an acknowledgement so that a stream that stopped storing is noticed
	// (Failed). 0 means a second; a negative value acknowledges every
	// event (a round trip and ~25 allocations each: at every decision
	// logged, a third of the router's throughput).
	AckEvery time.Duration
	// Failed is told when an acknowledged publish fails: the events since
	// the previous acknowledgement may not be stored. May be nil.
	Failed func(error)
	// Replicas of the stream; 0 means 1.
	Replicas int
}

// DecisionLog publishes decision events to the LogStream stream. It
// implements runtime.DecisionLog: LogDecision never blocks; events beyond
// the buffer are dropped and counted. Events are encoded without
// reflection and published mostly without acknowledgement (see
// LogConfig.AckEvery): the stream stores them in order, and the
// acknowledged one each second says that it still does.
type DecisionLog struct {
	js      jetstream.JetStream
	nc      *nats.Conn
	acked   time.Time // the last acknowledged publish; the publisher's
	failed  atomic.Int64
	ch      chan *rt.DecisionEvent
	cfg     LogConfig
	dropped atomic.Int64
	sent    atomic.Int64
	stop    chan struct{} // closed by Close; l.ch is never closed, so a late LogDecision cannot panic
	once    sync.Once
	done    chan struct{}
	buf     []byte // the publisher's encoding buffer
}

var _ rt.DecisionLog = (*DecisionLog)(nil)

// NewDecisionLog creates (or updates) the stream and starts publishing.
func NewDecisionLog(ctx context.Context, nc *nats.Conn, cfg LogConfig) (*DecisionLog, error) {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 30
	}
	if cfg.MaxMsgs <= 0 {
		cfg.MaxMsgs = -1
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 8192
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.AckEvery == 0 {
		cfg.AckEvery = time.Second
	}
	l := &DecisionLog{nc: nc, ch: make(chan *rt.DecisionEvent, cfg.Buffer), cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
		l.failed.Add(1)
		if cfg.Failed != nil {
			cfg.Failed(err)
		}
	}))
	if err != nil {
		return nil, err
	}
	l.js = js
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        LogStream,
		Description: "RPL router decision log",
		Subjects:    []string{LogSubject},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    cfg.MaxBytes,
		MaxMsgs:     cfg.MaxMsgs,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("decision log stream: %w", err)
	}
	go l.run()
	return l, nil
}

// LogDecision implements runtime.DecisionLog.
func (l *DecisionLog) LogDecision(ev *rt.DecisionEvent) {
	select {
	case l.ch <- ev:
	default:
		ev.Release()
		l.dropped.Add(1)
		if l.cfg.Dropped != nil {
			l.cfg.Dropped()
		}
	}
}

func (l *DecisionLog) run() {
	defer close(l.done)
	for {
		select {
		case ev := <-l.ch:
			l.publish(ev)
		case <-l.stop:
			for {
				select {
				case ev := <-l.ch:
					l.publish(ev)
				default:
					return
				}
			}
		}
	}
}

func (l *DecisionLog) publish(ev *rt.DecisionEvent) {
	l.buf = ev.AppendJSON(l.buf[:0])
	ev.Release()
	var err error
	if now := time.Now(); l.cfg.AckEvery < 0 || now.Sub(l.acked) >= l.cfg.AckEvery {
		l.acked = now
		// The publisher keeps the message until its ack comes (to
		// retry or report it): it gets a copy of its own.
		_, err = l.js.PublishAsync(LogSubject, bytes.Clone(l.buf))
	} else {
		err = l.nc.Publish(LogSubject, l.buf) // copied into the connection's buffer
	}
	if err != nil {
		l.dropped.Add(1)
		return
	}
	l.sent.Add(1)
}

// Close publishes the queued events, waits (up to ctx) until the server
// has them and their acknowledgements are in, and stops; the stream
// stores the last unacknowledged ones right after. A decision may
// still be logged while or after it runs (a transport that did not drain
// in time): such events are not published, and do not panic.
func (l *DecisionLog) Close(ctx context.Context) {
	l.once.Do(func() { close(l.stop) })
	select {
	case <-l.done:
	case <-ctx.Done():
		return
	}
	l.nc.FlushWithContext(ctx)
	select {
	case <-l.js.PublishAsyncComplete():
	case <-ctx.Done():
	}
}

// Failed is the number of acknowledged publishes that failed.
func (l *DecisionLog) Failed() int64 { return l.failed.Load() }

// Stats returns the number of events published and dropped.
func (l *DecisionLog) Stats() (sent, dropped int64) { return l.sent.Load(), l.dropped.Load() }
