package rpl_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/runtime"
)

// TestEmbedderStickyAsRouter: a program an embedder compiles draws a
// sticky session's target as a router deciding with the policy does,
// with rpl.DefaultInput and no host: the program names its policy
// (Input.Policy), which the session's seed hashes. Drawn with no policy,
// most of the 20 sessions got another target than the router's.
func TestEmbedderStickyAsRouter(t *testing.T) {
	const src = "package st\n\nfn route(r: Request) -> Decision = weighted({\"a:x\": 1, \"b:x\": 1, \"c:x\": 1}).sticky(r.user.id)\n"
	prog, err := env(t).CompileSource("st.rpl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "st.rpl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 20 {
		js := fmt.Sprintf(`{"id": "r-%d", "tenant": {"id": "acme"}, "user": {"id": "user-%d"}}`, i, i)
		req, err := prog.RequestFromJSON([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		res, err := prog.Decide(context.Background(), req, rpl.DefaultInput(now, fmt.Sprint("r-", i)))
		if err != nil {
			t.Fatal(err)
		}
		got := rpl.ToGo(prog.DecisionType(), res.Value).(map[string]any)["target"]
		o := e.Decide(context.Background(), "st", req, now)
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		if router := e.View(o.Decision).Target(); got != router {
			t.Errorf("user-%d: the program drew %v, the router %s", i, got, router)
		}
	}
}
