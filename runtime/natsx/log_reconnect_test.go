package natsx_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestDecisionLogReconnectedToNewStore: a log whose connection comes back
// to a server that lost the stream (restarted on an empty store, a
// failover to a server without it) makes the stream again at once, so
// that the events after the reconnection are stored. It found the stream
// missing only at its next acknowledged publish, up to AckEvery (a
// second) later, and every event published until then was lost: half of
// 23,456 decisions in the second after a nats-server restarted on a new
// store under two routers.
func TestDecisionLogReconnectedToNewStore(t *testing.T) {
	addr, s, nc := reconnecting(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Acknowledged publishes an hour apart: after the first, the log
	// learns of a missing stream only from the reconnection.
	dlog := openLog(ctx, t, nc, natsx.LogConfig{AckEvery: time.Hour, Uncompressed: true})
	defer dlog.Close(ctx)
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "before"})
	waitStored(ctx, t, s)
	lose(t, s, nc)
	s2, _ := embedded(t, addr) // another store: no stream
	_, own := embeddedConn(t, s2)
	js, _ := jetstream.New(own)
	var st jetstream.Stream
	waitFor(t, "the stream made again after the reconnection", func() bool {
		var err error
		st, err = js.Stream(ctx, natsx.LogStream)
		return nc.IsConnected() && err == nil
	})
	for i := range 5 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("after-", i)})
	}
	dlog.Close(ctx)
	if got := ids(storedEvents(t, st, 5)); got != "after-0 after-1 after-2 after-3 after-4" {
		t.Errorf("stored %q after the reconnection", got)
	}
}

// TestDecisionLogOutageHeld: events logged while the connection is down
// wait in the log until the server it comes back to has the stream, and
// are stored there. They went to the client's reconnect buffer, which
// nats.go sends first thing on the reconnection, before the log could
// make the stream on a server restarted without its JetStream data: they
// were lost, and counted sent.
func TestDecisionLogOutageHeld(t *testing.T) {
	addr, s, nc := reconnecting(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Each event published at once; acknowledged publishes an hour
	// apart: none tells of a missing stream.
	dlog := openLog(ctx, t, nc, natsx.LogConfig{Batch: 1, AckEvery: time.Hour, Uncompressed: true})
	defer dlog.Close(ctx)
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "before"})
	waitStored(ctx, t, s)
	lose(t, s, nc)
	const n = 5
	for i := range n {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("down-", i)})
	}
	waitFor(t, "the events held by the log, or handed to the client", func() bool {
		b, _ := nc.Buffered()
		return dlog.Queued() == n || b > 0
	})
	if dlog.StreamReady() {
		t.Error("StreamReady with the connection down")
	}
	s2, _ := embedded(t, addr) // another store: no stream
	_, own := embeddedConn(t, s2)
	js, _ := jetstream.New(own)
	var st jetstream.Stream
	waitFor(t, "the stream made again after the reconnection", func() bool {
		var err error
		st, err = js.Stream(ctx, natsx.LogStream)
		return nc.IsConnected() && err == nil
	})
	// Stored once the log has made the stream: wait for them, or for
	// what the log counts dropped of them.
	var got string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		msgs, err := natsx.ReadLog(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		var evs []rt.DecisionEvent
		for _, m := range msgs {
			evs = append(evs, m...)
		}
		got = ids(evs)
		sent, dropped := dlog.Stats()
		if len(evs)+int(dropped) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s, the stream holds %q, %d events dropped, %d sent: the %d logged while the connection was down are lost uncounted", got, dropped, sent, n)
		}
	}
	dlog.Close(ctx)
	sent, dropped := dlog.Stats()
	if want := "down-0 down-1 down-2 down-3 down-4"; got != want || dropped != 0 || sent != n+1 {
		t.Errorf("stored %q after the reconnection, %d dropped, %d sent; want %q, none dropped, %d sent (before too)", got, dropped, sent, want, n+1)
	}
	if !dlog.StreamReady() {
		t.Error("not StreamReady after the reconnection")
	}
}

// TestDecisionLogReconnectedMidPass: a connection lost and back while
// the publisher was busy with the events it had taken (a slow callback, a
// write blocked on a dead socket) is noticed before their next publish:
// they wait until the server it came back to has the stream. StreamReady
// still said so, the flag of the stream found over the old connection
// and the connection up, and the publisher sent the rest of its events
// to a server without the stream, lost and counted sent. The publisher
// is held in the middle of a pass by its Dropped callback, told of an
// event too large for any message.
func TestDecisionLogReconnectedMidPass(t *testing.T) {
	addr, s, nc := reconnecting(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held, release := make(chan struct{}), make(chan struct{})
	var drops atomic.Int32
	dropped := func() {
		if drops.Add(1) <= 2 { // the two large events: the publisher waits
			held <- struct{}{}
			<-release
		}
	}
	dlog := openLog(ctx, t, nc, natsx.LogConfig{Batch: 1, AckEvery: time.Hour, Uncompressed: true, Dropped: dropped})
	defer dlog.Close(ctx)
	large := strings.Repeat("x", int(nc.MaxPayload())+1)
	dlog.LogDecision(&rt.DecisionEvent{RequestID: "before"})
	waitStored(ctx, t, s)
	// The publisher held by a first large event while the next pass's
	// events queue: a second large one, then five.
	dlog.LogDecision(&rt.DecisionEvent{RequestID: large})
	<-held
	dlog.LogDecision(&rt.DecisionEvent{RequestID: large})
	for i := range 5 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("after-", i)})
	}
	release <- struct{}{}
	<-held // the next pass, its first event: the five are still to go
	lose(t, s, nc)
	s2, _ := embedded(t, addr) // another store: no stream
	waitFor(t, "the connection back", nc.IsConnected)
	if dlog.StreamReady() {
		t.Error("StreamReady before the log looked for the stream on the server the connection came back to")
	}
	release <- struct{}{}
	dlog.Close(ctx)
	_, own := embeddedConn(t, s2)
	js, _ := jetstream.New(own)
	var evs []rt.DecisionEvent // none if the log made no stream there
	if st, err := js.Stream(ctx, natsx.LogStream); err == nil {
		msgs, err := natsx.ReadLog(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			evs = append(evs, m...)
		}
	}
	sent, ndropped := dlog.Stats()
	if got := ids(evs); got != "after-0 after-1 after-2 after-3 after-4" || sent != 6 || ndropped != 2 {
		t.Errorf("stored %q after the reconnection, %d sent, %d dropped; want the five after-, 6 sent (before too), 2 dropped (the large)", got, sent, ndropped)
	}
}

// TestDecisionLogUnavailableThenReady: a log whose connection comes back
// to a server without JetStream tells Unavailable why its events wait,
// and Ready when they go out again, the connection back on a server with
// its stream. It told the wait and not its end: Ready only ended the wait
// before the log's first publish, Recreated one that had to make the
// stream, and a router logged that its decision log was not available,
// then nothing once it was.
func TestDecisionLogUnavailableThenReady(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	host, port, _ := net.SplitHostPort(addr)
	portN, _ := strconv.Atoi(port)
	store := t.TempDir()
	start := func() *server.Server {
		t.Helper()
		s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: store, Listen: addr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Shutdown)
		return s
	}
	s := start()
	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var told []string
	tell := func(what string) {
		mu.Lock()
		told = append(told, what)
		mu.Unlock()
	}
	dlog := openLog(ctx, t, nc, natsx.LogConfig{
		Ready:       func() { tell("ready") },
		Recreated:   func() { tell("recreated") },
		Unavailable: func(error) { tell("unavailable") },
	})
	defer dlog.Close(ctx)
	waitFor(t, "the log ready", dlog.StreamReady)
	s.Shutdown()
	s.WaitForShutdown()
	plain, err := server.NewServer(&server.Options{Host: host, Port: portN, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go plain.Start()
	defer plain.Shutdown()
	waitFor(t, "Unavailable told on the server without JetStream", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(told) > 0
	})
	plain.Shutdown()
	plain.WaitForShutdown()
	start() // the same store: the stream is there, found
	waitFor(t, "the log ready again", dlog.StreamReady)
	dlog.Close(ctx) // the publisher has told what it tells at the wait's end
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(told, " "); got != "unavailable ready" {
		t.Errorf("told %q, want the wait and its end: \"unavailable ready\"", got)
	}
}

// embeddedConn is a connection of the test's own to s.
func embeddedConn(t *testing.T, s interface{ ClientURL() string }) (string, *nats.Conn) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return s.ClientURL(), nc
}

// TestReadLogOtherSubjects: ReadLog reads the log's messages of a stream
// that stores an operator's subjects beside it (which the log keeps when
// it binds its subject back) and passes over the others. It decoded every
// message of the stream as the log's and failed at the first other one
// ("message 1: decision log: event 1: invalid character"), returning none
// of the events after it.
func TestReadLogOtherSubjects(t *testing.T) {
	_, nc := embedded(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: natsx.LogStream, Subjects: []string{"operator.events", natsx.LogSubject}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "operator.events", []byte("the operator's own, not JSON Lines")); err != nil {
		t.Fatal(err)
	}
	dlog := openLog(ctx, t, nc, natsx.LogConfig{})
	for i := range 3 {
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("r-", i)})
	}
	dlog.Close(ctx)
	if _, err := js.Publish(ctx, "operator.events", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	msgs, err := natsx.ReadLog(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var evs []rt.DecisionEvent
	for _, m := range msgs {
		evs = append(evs, m...)
	}
	if got := ids(evs); got != "r-0 r-1 r-2" {
		t.Errorf("read %q, want r-0 r-1 r-2", got)
	}
}

// TestStartEmbeddedPortTaken: an embedded server whose --nats-listen
// port is taken fails at once, saying so; it waited out its 10 s and said
// "embedded NATS server not ready after 10s". The error wraps
// net.Listen's (a *net.OpError of Op "listen"), which is how StartEmbedded
// tells it from the server's other fatal errors: it matched the words of
// the server's log line ("listening on port").
func TestStartEmbeddedPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// A minute to be ready: the failure must come from the port, not
	// from the wait.
	_, err = natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: l.Addr().String(), ReadyTimeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), l.Addr().String()) {
		t.Fatalf("StartEmbedded on a port taken: %v", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" || !strings.HasPrefix(err.Error(), "embedded NATS server: --nats-listen "+l.Addr().String()+": ") {
		t.Errorf("StartEmbedded on a port taken: %v: want the --nats-listen address, wrapping net.Listen's error", err)
	}
}

// reconnecting starts an embedded server on a port of its own and
// connects to it as a router joined to a deployment does, reconnecting
// every 50 ms: a server started again on addr takes the connection back.
func reconnecting(t *testing.T) (addr string, s *server.Server, nc *nats.Conn) {
	t.Helper()
	addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s, _ = embedded(t, addr)
	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return addr, s, nc
}

// waitStored waits until s's log stream holds one message: the first
// event logged, stored.
func waitStored(ctx context.Context, t *testing.T, s *server.Server) {
	t.Helper()
	_, own := embeddedConn(t, s)
	js, _ := jetstream.New(own)
	waitFor(t, "the first event stored", func() bool {
		st, err := js.Stream(ctx, natsx.LogStream)
		return err == nil && st.CachedInfo().State.Msgs == 1
	})
}

// lose shuts s down and waits until nc knows.
func lose(t *testing.T, s *server.Server, nc *nats.Conn) {
	t.Helper()
	s.Shutdown()
	s.WaitForShutdown()
	waitFor(t, "the connection lost", func() bool { return !nc.IsConnected() })
}
