package runtime_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// activateOnDecide activates next once, when told of the first
// decision after arm: an activation between a batch's first item and
// its second.
type activateOnDecide struct {
	e    *runtime.Engine
	next *runtime.Snapshot
	arm  atomic.Bool
}

func (a *activateOnDecide) Decided(*runtime.Outcome) {
	if a.arm.CompareAndSwap(true, false) {
		a.e.Activate(a.next)
	}
}

func (a *activateOnDecide) Loaded(*runtime.Snapshot, error) {}

// TestV2BatchOneVersion: a batch is one request, decided on the version
// active when it began: an activation between two of its items does not
// give the items after it the new version, on the fast decoder's path
// and on encoding/json's (an escaped key). Each item took the snapshot
// active at its turn, and one answer held results of two versions.
func TestV2BatchOneVersion(t *testing.T) {
	obs := &activateOnDecide{}
	e := newEngine(t, runtime.Config{Observer: obs})
	obs.e = e
	a := load(t, e, examples)
	dir := copyDir(t, examples, nil)
	src, err := os.ReadFile(filepath.Join(dir, "default.rpl"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "default.rpl", string(src)+"\n# edited\n")
	b, err := e.BuildDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version == b.Version {
		t.Fatalf("both snapshots are version %s", a.Version)
	}
	const item = `{"request": {"id": "r", "tenant": {"id": "t"}, "task": {"type": "chat"}}}`
	items := strings.Repeat(item+",", 4) + item
	for _, body := range []string{
		`{"requests": [` + items + `]}`,
		`{"req\u0075ests": [` + items + `]}`, // encoding/json's path
	} {
		for _, s := range []struct{ from, to *runtime.Snapshot }{{a, b}, {b, a}} {
			e.Activate(s.from)
			obs.next = s.to
			obs.arm.Store(true)
			out, code := e.HandleV2Batch(context.Background(), []byte(body), time.Now(), nil)
			if code != "" {
				t.Fatalf("%s: %s %s", body, code, out)
			}
			if obs.arm.Load() || e.Current() != s.to {
				t.Fatalf("%s: the activation did not happen during the batch", body)
			}
			var r struct {
				Results []struct {
					OK      bool   `json:"ok"`
					Version string `json:"version"`
				} `json:"results"`
			}
			if err := json.Unmarshal(out, &r); err != nil || len(r.Results) != 5 {
				t.Fatalf("%s: %v %s", body, err, out)
			}
			for i, res := range r.Results {
				if !res.OK || res.Version != s.from.Version {
					t.Errorf("%s: item %d: ok %v, version %s; want version %s, the batch's first's (active when it began)", body, i, res.OK, res.Version, s.from.Version)
				}
			}
		}
	}
}
