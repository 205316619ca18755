package natsx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestDecisionLogReplicasRefused: a log asked for three copies of its
// stream by a server that is not in a cluster goes on with one: the
// stream made with one, or an existing one keeping its one, the
// refusal told once, the events stored. The server's refusal ("replicas
// > 1 not supported in non-clustered mode") left the log without a
// stream for good, its events queued and then dropped, where the bundle
// bucket in the same case went on with its one copy.
func TestDecisionLogReplicasRefused(t *testing.T) {
	for _, exists := range []bool{false, true} {
		t.Run(fmt.Sprint("exists=", exists), func(t *testing.T) {
			_, nc := embedded(t, "")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			js, _ := jetstream.New(nc)
			if exists {
				if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: natsx.LogStream, Subjects: []string{natsx.LogSubject}, Replicas: 1}); err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			var told []string
			dlog := openLog(ctx, t, nc, natsx.LogConfig{Replicas: 3, Uncompressed: true,
				ReplicasRefused: func(kept, asked int, err error) {
					mu.Lock()
					told = append(told, fmt.Sprintf("%d of %d: %v", kept, asked, err))
					mu.Unlock()
				}})
			defer dlog.Close(ctx)
			if !dlog.Storing() {
				t.Fatal("the log does not store with the copies refused")
			}
			for i := range 3 {
				dlog.LogDecision(&rt.DecisionEvent{RequestID: fmt.Sprint(i), Decision: json.RawMessage(`{}`)})
			}
			dlog.Close(ctx)
			st, err := js.Stream(ctx, natsx.LogStream)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(storedEvents(t, st, 3)); got != "0 1 2" {
				t.Errorf("stored %q, want 0 1 2", got)
			}
			if n := st.CachedInfo().Config.Replicas; n != 1 {
				t.Errorf("the stream has %d copies, want 1", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(told) != 1 || !strings.HasPrefix(told[0], "1 of 3: ") || !strings.Contains(told[0], "non-clustered") {
				t.Errorf("told %q, want once: 1 of 3, and the server's refusal", told)
			}
		})
	}
}
