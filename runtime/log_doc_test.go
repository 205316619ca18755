package runtime_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestDecisionEventDocumented: the keys of a decision event, in their
// order, are those docs/router.md lists under "An event
// (`runtime.DecisionEvent`)", each with the kind it documents: the doc
// described only the log's messages, and it cannot drift from the
// event now.
func TestDecisionEventDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/router.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sect, ok := bytes.Cut(doc, []byte("An event (`runtime.DecisionEvent`)"))
	if !ok {
		t.Fatal("docs/router.md: no list of the decision event's keys")
	}
	if end := bytes.Index(sect, []byte("\n- ")); end >= 0 {
		sect = sect[:end] // the next item of the router's list
	}
	item := regexp.MustCompile("(?m)^  - `([a-z_]+)` \\(([^)]*)\\)")
	var keys []string
	kinds := map[string]string{}
	for _, m := range item.FindAllSubmatch(sect, -1) {
		keys = append(keys, string(m[1]))
		kinds[string(m[1])] = string(m[2])
	}
	ev := runtime.DecisionEvent{
		Time: time.Date(2026, 11, 28, 21, 4, 5, 123456789, time.UTC), RequestID: "r", TenantID: "t",
		PolicyID: "default", Version: "v", Result: "safe_default", Decision: json.RawMessage(`{"reason":"x"}`),
		Fuel: 12, LatencyNs: 3400, Failure: "policy default failed", Router: "router-a",
	}
	dec := json.NewDecoder(bytes.NewReader(ev.AppendJSON(nil)))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("event: %v %v", tok, err)
	}
	var got []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		got = append(got, key)
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var kind string
		switch v.(type) {
		case string:
			kind = "string"
		case json.Number:
			kind = "integer"
		case map[string]any:
			kind = "object"
		}
		if !strings.HasPrefix(kinds[key], kind) && !strings.Contains(kinds[key], kind+" or") {
			t.Errorf("key %s is %s; docs/router.md says (%s)", key, kind, kinds[key])
		}
	}
	if !slices.Equal(got, keys) {
		t.Errorf("an event's keys are %q; docs/router.md lists %q", got, keys)
	}
}
