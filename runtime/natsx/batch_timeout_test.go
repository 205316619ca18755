package natsx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	rt "github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestBatchTimeout: a batch over NATS is decided within BatchTimeout, its
// requests not decided by then answered overloaded, cancelled, as over
// HTTP when the client goes away. NATS does not tell of a requester that
// stopped waiting: a batch of a thousand slow requests held a worker
// 14 s after its requester had timed out.
func TestBatchTimeout(t *testing.T) {
	dir := t.TempDir()
	slow := "package slow\n\nfn route(r: Request) -> Decision = to(\"openai:m\" + string(sum(map(range(300), i => sum(map(range(300), j => i * j))))))\n"
	if err := os.WriteFile(filepath.Join(dir, "slow.rpl"), []byte(slow), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := rt.New(rt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	nc := plainServer(t, &server.Options{})
	srv, err := natsx.Serve(nc, e, natsx.Config{BatchTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	const n = 1000 // each some milliseconds: seconds in all
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"request":{"id":"r-%d"},"policy_id":"slow"}`, i)
	}
	reply, err := nc.Request(natsx.SubjectBatch, []byte(`{"requests":[`+strings.Join(items, ",")+`]}`), 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Results []struct {
			OK    bool `json:"ok"`
			Error struct {
				Code    string         `json:"code"`
				Details map[string]any `json:"details"`
			} `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(reply.Data, &answer); err != nil || len(answer.Results) != n {
		t.Fatalf("want %d results: %v %.300s", n, err, reply.Data)
	}
	cancelled := 0
	for i, r := range answer.Results {
		switch {
		case r.OK:
			if cancelled > 0 {
				t.Fatalf("result %d decided after %d cancelled", i, cancelled)
			}
		case r.Error.Code == string(rt.CodeOverloaded) && r.Error.Details["cause"] == "canceled":
			cancelled++
		default:
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if cancelled == 0 {
		t.Fatalf("no request cancelled past the batch's 50 ms")
	}
}
