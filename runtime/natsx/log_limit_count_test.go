package natsx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// logLimitProbe logs 8 events, one a message, to a stream that keeps 5
// and refuses more (discard new), the publish before event ackAt
// acknowledged (AckEvery past: slept), and checks that the log counts
// sent exactly the events the stream holds, the others dropped.
func logLimitProbe(t *testing.T, ackEvery time.Duration, ackAt int) {
	_, nc := embedded(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	js, _ := jetstream.New(nc)
	dlog := openLog(ctx, t, nc, natsx.LogConfig{AckEvery: ackEvery, Linger: time.Millisecond, Batch: 1})
	st, err := js.Stream(ctx, natsx.LogStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.MaxMsgs, cfg.Discard = 5, jetstream.DiscardNew
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if i == ackAt {
			time.Sleep(ackEvery + 50*time.Millisecond)
		}
		s0, d0 := dlog.Stats()
		dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint("e", i), Decision: json.RawMessage(`{}`)})
		waitFor(t, "sent or dropped", func() bool { s, d := dlog.Stats(); return s+d > s0+d0 })
	}
	dlog.Close(ctx)
	st, _ = js.Stream(ctx, natsx.LogStream)
	info, _ := st.Info(ctx)
	sent, dropped := dlog.Stats()
	t.Logf("stored %d, sent %d, dropped %d, failed %d", info.State.Msgs, sent, dropped, dlog.Failed())
	if int64(info.State.Msgs) != sent || sent+dropped != 8 {
		t.Errorf("stream holds %d events; the log counts %d sent, %d dropped", info.State.Msgs, sent, dropped)
	}
}

// TestDecisionLogCloseCountsRefused: messages published without
// acknowledgement that the stream refused at its limit are counted
// dropped at Close. Close's confirmation, a publish the stream refused
// as expecting another stream, was answered once they were processed,
// stored or not, and all 8 were counted sent of the 5 stored.
func TestDecisionLogCloseCountsRefused(t *testing.T) { logLimitProbe(t, time.Hour, -1) }

// TestDecisionLogRefusalCountsStored: after an acknowledged publish is
// refused, the messages published again that the stream had stored are
// answered duplicates (their Nats-Msg-Id), counted sent; they were
// refused on the way again, counted dropped and failed: 1 sent and 7
// dropped of the 5 stored.
func TestDecisionLogRefusalCountsStored(t *testing.T) { logLimitProbe(t, 300*time.Millisecond, 7) }
