package runtime_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// TestCatalogue: a snapshot's provider catalogue (catalogue.json in a
// directory, the catalogue section of a bundle) gives the policies their
// prices and default latencies, and CP1 its expected_latency_ms and
// expected_cost, until the state knows better; a bad catalogue is a load
// error naming its path.
func TestCatalogue(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "default.rpl", `package default

import "std/cost"
import "std/health"

fn route(r: Request) -> Decision {
  let t = "openai:gpt-4o-mini"
  to(t).because(string(cost.estimate(t, r)) + " " + string(health.latency(t)))
}
`)
	writeFile(t, dir, "catalogue.json", `{"providers": [{"name": "openai", "latency_ms": 900, "models": [
  {"name": "gpt-4o-mini", "input_per_mtok": "0.15", "output_per_mtok": "0.60", "latency_ms": 400}]}]}`)
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"directory", "bundle"} {
		t.Run(from, func(t *testing.T) {
			e := newEngine(t, runtime.Config{State: state.NewMem(state.Options{})})
			if from == "directory" {
				load(t, e, dir)
			} else {
				s, err := e.BuildBundle(context.Background(), "b.rplb", res.Data, bundle.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				e.Activate(s)
			}
			o := e.Decide(context.Background(), "", request(t, e, `{"id": "r", "estimate": {"input_tokens": 1000000, "output_tokens": 1000000}}`), time.Time{})
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			if reason := e.View(o.Decision).Reason(); reason != "$0.75 400ms" {
				t.Errorf("the policy saw %q, want the catalogue's $0.75 and 400ms", reason)
			}
			out, _, _ := e.HandleCP1(context.Background(), []byte(`{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}}`), runtime.CP1Meta{}, nil, nil)
			var m struct {
				Decision map[string]any `json:"decision"`
			}
			if err := json.Unmarshal(out, &m); err != nil || m.Decision["expected_latency_ms"] != 400.0 {
				t.Errorf("CP1 %s: want expected_latency_ms 400, the catalogue's", out)
			}
		})
	}
	writeFile(t, dir, "catalogue.json", `{"providers": [{"name": "openai", "models": [{"name": "gpt-4o-mini", "input_per_mtok": "abc"}]}]}`)
	e := newEngine(t, runtime.Config{})
	if _, err := e.LoadDir(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "catalogue.json:1:88: error[RPL217]: providers[0].models[0].input_per_mtok: ") {
		t.Errorf("bad catalogue: %v", err)
	}
}
