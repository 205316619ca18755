package natsx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/internal/repeats"
	rt "github.com/rpl-lang/rpl/runtime"
)

// DefaultLogBuffer is the number of events a decision log queues
// (LogConfig.Buffer) unless told otherwise.
const DefaultLogBuffer = 8192

// MaxLogBuffer is the most events a decision log may queue: each holds
// its decision's JSON (the example policies' events take ~600 bytes), and
// a queue this full holds some 600 MiB.
const MaxLogBuffer = 1 << 20

// CheckLogBuffer says why n is no LogConfig.Buffer: a negative number, or
// more than MaxLogBuffer; nil for one (0 being DefaultLogBuffer).
func CheckLogBuffer(n int) error {
	if n < 0 || n > MaxLogBuffer {
		return fmt.Errorf("decision log buffer of %d events: want 1 to %d (or 0 for %d)", n, MaxLogBuffer, DefaultLogBuffer)
	}
	return nil
}

// DefaultLogMaxBytes is the MaxBytes of a decision log stream created
// without one given (LogConfig).
const DefaultLogMaxBytes = 1 << 30

// MinLogMaxBytes is the least MaxBytes a decision log stream is given: one
// smaller than a message of the log (up to 64 KiB of events) would
// discard every one.
const MinLogMaxBytes = 1 << 20

// LogConfig configures the decision log stream.
type LogConfig struct {
	// Router names the router in each event it publishes
	// (runtime.DecisionEvent.Router); "" names none.
	Router string
	// MaxAge, MaxBytes and MaxMsgs limit the stream (oldest discarded);
	// a message holds up to Batch events. A stream that exists already
	// keeps its limits (an operator's: nats stream edit) but for those
	// given here; a stream created gets those given, and for each zero
	// 24h, 1 GiB and no message limit.
	MaxAge   time.Duration
	MaxBytes int64
	MaxMsgs  int64
	// CreateMaxBytes, when MaxBytes is 0, is the MaxBytes of a stream
	// created in place of 1 GiB (a server that cannot store that much);
	// a stream that exists keeps its own.
	CreateMaxBytes int64
	// Buffer is the number of events queued before drops; 0 means
	// DefaultLogBuffer, and it is at most MaxLogBuffer (CheckLogBuffer).
	// The queue holds the events that the publisher has not taken yet:
	// those of a burst faster than it publishes (batches: 32 batches of
	// 1,000 at once are 32,000 events), and every event while the
	// connection is down or the stream missing.
	Buffer int
	// Batch is the most events one message holds, 0 meaning 1024; Linger
	// is the longest an event waits, once the publisher has it, for
	// others to fill its message, 0 meaning 50ms. A message holds at most
	// 64 KiB of events (about 90 decisions), unless one event alone is
	// larger, and is, as published (compressed or not), no larger than
	// the server accepts (its max_payload, less room for the header): a
	// batch that would be is split, and an event that alone would be is
	// dropped and counted (Dropped). Batch 1 publishes each event as it
	// comes.
	//
	// The defaults make a message of each 64 KiB under load, and a
	// short one only when decisions are few: each message is a burst of
	// work (the publisher's, the stream's) that the decisions in flight
	// wait behind, and fewer, fuller ones cost them least. With 5ms and
	// 64 (the defaults before), 200 messages a second at 10,000
	// decisions/s, the embedded router's p99 was 1.6-1.8 times a bare
	// echo responder's; with these, 1.1-1.3 (docs/performance.md).
	Batch  int
	Linger time.Duration
	// Uncompressed publishes each message as JSON Lines as they are,
	// for consumers that read the stream with no S2 decoder (nats
	// stream view). By default a message is compressed (see
	// LogEncodingS2).
	Uncompressed bool
	// Dropped is called for each dropped event; may be nil.
	Dropped func()
	// Overflowed is told that events were dropped because the queue was
	// full (Buffer): at the first such drop, and then at most once every
	// repeats.Every while they go on (by the dropped events' times), with
	// the number dropped so since it was last told (since the log began,
	// the first time). Dropped counts each. May be nil.
	Overflowed func(dropped int64)
	// AckEvery: messages go out as plain NATS publishes, which the stream
	// stores like any other, except one in each AckEvery, whose
	// acknowledgement the publisher waits for: it says that the stream
	// stored the messages before it too. The publisher keeps a copy of
	// each plain message until then (at most 4 MiB of them: a message
	// past that waits for its acknowledgement sooner). 0 means a
	// second; a negative value acknowledges every message (a round trip
	// and ~25 allocations each).
	AckEvery time.Duration
	// Failed is told when an acknowledged publish fails (Failed counts
	// each): the messages kept since the previous acknowledgement are
	// published again, each waiting for its acknowledgement (see
	// DecisionLog: at least once). May be nil.
	Failed func(error)
	// Refusing is told when the stream refuses a message (an error from
	// the stream, as its limits reached with the discard policy "new"
	// give, and not a stream missing): from then on every message waits
	// for its acknowledgement, and those refused have their events
	// dropped (Dropped) and each is a failure (Failed is told), until one
	// is stored, when Refusing is told nil. May be nil.
	Refusing func(error)
	// Stalled is told when an acknowledged publish goes unanswered or
	// finds no stream to answer it over a connection that is up (a
	// cluster that lost its quorum, or the stream's leader, whose new
	// one is not elected yet): the messages not acknowledged are
	// published again, each waiting for its acknowledgement, every
	// second until one is stored, when Stalled is told nil.
	// Meanwhile Storing is false and the events logged wait in the queue
	// (up to Buffer, then dropped and counted). Told once for each
	// stall. May be nil.
	Stalled func(error)
	// Replicas of the stream; 0 means 1 for a stream created, and the
	// replicas it has for one that exists. A server that is not in a
	// cluster refuses more than one: the stream is then created with
	// one, or keeps those it has, and ReplicasRefused is told.
	Replicas int
	// ReplicasRefused is told, once, that the server refused the
	// Replicas asked (err: it is not in a JetStream cluster) and that the
	// stream has kept copies instead. May be nil.
	ReplicasRefused func(kept, asked int, err error)
	// Ready is told, when the connection was not up at NewDecisionLog
	// or the stream could not be made then, that the stream now exists
	// and the events queued meanwhile go out; and so at the end of a
	// later wait for the stream in which Unavailable was told, unless
	// Recreated is. May be nil.
	Ready func()
	// Recreated is told that the stream had disappeared (an
	// acknowledged publish found no stream: it was deleted, or its server
	// lost it; or the server the connection came back to had none) and
	// has been created again. May be nil.
	Recreated func()
	// InForce is told the stream's limits when the log first creates or
	// finds its stream, and when it finds them changed (MaxMsgs -1: no
	// limit). May be nil.
	InForce func(maxAge time.Duration, maxBytes, maxMsgs int64)
	// Unavailable is told why the stream could not be created or found
	// over a connection that is up (a deployment without JetStream,
	// limits the server refuses, a conflicting stream): the log tries
	// again every second, events queuing meanwhile (then dropped and
	// counted), and tells a failure again when it changes or after a
	// minute (at once once the stream was found since). Ready (or
	// Recreated) says when it is over. May be nil.
	Unavailable func(error)
}

// LogEncodingS2 is the Content-Encoding header's value on a decision log
// message whose payload is the JSON Lines compressed with S2, block
// format (github.com/klauspost/compress/s2: s2.Decode), which is every
// message unless LogConfig.Uncompressed. A message without the header
// is the JSON Lines themselves. LogEvents reads both.
//
// The events of a message repeat their keys, version and much of their
// decisions: the example policies' CP1 events, ~600 bytes each, take
// ~60 compressed. What the stream stores, and what its server copies,
// hashes and writes for each event, shrink as much: in a router with its
// embedded server, the server's copies of the log's messages had been
// over a quarter of the bytes the process allocated (every decision
// logged), and the collections they caused lay in its latency tail
// (docs/performance.md: "Compressing the decision log").
const LogEncodingS2 = "s2"

// maxLogDecoded bounds what a log message may decode to: a reader
// refuses a compressed one that says it is larger, so that a crafted
// message cannot make it allocate gigabytes, and the publisher drops
// (and counts) a message larger, a single event (any other message holds
// at most maxBatchBytes), which readers would refuse.
const maxLogDecoded = 64 << 20

// maxBatchBytes bounds a message whatever LogConfig.Batch says, well
// under the 1 MB a NATS server accepts by default: an event that would
// take a message past it goes into the next message (alone, if it is
// larger itself). A server may accept less (max_payload is configurable:
// 8 KiB, say), which bounds a message too (payloadMax).
const maxBatchBytes = 64 << 10

// logHeaderRoom is what a message's payload leaves, under the server's
// max_payload, for its header, which the limit counts: the log's own,
// "NATS/1.0\r\nContent-Encoding: s2\r\n\r\n", is 34 bytes.
const logHeaderRoom = 128

// DecisionLog publishes decision events to the LogStream stream. It
// implements runtime.DecisionLog: LogDecision never waits for the
// publisher (it shares a lock with it, held for a swap of the queue),
// and seldom wakes it; events beyond the buffer are dropped and counted.
//
// A message on LogSubject holds one or more events in JSON Lines: each
// event a DecisionEvent's JSON object, each followed by a newline,
// compressed with S2 unless LogConfig.Uncompressed (LogEncodingS2; read
// them with LogEvents). Events are batched because the stream stores,
// indexes and counts each message: batching makes that work one message
// in Batch, where it was one per decision (with every decision logged,
// the router's maximum over TCP went from 55,000 to 59,900/s; 75,600/s
// without the log). An event waits at most Linger for the others of its
// message. Messages go out mostly without acknowledgement (see
// LogConfig.AckEvery): the stream stores them in order, and the
// acknowledged message each second says that it stored those before it
// too. The publisher keeps each message until then, and publishes those
// kept again, each waiting for its acknowledgement, when that message
// fails (Failed): it found no stream (deleted under the running log: the
// publisher creates it again first, Recreated), the stream refused it
// (Refusing: each refused message's events dropped and counted), or no
// answer came (a cluster without quorum, a stream leader lost: Stalled;
// tried again every second, the events logged meanwhile waiting in the
// queue). Each message has a Nats-Msg-Id: one the stream stored before
// the failure is answered a duplicate when published again, within the
// stream's duplicate window (2 minutes unless an operator set another);
// past it delivery is at least once, such messages stored twice (a
// reader that must count each decision once removes the duplicates by
// their request id and time). A failure that falls between two acknowledged messages (a
// leader elected again within the second) is not seen: the messages it
// lost are lost uncounted.
//
// While the connection is down the publisher publishes nothing: the
// events wait in the log's queue (up to Buffer, then dropped and
// counted), not in the client's reconnect buffer, which nats.go sends
// first thing on the reconnection, before the log could make the stream
// on a server that lacks it (restarted on an empty store, a failover),
// and which was lost there without a word. Once the connection is back
// the publisher finds the stream, or makes it, publishes again the
// messages kept since the last acknowledgement (they may have been lost
// with the connection), and then the events queued. A publish that races
// the connection's loss (up when the publisher looked) goes to the
// reconnect buffer, unless the connection has none
// (nats.ReconnectBufSize(-1): it then waits with the others).
// StreamReady says whether the log can publish, Storing whether its
// stream stores what it publishes.
//
// ReadLog reads the stream back.
type DecisionLog struct {
	js      jetstream.JetStream
	nc      *nats.Conn
	cfg     LogConfig
	given   LogConfig // the limits given to NewDecisionLog (zero: not given)
	failed  atomic.Int64
	dropped atomic.Int64
	sent    atomic.Int64
	// refusing: an acknowledged publish was refused by the stream, and
	// none stored since (LogConfig.Refusing); stalled: one went
	// unanswered, and none stored since (LogConfig.Stalled). Set by the
	// publisher.
	refusing, stalled atomic.Bool
	// stream: the stream was found or created over the connection, and
	// no acknowledged publish found it missing since (StreamReady).
	stream atomic.Bool
	stop   chan struct{} // closed by Close
	once   sync.Once
	done   chan struct{}
	// status tells the publisher that the connection was lost or is
	// up again: it holds the events until the server it comes back to
	// has the stream (one restarted on an empty store, a failover, may
	// not), which it makes again at once rather than at its next
	// acknowledged publish, up to AckEvery later, the events published
	// until then lost (awaitStream).
	status chan nats.Status

	// wake tells the publisher that it has work: a first event to
	// linger for, or a full message's worth. Events go through q, which
	// the publisher takes whole, rather than a channel, which would hand
	// each event to a publisher waiting on it, a goroutine wake-up (and a
	// thread's, an idle core's) on the request path for each decision.
	wake chan struct{}
	mu   sync.Mutex
	q    []*rt.DecisionEvent // the events queued, oldest first
	qlen int                 // the estimated bytes of q's JSON lines (lineSize)
	// The publisher's, under mu: idle when it holds no event and
	// waits for one (no linger running), closed once it has stopped;
	// held and heldLen, the events and bytes of the message being
	// filled; fill, the bytes of JSON Lines that make a message full
	// (fillMax), as of the publisher's last take.
	idle, closed  bool
	held, heldLen int
	fill          int

	// The publisher's: the message being filled, its event count, the
	// time of the last acknowledged publish, and the queue it took last.
	buf   []byte
	n     int
	acked time.Time
	// pending are the messages published without acknowledgement since
	// the last one acknowledged, oldest first, and pendingBytes their
	// size: an acknowledgement stores them (counted sent), a failure
	// publishes them again (redeliver). resend: the connection changed
	// since they were published (they may have been lost with it).
	// spareData are buffers of pending messages stored, for the next.
	pending      []pendingMsg
	pendingBytes int
	resend       bool
	spareData    [][]byte
	// final: the log is stopping, and each message waits for its
	// acknowledgement.
	final bool
	// inForce are the limits last told InForce, told once set.
	inForce     [3]int64
	inForceTold bool
	// replicasTold: ReplicasRefused was told.
	replicasTold bool
	// stopped: the log closed while the publisher waited for the
	// stream (awaitStream), and what it holds or takes is dropped.
	stopped bool
	spare   []*rt.DecisionEvent
	// z is the message compressed (unless Uncompressed), and hdr its
	// Content-Encoding header, nil when it has none.
	z   []byte
	hdr nats.Header
	// idPrefix and seq make each message's Nats-Msg-Id (msgID): a
	// message published again that the stream had stored is answered
	// a duplicate, counted stored, not stored twice nor refused (at a
	// limit) as a new one.
	idPrefix string
	seq      uint64
	// told filters the failures told Unavailable (NewDecisionLog's,
	// then the publisher's).
	told repeats.Filter
	// overflow counts the drops for a full queue, and overflowTold is
	// overflow when Overflowed was last told; overflowNext is the time
	// (Unix ns) before which it is not told again, and overflowClock, if
	// not nil, the clock of overflowed (tests; nil: the event's time).
	overflow      atomic.Int64
	overflowTold  atomic.Int64
	overflowNext  atomic.Int64
	overflowClock func() time.Time
}

var _ rt.DecisionLog = (*DecisionLog)(nil)

// NewDecisionLog creates the stream (or updates the limits given of the
// one that exists: see LogConfig) and starts publishing.
// When nc is not connected yet (a deployment that was unreachable when
// the router started), or the stream cannot be created (Unavailable is
// told why), it returns at once: the publisher creates the stream once
// it can, retrying every streamRetry, and events queue meanwhile (up to
// Buffer, then they are dropped and counted); Ready says when the stream
// exists. Only a Buffer that CheckLogBuffer refuses and a failure to start
// the JetStream context are returned.
func NewDecisionLog(ctx context.Context, nc *nats.Conn, cfg LogConfig) (*DecisionLog, error) {
	if err := CheckLogBuffer(cfg.Buffer); err != nil {
		return nil, err
	}
	given := LogConfig{MaxAge: max(cfg.MaxAge, 0), MaxBytes: max(cfg.MaxBytes, 0), MaxMsgs: max(cfg.MaxMsgs, 0), Replicas: max(cfg.Replicas, 0)}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultLogMaxBytes
		if cfg.CreateMaxBytes > 0 {
			cfg.MaxBytes = cfg.CreateMaxBytes
		}
	}
	if cfg.MaxMsgs <= 0 {
		cfg.MaxMsgs = -1
	}
	if cfg.Buffer == 0 {
		cfg.Buffer = DefaultLogBuffer
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1024
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 50 * time.Millisecond
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.AckEvery == 0 {
		cfg.AckEvery = time.Second
	}
	l := &DecisionLog{nc: nc, cfg: cfg, idPrefix: nuid.Next() + "-", given: given, stop: make(chan struct{}), done: make(chan struct{}),
		wake: make(chan struct{}, 1), idle: true, fill: maxBatchBytes}
	if !cfg.Uncompressed {
		l.hdr = nats.Header{"Content-Encoding": {LogEncodingS2}}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	l.js = js
	l.status = nc.StatusChanged(nats.CONNECTED, nats.DISCONNECTED, nats.RECONNECTING)
	ready := false
	if nc.IsConnected() {
		_, err := l.createStream(ctx)
		ready = err == nil
		if err != nil {
			l.unavailable(err)
		}
	}
	go l.run(ready)
	return l, nil
}

// unavailable tells Unavailable that the stream could not be created,
// unless it told the same failure less than a minute ago; told says
// whether it did.
func (l *DecisionLog) unavailable(err error) (told bool) {
	if l.cfg.Unavailable == nil {
		return false
	}
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrJetStreamNotEnabled) {
		err = fmt.Errorf("%w (the NATS deployment has no JetStream: the decision log needs it, nats-server -js)", err)
	}
	if l.told.Tell(err) {
		l.cfg.Unavailable(err)
		return true
	}
	return false
}

// streamRetry is how often a log whose connection was not up tries to
// create its stream.
const streamRetry = time.Second

// createStream creates the stream with the configured limits, or
// updates the one that exists with the limits given (LogConfig), keeping
// its others: a router's restart must not undo an operator's retention.
// created says that the stream did not exist.
func (l *DecisionLog) createStream(ctx context.Context) (created bool, err error) {
	return l.ensureStream(ctx, true)
}

// ensureStream is createStream; if another client creates the stream
// between its look-up and its creation, it looks again when again is
// set. A stream that exists but no longer stores LogSubject (an
// operator changed its subjects) gets it back beside its own subjects.
func (l *DecisionLog) ensureStream(ctx context.Context, again bool) (created bool, err error) {
	defer func() { l.stream.Store(err == nil) }()
	st, err := l.js.Stream(ctx, LogStream)
	var sc jetstream.StreamConfig
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		sc = jetstream.StreamConfig{
			Name:        LogStream,
			Description: "RPL router decision log (JSON Lines: one or more events per message; S2-compressed when the message's header says Content-Encoding: s2)",
			Subjects:    []string{LogSubject},
			Retention:   jetstream.LimitsPolicy,
			Discard:     jetstream.DiscardOld,
			MaxAge:      l.cfg.MaxAge,
			MaxBytes:    l.cfg.MaxBytes,
			MaxMsgs:     l.cfg.MaxMsgs,
			Replicas:    l.cfg.Replicas,
		}
		_, err = l.js.CreateStream(ctx, sc)
		if l.fewerReplicas(&sc, 1, err) {
			_, err = l.js.CreateStream(ctx, sc)
		}
		if again && errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return l.ensureStream(ctx, false) // another router created it meanwhile
		}
		created = err == nil
	case err != nil:
	default:
		sc = st.CachedInfo().Config
		old := sc
		if l.given.MaxAge > 0 {
			sc.MaxAge = l.given.MaxAge
		}
		if l.given.MaxBytes > 0 {
			sc.MaxBytes = l.given.MaxBytes
		}
		if l.given.MaxMsgs > 0 {
			sc.MaxMsgs = l.given.MaxMsgs
		}
		if l.given.Replicas > 0 {
			sc.Replicas = l.given.Replicas
		}
		bound := slices.ContainsFunc(sc.Subjects, func(f string) bool { return server.SubjectMatchesFilter(LogSubject, f) })
		if !bound {
			sc.Subjects = append(slices.Clone(sc.Subjects), LogSubject)
		}
		if !bound || sc.MaxAge != old.MaxAge || sc.MaxBytes != old.MaxBytes || sc.MaxMsgs != old.MaxMsgs || sc.Replicas != old.Replicas {
			_, err = l.js.UpdateStream(ctx, sc)
			if l.fewerReplicas(&sc, old.Replicas, err) {
				_, err = l.js.UpdateStream(ctx, sc)
			}
		}
	}
	if err != nil {
		return false, fmt.Errorf("decision log stream: %w", err)
	}
	// Told when they change: the stream is looked up again at each
	// reconnection and after each acknowledged publish that found no
	// stream, once a second while a cluster has no quorum.
	if in := [3]int64{int64(sc.MaxAge), sc.MaxBytes, sc.MaxMsgs}; l.cfg.InForce != nil && (!l.inForceTold || in != l.inForce) {
		l.inForce, l.inForceTold = in, true
		l.cfg.InForce(sc.MaxAge, sc.MaxBytes, sc.MaxMsgs)
	}
	return created, nil
}

// errReplicasNotSupported is JetStream's error code for a stream of more
// than one copy asked of a server that is not in a cluster (replicas > 1
// not supported in non-clustered mode).
const errReplicasNotSupported = 10074

// fewerReplicas reports whether err is a server's refusal of the copies
// sc asks (more than one, of a server not in a cluster), and then makes
// them kept, those the stream has (1 for a stream created), so that the
// stream is created or updated with them: the log goes on with the
// copies it can have, and ReplicasRefused is told once.
func (l *DecisionLog) fewerReplicas(sc *jetstream.StreamConfig, kept int, err error) bool {
	if code, _ := apiErrorOf(err); code != errReplicasNotSupported || sc.Replicas <= max(kept, 1) {
		return false
	}
	asked := sc.Replicas
	sc.Replicas = max(kept, 1)
	if !l.replicasTold {
		l.replicasTold = true
		if l.cfg.ReplicasRefused != nil {
			l.cfg.ReplicasRefused(sc.Replicas, asked, err)
		}
	}
	return true
}

// StorageShort reports whether err is JetStream's refusal for want of
// storage: the server's (insufficient resources, error 10023: its
// max_file_store reserved already), the account's (insufficient storage
// resources available, 10047: its storage limit reached) or, on a
// cluster, the placement's (no suitable peers for placement, insufficient
// storage, 10005).
func StorageShort(err error) bool {
	code, desc := apiErrorOf(err)
	return code == 10023 || code == 10047 || code == 10005 && strings.Contains(desc, "insufficient storage")
}

// PeersShort reports whether err is a JetStream cluster's refusal to
// place a stream's copies for want of servers (no suitable peers for
// placement, 10005, storage aside): fewer JetStream servers are up than
// the copies asked (--replicas).
func PeersShort(err error) bool {
	code, desc := apiErrorOf(err)
	return code == 10005 && !strings.Contains(desc, "insufficient storage")
}

// apiErrorOf is err's JetStream error code and description, 0 and "" for
// another error.
func apiErrorOf(err error) (jetstream.ErrorCode, string) {
	var je jetstream.JetStreamError
	if !errors.As(err, &je) || je.APIError() == nil {
		return 0, ""
	}
	return je.APIError().ErrorCode, je.APIError().Description
}

// streamMissing reports whether a failed acknowledged publish says that
// no stream stores the log's subject.
func streamMissing(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrStreamNotFound)
}

// streamRefused reports whether err is the stream's refusal of a
// message (maximum messages or bytes exceeded, with the discard policy
// "new"; storage the server lacks), not its absence.
func streamRefused(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && !streamMissing(err)
}

// setRefusing marks the log refusing, with err, or (nil) storing again,
// and tells Refusing of a change.
func (l *DecisionLog) setRefusing(err error) {
	if l.refusing.CompareAndSwap(err == nil, err != nil) && l.cfg.Refusing != nil {
		l.cfg.Refusing(err)
	}
}

// setStalled marks the log stalled, with err, or (nil) storing again,
// and tells Stalled of a change.
func (l *DecisionLog) setStalled(err error) {
	if l.stalled.CompareAndSwap(err == nil, err != nil) && l.cfg.Stalled != nil {
		l.cfg.Stalled(err)
	}
}

// ackWait bounds the wait for a message's acknowledgement.
const ackWait = 2 * time.Second

// maxPending bounds the bytes of the messages published without
// acknowledgement that the publisher keeps (pending): a message that
// would take them past it is published with one.
const maxPending = 4 << 20

// awaitStream waits until the log can publish (StreamReady): the
// connection up, and the stream found or created over it, retrying every
// streamRetry and at each change of the connection (telling Unavailable
// why it fails over a connection that is up); false if the log is closed
// first. Nothing is published meanwhile: a plain publish with no stream
// to store it would be lost without a word, and so would the client's
// reconnect buffer, sent first thing when the connection comes back,
// before the stream can be made on a server that lacks it. The events
// logged meanwhile wait in the queue (up to Buffer, then dropped and
// counted). first is the wait before the log's first publish (Ready is
// told its end); after, the stream created says that it had
// disappeared (Recreated is told), and the end of a wait that told
// Unavailable is told Ready.
func (l *DecisionLog) awaitStream(first bool) bool {
	l.stream.Store(false)
	var retry <-chan time.Time
	told := false // Unavailable was told during this wait
	for {
		// The changes of the connection until this look are the past.
		for len(l.status) > 0 {
			<-l.status
		}
		if l.nc.IsConnected() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			created, err := l.createStream(ctx)
			cancel()
			if err == nil {
				l.told.Reset() // a failure after this wait is told at once
				// Those published before the wait may be lost with the
				// connection, or with the stream.
				l.resend = len(l.pending) > 0
				switch {
				case !first && created:
					if l.cfg.Recreated != nil {
						l.cfg.Recreated()
					}
				case (first || told) && l.cfg.Ready != nil:
					l.cfg.Ready()
				}
				return true
			}
			if l.nc.IsConnected() && l.unavailable(err) {
				told = true
			}
		}
		if retry == nil {
			t := time.NewTicker(streamRetry)
			defer t.Stop()
			retry = t.C
		}
		select {
		case <-retry:
		case <-l.status:
		case <-l.stop:
		}
		// A Close wins over a retry due at the same time: select would
		// pick either, and the retry could hold the publisher for its
		// 5 s more.
		select {
		case <-l.stop:
			l.stopped = true
			return false
		default:
		}
	}
}

// LogDecision implements runtime.DecisionLog. It wakes the publisher
// only for the first event it will hold, and when a message's worth is
// queued.
func (l *DecisionLog) LogDecision(ev *rt.DecisionEvent) {
	l.mu.Lock()
	if l.closed || len(l.q) >= l.cfg.Buffer {
		full, at := !l.closed, ev.Time
		l.mu.Unlock()
		ev.Release()
		l.drop(1)
		if full {
			l.overflowed(at)
		}
		return
	}
	l.q = append(l.q, ev)
	l.qlen += lineSize(ev)
	wake := l.idle || l.held+len(l.q) >= l.cfg.Batch || l.heldLen+l.qlen >= l.fill
	l.idle = false
	l.mu.Unlock()
	if wake {
		select {
		case l.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// lineSize estimates the bytes of ev's JSON line, for LogDecision to
// tell when the queue fills a message: its strings and decision, and
// about 150 bytes of keys, time and numbers (escapes aside). It counted
// the decision alone, and long request ids or failures made a message's
// worth that woke no one.
func lineSize(ev *rt.DecisionEvent) int {
	return len(ev.Decision) + len(ev.RequestID) + len(ev.TenantID) + len(ev.PolicyID) + len(ev.Version) + len(ev.Result) + len(ev.Failure) + 150
}

// overflowed counts an event dropped for a full queue, and tells
// Overflowed the drops since it last told it, unless it did less than
// repeats.Every ago: a burst drops thousands of events, which must not
// make as many log lines. It runs for each event dropped, on the request
// path of a router overloaded: its common case is an atomic add, an
// atomic load and a comparison, with at, the event's time (its request's
// arrival, read already), for the clock. It took a repeats.Filter's
// mutex and read the clock for each, as many requests as were dropping
// taking turns at the lock. A clock stepped back more than
// repeats.Every before the last told tells at once, not once the clock
// has made up the step.
func (l *DecisionLog) overflowed(at time.Time) {
	n := l.overflow.Add(1)
	if l.cfg.Overflowed == nil {
		return
	}
	if l.overflowClock != nil {
		at = l.overflowClock()
	} else if at.IsZero() {
		at = time.Now()
	}
	t, next := at.UnixNano(), l.overflowNext.Load()
	if (t < next && t >= next-2*int64(repeats.Every)) || !l.overflowNext.CompareAndSwap(next, t+int64(repeats.Every)) {
		return
	}
	// The swap lets one caller through for each next: the count since
	// the last told is this one's alone.
	l.cfg.Overflowed(n - l.overflowTold.Swap(n))
}

func (l *DecisionLog) drop(n int) {
	l.dropped.Add(int64(n))
	if l.cfg.Dropped != nil {
		for range n {
			l.cfg.Dropped()
		}
	}
}

// run fills messages with the queued events and publishes each when it
// is full or its first event has waited Linger; first, unless ready, it
// awaits the stream (the events queued meanwhile are dropped if the log
// closes before it exists).
func (l *DecisionLog) run(ready bool) {
	defer close(l.done)
	defer l.nc.RemoveStatusListener(l.status)
	if !ready && !l.awaitStream(true) {
		evs := l.take(true)
		for _, ev := range evs {
			ev.Release()
		}
		l.drop(len(evs))
		return
	}
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	armed := false
	for {
		expired, stopping := false, false
		select {
		case <-l.wake:
		case <-linger.C:
			armed, expired = false, true
		case <-l.status:
			// Lost: the events wait until it is back and its server has
			// the stream (found, mostly: then nothing is told).
			stopping = !l.awaitStream(false)
		case <-l.stop:
			stopping = true
		}
		l.final = stopping // its last messages wait for their acknowledgement
		for _, ev := range l.take(stopping) {
			l.add(ev)
			if l.full() {
				l.publish()
			}
		}
		if expired || stopping {
			l.publish()
		}
		if stopping {
			l.confirm()
			return
		}
		l.mu.Lock()
		l.held, l.heldLen = l.n, len(l.buf)
		idle := l.n == 0 && len(l.q) == 0
		l.idle = idle
		// Events logged during this pass counted on the held figures
		// of the one before, and may have made a full message without
		// waking the publisher: it looks again, rather than leave it to
		// the linger.
		again := !idle && (l.held+len(l.q) >= l.cfg.Batch || l.heldLen+l.qlen >= l.fill)
		l.mu.Unlock()
		if again {
			select {
			case l.wake <- struct{}{}:
			default: // a wake-up is pending already
			}
		}
		switch {
		case idle && armed:
			linger.Stop()
			armed = false
		case !idle && !armed:
			linger.Reset(l.cfg.Linger)
			armed = true
		}
	}
}

// take returns the queued events, leaving the queue empty (and closed
// to new events when the publisher stops).
func (l *DecisionLog) take(stopping bool) []*rt.DecisionEvent {
	clear(l.spare) // the events of the last take, released since
	fill := l.fillMax()
	l.mu.Lock()
	evs := l.q
	l.q, l.qlen, l.spare = l.spare[:0], 0, evs
	l.closed = stopping
	l.fill = fill
	l.mu.Unlock()
	return evs
}

// payloadMax is the largest payload a message may have as published:
// what the server accepts (nc.MaxPayload, learnt at each connection),
// less logHeaderRoom; no limit while it is not known (never connected).
func (l *DecisionLog) payloadMax() int {
	if mp := l.nc.MaxPayload(); mp > 0 {
		return max(int(mp)-logHeaderRoom, 1)
	}
	return maxLogDecoded
}

// fillMax is the bytes of JSON Lines that make a message full:
// maxBatchBytes, or less uncompressed if the server accepts less. A
// compressed message is bounded after its compression (send): S2 makes
// the log's events a tenth as large, and its JSON Lines filled to the
// server's limit would hold a tenth as many events.
func (l *DecisionLog) fillMax() int {
	if l.hdr != nil {
		return maxBatchBytes
	}
	return min(maxBatchBytes, l.payloadMax())
}

// full reports whether the message being filled is to be published.
func (l *DecisionLog) full() bool { return l.n >= l.cfg.Batch || len(l.buf) >= l.fill }

// add appends ev to the message being filled, publishing that message
// first when ev would take it past fill (fillMax).
func (l *DecisionLog) add(ev *rt.DecisionEvent) {
	start := len(l.buf)
	ev.Router = l.cfg.Router
	l.buf = append(ev.AppendJSON(l.buf), '\n')
	ev.Release()
	if l.n > 0 && len(l.buf) > l.fill {
		line := l.buf[start:]
		l.buf = l.buf[:start]
		l.publish()
		l.buf = append(l.buf, line...) // may overlap line: append copies as memmove does
	}
	l.n++
}

// publish sends the message being filled, if it holds any event.
func (l *DecisionLog) publish() {
	if l.n == 0 {
		return
	}
	l.send(l.buf, l.n)
	if cap(l.buf) > 4*maxBatchBytes {
		l.buf, l.z = nil, nil // one huge event must not stay pinned
	}
	l.buf, l.n = l.buf[:0], 0
}

// send publishes lines, the JSON Lines of n events, as a message. One
// that would be larger, as published, than the server accepts
// (payloadMax), or, holding more than one event, than maxBatchBytes, is
// sent as two, each with half of the events: the client refuses a
// message past the server's max_payload (nats: maximum payload
// exceeded), and every event of an uncompressed message of 64 KiB was
// lost to a server that accepts 8 KiB. An event that alone is larger,
// or that readers would refuse (maxLogDecoded), is dropped and counted.
func (l *DecisionLog) send(lines []byte, n int) {
	if len(lines) > maxLogDecoded {
		l.drop(n)
		return
	}
	data := lines
	if l.hdr != nil {
		l.z = s2.Encode(l.z[:cap(l.z)], lines)
		data = l.z
	}
	if limit := l.payloadMax(); len(data) > limit || (n > 1 && len(data) > maxBatchBytes) {
		if n == 1 {
			l.drop(1)
			return
		}
		half := 0
		for range n / 2 {
			half += bytes.IndexByte(lines[half:], '\n') + 1
		}
		l.send(lines[:half], n/2)
		l.send(lines[half:], n-n/2)
		return
	}
	id := l.msgID()
	for {
		// The connection lost, or the stream found missing: the message
		// waits for them (awaitStream), or is dropped if the log closes
		// first.
		if l.stopped || !l.StreamReady() && !l.awaitStream(false) {
			l.drop(n)
			l.dropPending()
			return
		}
		if l.resend && !l.redeliver() {
			l.drop(n)
			return
		}
		if l.final || l.refusing.Load() || l.cfg.AckEvery < 0 || time.Since(l.acked) >= l.cfg.AckEvery || l.pendingBytes+len(data) > maxPending {
			l.sendAcked(data, n, id)
			return
		}
		// Copied into the connection's buffer, and kept until an
		// acknowledgement.
		err := l.nc.PublishMsg(&nats.Msg{Subject: LogSubject, Header: l.header(id), Data: data})
		if errors.Is(err, nats.ErrReconnectBufExceeded) {
			continue // lost since the look, and the client holds no more: the message waits
		}
		if err != nil {
			l.drop(n)
			return
		}
		l.keep(data, n, id)
		l.sent.Add(int64(n))
		return
	}
}

// msgID is the next message's Nats-Msg-Id: the log's prefix, unique to
// it, and the message's number.
func (l *DecisionLog) msgID() string {
	l.seq++
	return l.idPrefix + strconv.FormatUint(l.seq, 36)
}

// header is the header of the message of id: its Nats-Msg-Id, and its
// Content-Encoding unless uncompressed.
func (l *DecisionLog) header(id string) nats.Header {
	h := nats.Header{"Nats-Msg-Id": {id}}
	if l.hdr != nil {
		h["Content-Encoding"] = l.hdr["Content-Encoding"]
	}
	return h
}

// pendingMsg is a message published without acknowledgement, and the
// number of its events.
type pendingMsg struct {
	data []byte
	n    int
	id   string // its Nats-Msg-Id
}

// keep adds a copy of data, a message of n events published without
// acknowledgement, to the pending ones.
func (l *DecisionLog) keep(data []byte, n int, id string) {
	var b []byte
	if k := len(l.spareData); k > 0 {
		b, l.spareData = l.spareData[k-1], l.spareData[:k-1]
	}
	l.pending = append(l.pending, pendingMsg{append(b[:0], data...), n, id})
	l.pendingBytes += len(data)
}

// release forgets the first k pending messages, keeping their buffers
// for the next (but a huge one's), and returns their events.
func (l *DecisionLog) release(k int) (events int) {
	for _, m := range l.pending[:k] {
		events += m.n
		l.pendingBytes -= len(m.data)
		if cap(m.data) <= 4*maxBatchBytes {
			l.spareData = append(l.spareData, m.data[:0])
		}
	}
	l.pending = slices.Delete(l.pending, 0, k)
	return events
}

// stored forgets the pending messages, and counts n events sent, once
// an acknowledgement says the stream stored them: it ends a refusal or a
// stall.
func (l *DecisionLog) stored(n int) {
	l.release(len(l.pending))
	l.sent.Add(int64(n))
	l.resend = false
	l.setRefusing(nil)
	l.setStalled(nil)
}

// dropPending drops the events of the pending messages: the log closed
// before it knew them stored.
func (l *DecisionLog) dropPending() {
	l.unsend(len(l.pending))
	l.resend = false
}

// unsend drops the events of the first k pending messages, counted sent
// when they were published.
func (l *DecisionLog) unsend(k int) {
	n := l.release(k)
	l.sent.Add(-int64(n))
	l.drop(n)
}

// publishAcked publishes data and waits for its acknowledgement, up to
// ackWait.
func (l *DecisionLog) publishAcked(data []byte, h nats.Header) error {
	ctx, cancel := context.WithTimeout(context.Background(), ackWait)
	defer cancel()
	_, err := l.js.PublishMsg(ctx, &nats.Msg{Subject: LogSubject, Header: h, Data: data})
	return err
}

// sendAcked publishes data, a message of n events, and waits for its
// acknowledgement, which says that the pending messages are stored too.
// When it fails, the failure is counted and told, and the message (but
// one refused, whose events are dropped) is pending with the others,
// which are all published again (redeliver); a connection lost
// meanwhile is no failure of the stream's: they wait for it.
func (l *DecisionLog) sendAcked(data []byte, n int, id string) {
	l.acked = time.Now()
	err := l.publishAcked(data, l.header(id))
	switch {
	case err == nil:
		l.stored(n)
		return
	case streamRefused(err):
		// Told once the messages before it are published again (and
		// refused, most likely).
		defer l.setRefusing(err)
		l.failure(err)
		l.drop(n)
	default:
		l.keep(data, n, id)
		l.sent.Add(int64(n))
		switch {
		case !l.nc.IsConnected():
		case streamMissing(err):
			l.failure(err)
			l.stream.Store(false) // looked up, or made again, first
		default:
			l.failure(err)
			l.setStalled(err)
		}
	}
	l.redeliver()
}

// failure counts and tells a failed acknowledged publish.
func (l *DecisionLog) failure(err error) {
	l.failed.Add(1)
	if l.cfg.Failed != nil {
		l.cfg.Failed(err)
	}
}

// redeliver publishes the pending messages again, in order, each waiting
// for its acknowledgement, after a failed one (or a change of the
// connection) that says they may not be stored: the stream may hold
// some twice. A message the stream refuses has its events dropped (and
// is a failure); one that finds no stream waits for it (awaitStream);
// one unanswered, or finding no stream over a connection up with the
// stream found (no responders: a leader election, a cluster without
// quorum), stalls the log (setStalled) and is tried again every
// streamRetry. It returns false, the pending events dropped, if the log
// closes first.
func (l *DecisionLog) redeliver() bool {
	var refused error // told once they have all been tried
	defer func() {
		if refused != nil {
			l.setRefusing(refused)
		}
	}()
	for len(l.pending) > 0 {
		if l.stopped || !l.StreamReady() && !l.awaitStream(false) {
			l.dropPending()
			return false
		}
		err := l.publishAcked(l.pending[0].data, l.header(l.pending[0].id))
		switch {
		case err == nil:
			l.release(1)
			refused = nil
			l.setRefusing(nil)
			l.setStalled(nil)
		case !l.nc.IsConnected():
			// The next look waits for the connection.
		case streamRefused(err):
			l.failure(err)
			refused = err
			l.unsend(1)
		default:
			if streamMissing(err) {
				l.stream.Store(false) // looked up (or made) again first
			}
			l.setStalled(err)
			if !l.pause() {
				l.dropPending()
				return false
			}
		}
	}
	l.resend = false
	return true
}

// pause waits streamRetry; false if the log closes first.
func (l *DecisionLog) pause() bool {
	t := time.NewTimer(streamRetry)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.stop:
		l.stopped = true
		return false
	}
}

// confirm, as the log stops, waits until the stream has stored the
// pending messages (published before, the last message being
// acknowledged): the last is published again, acknowledged, and the
// stream answers that it holds it already (its Nats-Msg-Id) once it has
// stored it, or stores it then. Those it cannot confirm so are
// published again (redeliver), each acknowledged, a stored one answered
// a duplicate and one the stream refuses (at a limit) dropped, until
// the log's Close gives up, and then dropped.
func (l *DecisionLog) confirm() {
	if len(l.pending) == 0 {
		return
	}
	if !l.stopped && l.StreamReady() && !l.resend {
		last := l.pending[len(l.pending)-1]
		if err := l.publishAcked(last.data, l.header(last.id)); err == nil {
			l.stored(0)
			return
		}
	}
	l.resend = true
	l.redeliver()
}

// Close publishes the queued events, waits (up to ctx) until the stream
// has stored them (confirm), and stops. A decision may still be logged
// while or after it runs (a transport that did not drain in time): such
// events are dropped, and counted so. A log whose connection is down, or
// whose stream does not answer, does not wait; the events it holds for
// the stream (queued while the connection was down, before the stream
// existed, or published without an acknowledgement since the last) are
// dropped and counted. Close may be called more than once, and at once.
func (l *DecisionLog) Close(ctx context.Context) {
	l.once.Do(func() { close(l.stop) })
	select {
	case <-l.done:
	case <-ctx.Done():
	}
}

// StreamReady reports whether the log can publish: its connection is up,
// the stream was found or created over it since the connection last
// changed, and no acknowledged publish has found it missing since. While
// it is not, events wait in the queue (see DecisionLog).
//
// A change of the connection that the publisher has not read yet (a
// status event still in l.status) makes it false: a connection lost and
// back while the publisher was busy is up, and the stream's flag still
// says what the server before had, but the server it came back to may
// have no stream. The connection is read first: a change after it is in
// l.status by the time it is looked at (nats.go sends the event under
// the lock that IsConnected takes).
func (l *DecisionLog) StreamReady() bool {
	return l.stream.Load() && l.nc.IsConnected() && len(l.status) == 0
}

// Refusing reports whether the stream refuses the log's messages
// (LogConfig.Refusing).
func (l *DecisionLog) Refusing() bool { return l.refusing.Load() }

// Storing reports whether the log can publish (StreamReady) and the
// stream stores what it publishes: false while it refuses messages
// (LogConfig.Refusing).
func (l *DecisionLog) Storing() bool {
	return l.StreamReady() && !l.refusing.Load() && !l.stalled.Load()
}

// Failed is the number of acknowledged publishes that failed.
func (l *DecisionLog) Failed() int64 { return l.failed.Load() }

// Stats returns the number of events published (handed to the server,
// less those published without acknowledgement and dropped since, as
// the log closed before their stream stored them) and dropped.
func (l *DecisionLog) Stats() (sent, dropped int64) { return l.sent.Load(), l.dropped.Load() }

// ReadLog returns the events the decision log stream st holds, message by
// message, oldest first. Messages the stream discards while it reads (its
// limits) are skipped, and so are those of other subjects than
// LogSubject (an operator's, which a stream may store beside the log's).
func ReadLog(ctx context.Context, st jetstream.Stream) ([][]rt.DecisionEvent, error) {
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	var msgs [][]rt.DecisionEvent
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return msgs, err
		}
		if m.Subject != LogSubject {
			continue
		}
		evs, err := LogEvents(m.Header, m.Data)
		if err != nil {
			return msgs, fmt.Errorf("message %d: %w", seq, err)
		}
		msgs = append(msgs, evs)
	}
	return msgs, nil
}

// LogEvents decodes the events of one decision log message, given its
// header and payload, compressed (LogEncodingS2) or not. An error names
// the event (counted from 1) that is not a DecisionEvent, or says why
// the payload does not decompress.
func LogEvents(h nats.Header, data []byte) ([]rt.DecisionEvent, error) {
	// The header's name in any case, as the request subjects read it
	// (encoded): a tool that copies the log's messages may write it in
	// lower case, and the payload read as plain JSON Lines then failed.
	var enc string
	if v := header(h, "Content-Encoding"); len(v) > 0 {
		enc = v[0]
	}
	switch enc {
	case "":
	case LogEncodingS2:
		var err error
		if data, err = decodeS2(data); err != nil {
			return nil, fmt.Errorf("decision log: %w", err)
		}
	default:
		return nil, fmt.Errorf("decision log: Content-Encoding %q: want %q or none", enc, LogEncodingS2)
	}
	evs, err := jsonLines(data)
	if err != nil && len(evs) == 0 && enc == "" {
		if _, zerr := decodeS2(data); zerr == nil {
			err = fmt.Errorf("%w (the payload decompresses as S2: was its header Content-Encoding: %s lost?)", err, LogEncodingS2)
		}
	}
	return evs, err
}

// decodeS2 decompresses an S2 block that decodes to at most
// maxLogDecoded bytes.
func decodeS2(data []byte) ([]byte, error) {
	n, err := s2.DecodedLen(data)
	if err != nil {
		return nil, fmt.Errorf("S2 payload: %w", err)
	}
	if n > maxLogDecoded {
		return nil, fmt.Errorf("S2 payload decodes to %d bytes, more than %d", n, maxLogDecoded)
	}
	if data, err = s2.Decode(nil, data); err != nil {
		return nil, fmt.Errorf("S2 payload: %w", err)
	}
	return data, nil
}

// jsonLines decodes the events of a message's JSON Lines. An error names
// the event (counted from 1) that is not a DecisionEvent.
func jsonLines(data []byte) ([]rt.DecisionEvent, error) {
	var evs []rt.DecisionEvent
	for k := 1; len(data) > 0; k++ {
		line, rest, ok := bytes.Cut(data, []byte{'\n'})
		if !ok {
			return evs, fmt.Errorf("decision log: event %d: no newline after it", k)
		}
		var ev rt.DecisionEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return evs, fmt.Errorf("decision log: event %d: %w", k, jsonx.At(line, err))
		}
		evs = append(evs, ev)
		data = rest
	}
	return evs, nil
}
