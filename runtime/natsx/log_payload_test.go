package natsx_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// smallPayloadLog opens a decision log with cfg on an embedded server
// with JetStream that accepts messages of maxPayload bytes at most, and
// the stream it publishes to.
func smallPayloadLog(t *testing.T, maxPayload int32, cfg natsx.LogConfig) (*natsx.DecisionLog, jetstream.Stream) {
	t.Helper()
	s, err := server.NewServer(&server.Options{JetStream: true, StoreDir: filepath.Join(t.TempDir(), "jetstream"), MaxPayload: maxPayload,
		DontListen: true, NoSigs: true, NoLog: true, DisableJetStreamBanner: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(s.Shutdown)
	nc, err := natsx.ConnectInProcess(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if got := nc.MaxPayload(); got != int64(maxPayload) {
		t.Fatalf("the server accepts %d bytes, want %d", got, maxPayload)
	}
	return logStreamOn(t, nc, cfg)
}

// noise is n bytes of hex of random bytes, which S2 does not shrink
// much.
func noise(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TestDecisionLogSmallMaxPayload: on a server whose max_payload is
// 8 KiB, every message the log publishes, compressed or not, fits it
// (its header counted): batches are split so that no event is lost, and
// only an event too large alone is dropped, and counted. Messages were
// filled to 64 KiB of JSON Lines, which the client refused (nats:
// maximum payload exceeded): every event of them was dropped.
func TestDecisionLogSmallMaxPayload(t *testing.T) {
	const maxPayload = 8 << 10
	for _, plain := range []bool{true, false} {
		dlog, st := smallPayloadLog(t, maxPayload, natsx.LogConfig{Batch: 64, Linger: time.Hour, Uncompressed: plain})
		// ~1 KB events that S2 does not shrink: 64 KB of JSON Lines,
		// compressed or not, for a full batch.
		for i := range 200 {
			dlog.LogDecision(&rt.DecisionEvent{RequestID: strconv.Itoa(i), Decision: json.RawMessage(`{"reason":"` + noise(1000) + `"}`)})
		}
		// One event too large alone, among others.
		dlog.LogDecision(&rt.DecisionEvent{RequestID: "big", Decision: json.RawMessage(`{"reason":"` + noise(3*maxPayload) + `"}`)})
		dlog.LogDecision(&rt.DecisionEvent{RequestID: "200"})
		dlog.Close(context.Background())
		if got := ids(storedEvents(t, st, 201)); got != seq(201) {
			t.Errorf("uncompressed %v: events %.80s…, want 0…200 in order, the big one dropped", plain, got)
		}
		if sent, dropped := dlog.Stats(); sent != 201 || dropped != 1 {
			t.Errorf("uncompressed %v: sent %d dropped %d, want 201 and 1", plain, sent, dropped)
		}
		ctx := context.Background()
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs < 201*1000/maxPayload {
			t.Errorf("uncompressed %v: %d messages, too few to fit the server's %d bytes", plain, info.State.Msgs, maxPayload)
		}
		for q := info.State.FirstSeq; q <= info.State.LastSeq; q++ {
			m, err := st.GetMsg(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			size := len(m.Data)
			for k, vs := range m.Header {
				size += len(k) + len(strings.Join(vs, ""))
			}
			if size > maxPayload {
				t.Errorf("uncompressed %v: message %d is %d bytes, header and payload, more than the server's %d", plain, q, size, maxPayload)
			}
		}
	}
}
