package router_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/rpl-lang/rpl/runtime/router"
)

// The review's case over HTTP: ten v2 requests of session sess-A to the
// premium example's weighted split go to one target.
func TestStickySessionOverHTTP(t *testing.T) {
	r, err := router.Start(context.Background(), router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	seen := map[string]int{}
	for i := range 10 {
		out := post(t, r.HTTPAddr(), "/v2/decide", fmt.Sprintf(`{"policy_id": "premium", "request": {"id": "req-%d", "tenant": {"id": "acme", "tier": "standard"}, "session": {"id": "sess-A"}, "task": {"type": "chat"}}}`, i))
		var resp struct {
			OK       bool `json:"ok"`
			Decision struct {
				Target    string `json:"target"`
				StickyKey string `json:"sticky_key"`
			} `json:"decision"`
		}
		if err := json.Unmarshal([]byte(out), &resp); err != nil || !resp.OK || resp.Decision.StickyKey != "sess-A" {
			t.Fatalf("decide: %s (%v)", out, err)
		}
		seen[resp.Decision.Target]++
	}
	if len(seen) != 1 {
		t.Fatalf("session sess-A went to %v", seen)
	}
}
