package bundle

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
)

// dataSeeds adds the catalogue or tenants documents of this package's
// tests to f, with their truncations.
func dataSeeds(f *testing.F, docs ...string) {
	for _, d := range docs {
		f.Add([]byte(d))
		for _, n := range []int{0, 1, len(d) / 3, len(d) / 2, len(d) - 2} {
			if n >= 0 && n <= len(d) {
				f.Add([]byte(d[:n]))
			}
		}
	}
}

// checkDataError checks an error of ParseCatalogue or ParseTenants: it
// says where in data the fault is, as a DataError's diagnostic (rplc
// check, rplc build) places it: invalid JSON at its syntax error or at
// the text encoding/json reads as U+FFFD (jsonx.Unreadable), else
// at the JSON path its message begins with, its *PathError's, which data
// must hold (a key given twice at its second occurrence; a value absent
// at the nearest value on its path), or it
// names the document's top level (what, key) or the tenants of a cycle
// or a chain too long.
func checkDataError(t *testing.T, data []byte, err error, file string, top ...string) {
	t.Helper()
	msg := err.Error()
	if msg == "" {
		t.Fatal("empty error")
	}
	de := &DataError{File: file, Data: data, Err: err}
	d := de.Diagnostic(file)
	if d.Code != lang.CodeTreeData || int(d.Span.Start) > len(data) || d.Span.Start < 0 {
		t.Fatalf("%s: diagnostic %+v outside the document (%d bytes)", msg, d.Span, len(data))
	}
	if strings.HasPrefix(msg, "invalid JSON") || strings.HasPrefix(msg, "invalid string") {
		var v any
		if json.Unmarshal(data, &v) != nil || strings.Contains(msg, "data after the value") || strings.Contains(msg, "key given twice") {
			return
		}
		// Read by encoding/json, but holding text it reads as U+FFFD:
		// at it.
		kind := "invalid string: "
		at, why, notJSON := jsonx.Unreadable(data)
		if notJSON {
			kind = "invalid JSON: "
		}
		if at < 0 || int(d.Span.Start) != at || msg != kind+why {
			t.Fatalf("%s at %d, of a document encoding/json reads: %q", msg, d.Span.Start, data)
		}
		return
	}
	if strings.HasPrefix(msg, "tenant ") && (strings.Contains(msg, "is its own ancestor") || strings.Contains(msg, "ancestors")) {
		return
	}
	path, _, ok := strings.Cut(msg, ": ")
	if pe, isPath := errors.AsType[*PathError](err); isPath && pe.Path != "" && strings.HasPrefix(msg, pe.Path+": ") {
		path = pe.Path // a quoted key may hold ": " itself
	}
	if !ok || path == "" {
		t.Fatalf("error without a path: %s", msg)
	}
	if slices.Contains(top, path) {
		return
	}
	// The path is the error's own (a *PathError), which the diagnostic
	// places, not read back off its message.
	if pe, ok := errors.AsType[*PathError](err); !ok || pe.Path != path {
		t.Fatalf("error at %s, not a *PathError at it: %#v", path, err)
	}
	off, found := jsonx.PathOffset(data, path)
	if pe, _ := errors.AsType[*PathError](err); pe.Repeated {
		// A key given twice: at its second occurrence, which a
		// document holding it twice has.
		if off, found = jsonx.RepeatOffset(data, path); !found {
			t.Fatalf("error at %s, a key given twice, which the document holds once: %s\n%q", path, msg, data)
		}
	}
	if !found && (strings.Contains(msg, "have null") || strings.Contains(msg, ": missing")) {
		// A value absent, read as null: not in the document, placed
		// at the nearest value on its path, the object that lacks it.
		near, _ := jsonx.NearestOffset(data, path)
		if int64(d.Span.Start) != near {
			t.Fatalf("error at %s, absent, placed at %d, not at the nearest value on its way (%d): %s\n%q", path, d.Span.Start, near, msg, data)
		}
		return
	}
	if !found {
		t.Fatalf("error at %s, which the document does not hold: %s\n%q", path, msg, data)
	}
	if int64(d.Span.Start) != off {
		t.Fatalf("error at %s placed at %d, not at its value (%d): %s\n%q", path, d.Span.Start, off, msg, data)
	}
}

// FuzzParseCatalogue: ParseCatalogue refuses a document with an error
// that places its fault (checkDataError), or, of a document without
// text that encoding/json reads as U+FFFD, returns a catalogue sorted
// by target, each target once, its parts and numbers valid, which
// written back as catalogue.json reads the same.
func FuzzParseCatalogue(f *testing.F) {
	dataSeeds(f, testCatalogue,
		`{"providers": [{"name": "x", "models": [{"name": "y", "input_per_mtok": 1, "output_per_mtok": 2, "latency_ms": 3}]}]}`,
		`{"providers": [{"name": "a", "latency_ms": 1, "models": [{"name": "m", "input_per_mtok": 1.5e-3, "output_per_mtok": "$0.000000001"}, {"name": "n:o", "input_per_mtok": " 2 ", "output_per_mtok": 0}]}]}`,
		`{"providers": []}`, `{"providers": null}`, `{}`, `[]`,
		`{"providers": [{"name": "a", "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1, "input_per_mtok": 2}]}]}`,
		`{"providers": [{"name": "a", "latency_ms": 1, "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1, "latencyms": 1}]}]}`,
		// Keys a path spells with its own punctuation, or quotes.
		`{": ": 1}`, `{"providers": [{"name": "a", "x.y": 1}]}`, `{"providers": [{"name": "a", "[0]": 1, "": 2, "na me": 3}]}`,
		`{"providers": [{"name": "x", "models": [{"name": "y\udc00", "input_per_mtok": 1, "output_per_mtok": 2, "latency_ms": 3}]}]}`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalogue(data)
		if err != nil {
			checkDataError(t, data, err, CatalogueFile, "catalogue", "providers")
			return
		}
		if at, _, _ := jsonx.Unreadable(data); at >= 0 {
			t.Fatalf("accepted, with text encoding/json reads as U+FFFD at %d: %q", at, data)
		}
		type model struct {
			Name   string `json:"name"`
			In     string `json:"input_per_mtok"`
			Out    string `json:"output_per_mtok"`
			Millis int64  `json:"latency_ms"`
		}
		type provider struct {
			Name   string  `json:"name"`
			Models []model `json:"models"`
		}
		ps := []provider{}
		for i, m := range c.Models {
			if i > 0 && c.Models[i-1].Target >= m.Target {
				t.Fatalf("models %s and %s out of order or repeated", c.Models[i-1].Target, m.Target)
			}
			if m.Target != m.Provider+":"+m.Name || m.Provider == "" || strings.Contains(m.Provider, ":") || strings.TrimSpace(m.Name) == "" {
				t.Fatalf("model %+v", m)
			}
			if m.Input < 0 || m.Output < 0 || m.Latency < 0 || m.Latency%time.Millisecond != 0 {
				t.Fatalf("model %s: prices %d, %d, latency %v", m.Target, m.Input, m.Output, m.Latency)
			}
			if got, ok := c.Lookup(m.Target); !ok || got != m {
				t.Fatalf("Lookup(%q) = %+v, %v", m.Target, got, ok)
			}
			// One provider entry per model: a provider may be listed
			// more than once.
			ps = append(ps, provider{Name: m.Provider, Models: []model{{m.Name, lang.FormatMoney(m.Input), lang.FormatMoney(m.Output), int64(m.Latency / time.Millisecond)}}})
		}
		again, err := json.Marshal(map[string]any{"providers": ps})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseCatalogue(again)
		if err != nil {
			t.Fatalf("catalogue written back refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(c.Models, c2.Models) {
			t.Fatalf("catalogue written back reads otherwise:\n%+v\n%+v", c.Models, c2.Models)
		}
	})
}

// FuzzParseTenants: ParseTenants refuses a document with an error that
// places its fault (checkDataError), or, of a document without text
// that encoding/json reads as U+FFFD, returns the registry with its
// ids unique, budgets valid and each chain complete (the parents, their
// registered chains, no repeat, not the tenant itself, at most
// MaxTenantDepth), which written back as tenants.json reads the same.
func FuzzParseTenants(f *testing.F) {
	dataSeeds(f, testTenants,
		`{"tenants": [{"id": "t", "tier": "gold", "parents": ["p"], "policy": "a", "budget": {"monthly": "$5"}}, {"id": "p"}]}`,
		`{"tenants": [{"id": "a", "parents": ["nobody"], "budget": {"monthly": "", "daily": "$1.50"}}, {"id": "b"}]}`,
		`{"tenants": [{"id": "a", "parents": ["b"]}, {"id": "b", "parents": ["c"]}, {"id": "c", "parents": ["a"]}]}`,
		`{"tenants": [{"id": "a", "parents": ["b", "c"]}, {"id": "b", "parents": ["c", "d"]}, {"id": "c", "parents": ["d"]}]}`,
		`{"tenants": [{"id": "a", "budget": {"monthly": "$500", "daily": "$5", "monthly": "$50"}}]}`,
		`{"tenants": []}`, `{"tenants": null}`, `{}`, `{"tenants": [null]}`,
		`{"tenants": [{"id": "a", "budget": {"x.y": "1", "a b": "2"}}]}`, `{"tenants": [{"id": "a", "\"": 1}]}`,
		"{\"tenants\": [{\"id\": \"a\xff\"}]}", `{"tenants": [{"id": "a\ud800", "tier": "\\ud800"}]}`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := ParseTenants(data)
		if err != nil {
			checkDataError(t, data, err, TenantsFile, "tenants.json", "tenants")
			return
		}
		if at, _, _ := jsonx.Unreadable(data); at >= 0 {
			t.Fatalf("accepted, with text encoding/json reads as U+FFFD at %d: %q", at, data)
		}
		if string(ts.Data) != string(data) {
			t.Fatal("Data is not the document")
		}
		byID := map[string]*Tenant{}
		for i := range ts.Tenants {
			tn := &ts.Tenants[i]
			if tn.ID == "" || byID[tn.ID] != nil {
				t.Fatalf("tenant %d: id %q empty or repeated", i, tn.ID)
			}
			byID[tn.ID] = tn
			for _, b := range []string{tn.Monthly, tn.Daily} {
				if strings.TrimSpace(b) == "" {
					continue
				}
				if n, err := jsonx.ParseMoney(b); err != nil || n < 0 {
					t.Fatalf("tenant %s: budget %q: %d, %v", tn.ID, b, n, err)
				}
			}
		}
		type budget struct {
			Monthly string `json:"monthly,omitempty"`
			Daily   string `json:"daily,omitempty"`
		}
		type tenant struct {
			ID      string   `json:"id"`
			Tier    string   `json:"tier,omitempty"`
			Parents []string `json:"parents,omitempty"`
			Policy  string   `json:"policy,omitempty"`
			Budget  *budget  `json:"budget,omitempty"`
		}
		out := []tenant{}
		for _, tn := range ts.Tenants {
			if len(tn.Chain) > MaxTenantDepth || slices.Contains(tn.Chain, tn.ID) {
				t.Fatalf("tenant %s: chain %v", tn.ID, tn.Chain)
			}
			seen := map[string]bool{}
			for _, a := range tn.Chain {
				if seen[a] {
					t.Fatalf("tenant %s: %s twice in the chain %v", tn.ID, a, tn.Chain)
				}
				seen[a] = true
			}
			for _, p := range tn.Parents {
				if !seen[p] {
					t.Fatalf("tenant %s: parent %s not in the chain %v", tn.ID, p, tn.Chain)
				}
				if q := byID[p]; q != nil {
					for _, a := range q.Chain {
						if !seen[a] {
							t.Fatalf("tenant %s: %s's ancestor %s not in the chain %v", tn.ID, p, a, tn.Chain)
						}
					}
				}
			}
			w := tenant{ID: tn.ID, Tier: tn.Tier, Parents: tn.Parents, Policy: tn.Policy}
			if tn.Monthly != "" || tn.Daily != "" {
				w.Budget = &budget{tn.Monthly, tn.Daily}
			}
			out = append(out, w)
		}
		again, err := json.Marshal(map[string]any{"tenants": out})
		if err != nil {
			t.Fatal(err)
		}
		ts2, err := ParseTenants(again)
		if err != nil {
			t.Fatalf("registry written back refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(ts.Tenants, ts2.Tenants) {
			t.Fatalf("registry written back reads otherwise:\n%+v\n%+v", ts.Tenants, ts2.Tenants)
		}
	})
}

// TestUnknownFieldPath: an unknown field's error names it as runtime
// errors name a key: an empty key as [""] (where the message began with
// its colon, ": unknown field", found by FuzzParseCatalogue), a long one
// cut.
func TestUnknownFieldPath(t *testing.T) {
	long := strings.Repeat("k", 1000)
	for in, want := range map[string]string{
		`{""`:                                   `invalid JSON: unexpected end of JSON input`, // not JSON: said first
		`{"": []}`:                              `[""]: unknown field`,
		`{"providers": [{"name": "a", "": 1}]}`: `providers[0][""]: unknown field`,
		`{"providers": [{"` + long + `": 1}]}`:  "providers[0]." + jsonx.Echo(long) + ": unknown field",
		`{"providers": [{"nme": "a"}]}`:         "providers[0].nme: unknown field (did you mean name?)",
		`{"tenants": [{"id": "a", "budget": {"": "1"}}]}`: `tenants[0].budget[""]: unknown field`,
		`{": ": 1}`:                       `": ": unknown field`,
		`{"providers": [{"na me\n": 1}]}`: `providers[0]."na me\n": unknown field (did you mean name?)`,
	} {
		var err error
		if strings.Contains(in, "tenants") {
			_, err = ParseTenants([]byte(in))
		} else {
			_, err = ParseCatalogue([]byte(in))
		}
		if err == nil || err.Error() != want {
			t.Errorf("%.60s: %v\nwant %s", in, err, want)
		}
	}
}

// TestKeyWrittenOnce: a key is written one way in a file's errors,
// whether it is unknown or given twice (jsonx.KeyPath writes both): a
// key with a space was quoted in the one and bare in the other.
func TestKeyWrittenOnce(t *testing.T) {
	for _, k := range []string{"a b", "na me\n", " ", "[0]", `[""]`, `"q"`, "", "x.y", strings.Repeat("long key ", 40), "plain"} {
		q, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, doc := range []string{
			`{"providers": [{"name": "a", ` + string(q) + `: 1}]}`,
			`{"providers": [{"name": "a", ` + string(q) + `: 1, ` + string(q) + `: 2}]}`,
		} {
			_, err := ParseCatalogue([]byte(doc))
			pe, ok := errors.AsType[*PathError](err)
			if !ok {
				t.Fatalf("%s: %v, want a *PathError", doc, err)
			}
			paths = append(paths, pe.Path)
		}
		if want := jsonx.KeyPath("providers[0]", k); paths[0] != want || paths[1] != want {
			t.Errorf("key %q: unknown at %s, given twice at %s; want both %s", k, paths[0], paths[1], want)
		}
	}
}
