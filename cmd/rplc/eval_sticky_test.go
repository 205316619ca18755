package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/vm"
)

// TestEvalStickyAgreesWithRouter: rplc eval answers a sticky session's
// first request with the target a router draws for it, from the
// session's policy and key, with std's sticky (st) and with a Decision
// record literal (lit), in any tenant. Eval drawing with the key alone
// (or without the policy) answered other targets than the router.
func TestEvalStickyAgreesWithRouter(t *testing.T) {
	dir := t.TempDir()
	policies := map[string]string{
		"st": `package st
fn route(r: Request) -> Decision = weighted({"a:x": 1, "b:x": 1, "c:x": 1}).sticky(r.user.id)
`,
		"lit": `package lit
fn route(r: Request) -> Decision {
  let s = {"a:x": 1, "b:x": 1, "c:x": 1}
  {action: "route", target: weighted(s).target, split: s, sticky_key: r.user.id, reason: "weighted"}
}
`,
	}
	for id, src := range policies {
		if err := os.WriteFile(filepath.Join(dir, id+".rpl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.LoadDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	reqFile := filepath.Join(t.TempDir(), "req.json")
	for id := range policies {
		for _, tenant := range []string{"acme", "globex"} {
			for i := range 12 {
				js := fmt.Sprintf(`{"id": "r-%d", "arrival": %q, "tenant": {"id": %q}, "task": {"type": "chat"}, "user": {"id": "user-%d"}}`, i, now.Format(time.RFC3339), tenant, i)
				req, err := rpl.FromJSON(e.RequestType(), []byte(js))
				if err != nil {
					t.Fatal(err)
				}
				o := e.Decide(context.Background(), id, req, now)
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				router := e.View(o.Decision).Target()
				if err := os.WriteFile(reqFile, []byte(js), 0o644); err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				if code := run([]string{"eval", filepath.Join(dir, id+".rpl"), "--request", reqFile}, nil, &stdout, &stderr); code != exitOK {
					t.Fatalf("rplc eval: exit %d: %s", code, stderr.String())
				}
				var d struct{ Target string }
				if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
					t.Fatalf("rplc eval: %v: %s", err, stdout.String())
				}
				if d.Target != router {
					t.Errorf("%s, tenant %s, user-%d: rplc eval answered %s, the router %s", id, tenant, i, d.Target, router)
				}
			}
		}
	}
}

// TestEvalTwoSplitsAgreesWithRouter: of a policy drawing from two splits
// in a run (two experiments: the model, tagged region), rplc eval answers
// a request, and a sticky session's first request, with the targets a
// router draws for them, each split with its own draw.
func TestEvalTwoSplitsAgreesWithRouter(t *testing.T) {
	dir := t.TempDir()
	src := `package two
fn route(r: Request) -> Decision {
  let region = weighted({"eu:x": 1, "us:x": 1}).sticky(r.user.id).target
  weighted({"a:x": 1, "b:x": 1}).sticky(r.user.id).tag("region", region)
}
`
	if err := os.WriteFile(filepath.Join(dir, "two.rpl"), []byte(src), 0o644); err != nil {
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
	reqFile := filepath.Join(t.TempDir(), "req.json")
	for _, user := range []string{"", "user-"} {
		for i := range 12 {
			uid := ""
			if user != "" {
				uid = fmt.Sprint(user, i)
			}
			js := fmt.Sprintf(`{"id": "r-%d", "arrival": %q, "tenant": {"id": "acme"}, "task": {"type": "chat"}, "user": {"id": %q}}`, i, now.Format(time.RFC3339), uid)
			req, err := rpl.FromJSON(e.RequestType(), []byte(js))
			if err != nil {
				t.Fatal(err)
			}
			o := e.Decide(context.Background(), "two", req, now)
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			v := e.View(o.Decision)
			region, _ := v.Tags().Get(vm.Str("region"))
			if err := os.WriteFile(reqFile, []byte(js), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"eval", filepath.Join(dir, "two.rpl"), "--request", reqFile}, nil, &stdout, &stderr); code != exitOK {
				t.Fatalf("rplc eval: exit %d: %s", code, stderr.String())
			}
			var d struct {
				Target string
				Tags   map[string]string
			}
			if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
				t.Fatalf("rplc eval: %v: %s", err, stdout.String())
			}
			if d.Target != v.Target() || d.Tags["region"] != region.Str() {
				t.Errorf("r-%d, user %q: rplc eval answered %s in %s, the router %s in %s", i, uid, d.Target, d.Tags["region"], v.Target(), region.Str())
			}
		}
	}
}
