package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/internal/jsonx"
)

// dataErrorCases are malformed tenants.json and catalogue.json files and
// the diagnostic each is, at its place: file:line:col: error[RPL217]:
// message. A file empty or cut short is refused at the end of its text
// (past its last byte, with or without a newline after it); a syntax
// error at the byte at fault; data after the value (a } or ] too, which
// the decoder's More took for the end, and accepted) where it begins; a
// file that is not JSON anywhere is refused as such, before its values
// are checked; a value of the wrong type at the value, a key twice at the
// value of its second occurrence (the one that repeats it, to delete or
// rename).
// A value absent is placed at the nearest value on its path that the
// file holds, the object that lacks it. Text that encoding/json reads as
// U+FFFD (a byte that is not UTF-8, half a surrogate pair), in which two
// ids could differ and be read as one, is refused at it, as a decide
// request holding it is.
var dataErrorCases = []struct{ file, in, want string }{
	{TenantsFile, "", "tenants.json:1:1: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "\n", "tenants.json:1:1: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "  \n\n", "tenants.json:1:1: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [", "tenants.json:1:14: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [\n", "tenants.json:1:14: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [\n  {\"id\": \"acme\", \"tier\": \"gold\", \"policy\": \"premium\"}\n", "tenants.json:2:54: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a", "tenants.json:1:23: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a\", ", "tenants.json:1:25: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a\"},", "tenants.json:1:26: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a\"}]", "tenants.json:1:26: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{TenantsFile, "{\"tenants\": [\n  {\"id\": \"acme\", \"tier\": \"gold\",, \"policy\": \"premium\"}\n]}\n", "tenants.json:2:33: error[RPL217]: invalid JSON: invalid character ',' looking for beginning of object key string"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a\" \"tier\": \"x\"}]}", "tenants.json:1:25: error[RPL217]: invalid JSON: invalid character '\"' after object key:value pair"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a\"} {\"id\": \"b\"}]}", "tenants.json:1:26: error[RPL217]: invalid JSON: invalid character '{' after array element"},
	{TenantsFile, "{\"tenants\" []}", "tenants.json:1:12: error[RPL217]: invalid JSON: invalid character '[' after object key"},
	{TenantsFile, "{tenants: []}", "tenants.json:1:2: error[RPL217]: invalid JSON: invalid character 't' looking for beginning of object key string"},
	{TenantsFile, "{\"tenants\": [], }", "tenants.json:1:17: error[RPL217]: invalid JSON: invalid character '}' looking for beginning of object key string"},
	{TenantsFile, "{\"tenants\": [nul]}", "tenants.json:1:17: error[RPL217]: invalid JSON: invalid character ']' in literal null (expecting 'l')"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a\", \"budget\": {\"monthly\": 1.2.3}}]}", "tenants.json:1:51: error[RPL217]: invalid JSON: invalid character '.' after object key:value pair"},
	{TenantsFile, "{\"tenants\": []} x", "tenants.json:1:17: error[RPL217]: invalid JSON: data after the value"},
	{TenantsFile, "{\"tenants\": []}\n}\n", "tenants.json:2:1: error[RPL217]: invalid JSON: data after the value"},
	{TenantsFile, "{\"tenants\": []} {}", "tenants.json:1:17: error[RPL217]: invalid JSON: data after the value"},
	{TenantsFile, "{\"tenants\": []}\n\n  []", "tenants.json:3:3: error[RPL217]: invalid JSON: data after the value"},
	{TenantsFile, "\ufeff{\"tenants\": []}", "tenants.json:1:1: error[RPL217]: invalid JSON: invalid character '\u00ef' looking for beginning of value"},
	{TenantsFile, "[]", "tenants.json:1:1: error[RPL217]: tenants.json: want an object, have a list"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"\"}]} x", "tenants.json:1:27: error[RPL217]: invalid JSON: data after the value"},
	{TenantsFile, "null", "tenants.json:1:1: error[RPL217]: tenants.json: want an object, have null"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"\"},\n  x]}", "tenants.json:2:3: error[RPL217]: invalid JSON: invalid character 'x' looking for beginning of value"},
	{TenantsFile, "3", "tenants.json:1:1: error[RPL217]: tenants.json: want an object, have a number"},
	{TenantsFile, "{\"tenants\": 3}", "tenants.json:1:13: error[RPL217]: tenants: want a list, have a number"},
	{TenantsFile, "{\"tenants\": [3]}", "tenants.json:1:14: error[RPL217]: tenants[0]: want an object, have a number"},
	{TenantsFile, "{\"tenants\": [\n  {\"id\": 3}\n]}", "tenants.json:2:10: error[RPL217]: tenants[0].id: want a non-empty string, have a number"},
	{TenantsFile, "{\"tenants\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\", \"tier\": \"gold\", \"tier\": \"silver\"}\n]}", "tenants.json:3:39: error[RPL217]: tenants[1].tier: key given twice"},
	{TenantsFile, "{\"tenants\": [], \"tenants\": []}", "tenants.json:1:28: error[RPL217]: tenants: listed twice"},
	{TenantsFile, "{\"tenants\": [\n  {\"id\": \"a\", \"tier\": \"gold\"} x\n]}", "tenants.json:2:31: error[RPL217]: invalid JSON: invalid character 'x' after array element"},
	// A value absent, which the file does not hold, is missing, not
	// null (it said "have null"): at the object that lacks it; at the
	// document when it is its key.
	{TenantsFile, "{\"tenants\": [\n  {\"id\": \"a\"},\n  {\"tier\": \"gold\"}\n]}", "tenants.json:3:3: error[RPL217]: tenants[1].id: missing (want a non-empty string)"},
	{TenantsFile, "\n\n  {}", "tenants.json:3:3: error[RPL217]: tenants: missing (want a list)"},
	{CatalogueFile, "{\"providers\": [\n  {\"latency_ms\": 1, \"models\": []}]}", "catalogue.json:2:3: error[RPL217]: providers[0].name: missing (want a non-empty string)"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"a\"}]}", "catalogue.json:2:3: error[RPL217]: providers[0].models: missing (want a non-empty list)"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"a\", \"models\": [\n    {\"name\": \"m\", \"input_per_mtok\": 1}]}]}", "catalogue.json:3:5: error[RPL217]: providers[0].models[0].output_per_mtok: missing (want money, \"2.50\" or 2.5)"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"a\", \"models\": [\n    {\"input_per_mtok\": 1}]}]}", "catalogue.json:3:5: error[RPL217]: providers[0].models[0].name: missing (want a non-empty string)"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"a\", \"models\": [\n    {\"name\": \"m\", \"input_per_mtok\": 1, \"output_per_mtok\": 1}]}]}", "catalogue.json:3:5: error[RPL217]: providers[0].models[0].latency_ms: missing (give it on the model or its provider)"},
	// One given as null is there: at its null.
	{CatalogueFile, "{\"providers\": [\n  {\"name\": null}]}", "catalogue.json:2:12: error[RPL217]: providers[0].name: want a non-empty string, have null"},
	{CatalogueFile, "", "catalogue.json:1:1: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"openai\" \"x\": 1}]}", "catalogue.json:2:21: error[RPL217]: invalid JSON: invalid character '\"' after object key:value pair"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"openai\", \"latency_ms\": 1, \"models\": [\n    {\"name\": \"m\", \"input_per_mtok\": 1.2.3, \"output_per_mtok\": 1}]}]}", "catalogue.json:3:40: error[RPL217]: invalid JSON: invalid character '.' after object key:value pair"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"openai\", \"latency_ms\": 1, \"models\": [\n    {\"name\": \"m\", \"input_per_mtok\": 1, \"output_per_mtok\": 1}", "catalogue.json:3:61: error[RPL217]: invalid JSON: unexpected end of JSON input"},
	{CatalogueFile, "{\"providers\": []} x", "catalogue.json:1:19: error[RPL217]: invalid JSON: data after the value"},
	{CatalogueFile, "{\"providers\": []}\n]", "catalogue.json:2:1: error[RPL217]: invalid JSON: data after the value"},
	{CatalogueFile, "{\"providers\": \"x\"}", "catalogue.json:1:15: error[RPL217]: providers: want a list, have a string"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"openai\", \"latency_ms\": \"1\", \"models\": []}]}", "catalogue.json:2:36: error[RPL217]: providers[0].latency_ms: want an integer from 0 to 9223372036854 (milliseconds), have a string"},
	{CatalogueFile, "{\"providers\": [\n  {\"name\": \"a\", \"latency_ms\": 1, \"models\": [{\"name\": \"m\", \"input_per_mtok\": 1, \"output_per_mtok\": 1, \"input_per_mtok\": 2}]}]}", "catalogue.json:2:120: error[RPL217]: providers[0].models[0].input_per_mtok: key given twice"},
	{TenantsFile, "{\"tenants\": [\n  {\"id\": \"ac\xfeme\"},\n  {\"id\": \"ac\xffme\"}]}", "tenants.json:2:13: error[RPL217]: invalid JSON: invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)"},
	{TenantsFile, "{\"tenants\": [\n  {\"id\": \"ac\\ud800me\"},\n  {\"id\": \"ac\\udbffme\"}]}", "tenants.json:2:13: error[RPL217]: invalid string: \\ud800 is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)"},
	{TenantsFile, "{\"tenants\": [{\"id\": \"a\", \"tier\": \"\\udc00\"}]}", "tenants.json:1:35: error[RPL217]: invalid string: \\udc00 is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)"},
	{CatalogueFile, "{\"providers\": [{\"name\": \"p\", \"latency_ms\": 1, \"models\": [\n  {\"name\": \"m\\ud83d\", \"input_per_mtok\": 1, \"output_per_mtok\": 1}]}]}", "catalogue.json:2:14: error[RPL217]: invalid string: \\ud83d is half of a UTF-16 surrogate pair (two ids that differ there would be read as one)"},
	{CatalogueFile, "{\"providers\": [{\"name\": \"p\xc3\", \"models\": []}]}", "catalogue.json:1:27: error[RPL217]: invalid JSON: invalid UTF-8 (JSON text is UTF-8, RFC 8259 §8.1)"},
}

func TestDataErrorDiagnostic(t *testing.T) {
	for _, c := range dataErrorCases {
		var err error
		if c.file == TenantsFile {
			_, err = ParseTenants([]byte(c.in))
		} else {
			_, err = ParseCatalogue([]byte(c.in))
		}
		if err == nil {
			t.Errorf("%s %q: no error, want %s", c.file, c.in, c.want)
			continue
		}
		de := &DataError{File: c.file, Data: []byte(c.in), Err: err}
		got := de.Diagnostic(c.file).Error()
		if got != c.want {
			t.Errorf("%s %q:\n got %s\nwant %s", c.file, c.in, got, c.want)
		}
		// The router's error (Parse*) says what the diagnostic says.
		if _, msg, _ := strings.Cut(got, ": error[RPL217]: "); msg != err.Error() {
			t.Errorf("%s %q: error %q, diagnostic %q", c.file, c.in, err, msg)
		}
	}
}

// A manifest that is not JSON is refused at its line and column, one of
// the wrong shape at the JSON path of the value at fault, in its words
// (not encoding/json's, which named Go types and fields).
func TestManifestJSONErrors(t *testing.T) {
	data := buildExamples(t, nil)
	mOff, mLen := section(t, data, secManifest)
	js := string(data[mOff+32 : mOff+mLen])
	replace := func(old, new string) string {
		if !strings.Contains(js, old) {
			t.Fatalf("manifest has no %q", old)
		}
		return strings.Replace(js, old, new, 1)
	}
	lines := strings.Count(strings.TrimRight(js, " \n"), "\n") + 1
	for _, c := range []struct{ manifest, want string }{
		{"", "invalid JSON: line 1, column 1: unexpected end of JSON input"},
		// Cut short: past its last byte ("format": 1, on line 2).
		{js[:strings.Index(js, `"compiler"`)], "invalid JSON: line 2, column 15: unexpected end of JSON input"},
		{replace(`"format": 1`, `"format": 1,,`), "invalid JSON: line 2, column 15: invalid character ',' looking for beginning of object key string"},
		{strings.TrimRight(js, " \n") + "\n}", fmt.Sprintf("invalid JSON: line %d, column 1: data after the value", lines+1)},
		{strings.TrimRight(js, " \n") + " x", fmt.Sprintf("invalid JSON: line %d, column 3: data after the value", lines)},
		{replace(`"format": 1`, `"format": "1"`), "format: want a number, have a string"},
		{replace(`"format": 1`, `"format": 1.5`), "format: want a whole number, have 1.5"},
		{replace(`"id": "ab_summarizer"`, `"id": 7`), "policies[0].id: want a string, have a number"},
		{replace(`"id": "budget_guard"`, `"id": ["budget_guard"]`), "policies[1].id: want a string, have a list"},
		// An element of a list at its index (sized.UnmarshalJSON), a
		// field of one after it.
		{replace(`"tests": [`, `"tests": [3, `), "policies[0].tests[0]: want a string, have a number"},
		{replace(`"tests": [`, `"tests": ["a", "b,]\\\"[{", 3, `), "policies[0].tests[2]: want a string, have a number"},
		{replace(`"tests": [`, `"tests": ["a", ["b", "c"], `), "policies[0].tests[1]: want a string, have a list"},
		{replace(`"entries": [`, `"entries": ["a", {"b": [1, 2]}, `), "policies[0].entries[1]: want a string, have an object"},
		{replace(`"sources": [`, `"sources": [{"path": 5}, `), "policies[0].sources[0].path: want a string, have a number"},
		{replace(`"sources": [`, `"sources": [{"path": "a,b"}, {"path": "c"}, {"path": "d", "sha256": ["e"]}, `), "policies[0].sources[2].sha256: want a string, have a list"},
		{replace(`"sources": [`, `"sources": [{}, 7, `), "policies[0].sources[1]: want an object, have a number"},
		{replace(`"policies": [`, `"policies": {}, "x": [`), "policies: want a list, have an object"},
		// Not a list: the list's error, though the value holds a bracket.
		{replace(`"tests": [`, `"tests": "x[0, 1]", "y": [`), "policies[0].tests: want a list, have a string"},
		{replace(`"sources": [`, `"sources": {"a": "[0, 1]"}, "y": [`), "policies[0].sources: want a list, have an object"},
		// A key twice (jsonx.DuplicateKey).
		{replace(`"format": 1`, `"format": 1, "format": 1`), "format: key given twice"},
	} {
		_, err := Read(reframe(t, data, []byte(c.manifest)), ReadOptions{})
		if want := "bundle manifest: " + c.want; err == nil || err.Error() != want {
			t.Errorf("%.60q...: %v, want %s", c.manifest, err, want)
		}
		// A value at fault is a *PathError, its path the message's.
		if path, _, ok := strings.Cut(c.want, ": "); ok && !strings.HasPrefix(c.want, "invalid JSON") {
			if pe, ok := errors.AsType[*PathError](err); !ok || pe.Path != path {
				t.Errorf("%.60q...: %#v, want a *PathError at %s", c.manifest, err, path)
			}
		}
	}
}

// A key given twice in a manifest is refused at its second occurrence
// (a *PathError with Repeated), as the catalogue's and the registry's
// are: shown in a file, the manifest's error is placed at the key that
// repeats it, the one to delete, not at the first.
func TestManifestRepeatedKeyPlaced(t *testing.T) {
	data := buildExamples(t, nil)
	mOff, mLen := section(t, data, secManifest)
	js := string(data[mOff+32 : mOff+mLen])
	for _, c := range []struct{ old, new, path string }{
		{`"format": 1`, `"format": 1, "format": 1`, "format"},
		{`"id": "ab_summarizer"`, `"id": "ab_summarizer", "id": "ab_summarizer"`, "policies[0].id"},
		{`"policies": [`, `"policies": [], "policies": [`, "policies"},
	} {
		at := strings.Index(js, c.old)
		if at < 0 {
			t.Fatalf("manifest has no %q", c.old)
		}
		manifest := js[:at] + c.new + js[at+len(c.old):]
		// The second occurrence's value: after the last key of new.
		second := at + strings.LastIndex(c.new, `": `) + len(`": `)
		first := at + strings.Index(c.new, `": `) + len(`": `)
		_, err := Read(reframe(t, data, []byte(manifest)), ReadOptions{})
		pe, ok := errors.AsType[*PathError](err)
		if !ok || pe.Path != c.path || pe.Msg != jsonx.RepeatedKey {
			t.Errorf("%s twice: %v, want a *PathError at %s", c.path, err, c.path)
			continue
		}
		if !pe.Repeated {
			t.Errorf("%s twice: %v, not Repeated", c.path, err)
		}
		d := (&DataError{File: "manifest.json", Data: []byte(manifest), Err: pe}).Diagnostic("manifest.json")
		if int(d.Span.Start) != second {
			t.Errorf("%s twice: placed at %s (byte %d), want the second occurrence, byte %d (the first is at %d)",
				c.path, jsonx.LineCol([]byte(manifest), int64(d.Span.Start)), d.Span.Start, second, first)
		}
	}
}

// A value at fault is placed at its path (a *PathError's Path), whatever
// its message says: one reworded, wrapped, or naming another path first
// places alike.
func TestDataErrorPlacedAtPath(t *testing.T) {
	data := []byte("{\"tenants\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\", \"policy\": \"nope\"}\n]}\n")
	const at = "tenants.json:3:25: error[RPL217]: "
	ts, err := ParseTenants(data)
	if err != nil {
		t.Fatal(err)
	}
	checked := ts.CheckPolicies(func(string) bool { return false })
	pe := &PathError{Path: "tenants[1].policy", Msg: "no such policy"}
	for _, err := range []error{
		checked,
		pe,
		&PathError{Path: "tenants[1].policy", Msg: "tenants[0].id: a message naming another path"},
		fmt.Errorf("the registry is refused: %w", pe),
		fmt.Errorf("tenants[0]: %w", pe),
	} {
		got := (&DataError{File: TenantsFile, Data: data, Err: err}).Diagnostic(TenantsFile).Error()
		if want := at + err.Error(); got != want {
			t.Errorf("%v:\n got %s\nwant %s", err, got, want)
		}
	}
	// Without a path, at the file's start, even when the message
	// begins with one.
	err = errors.New("tenants[1].policy: not a *PathError")
	if got, want := (&DataError{File: TenantsFile, Data: data, Err: err}).Diagnostic(TenantsFile).Error(), "tenants.json:1:1: error[RPL217]: "+err.Error(); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestDataErrorPlacedAtAwkwardKey: an error about a key however it is
// spelt (a space, a quote, the path's own punctuation, empty, not ASCII,
// long enough to be cut) is placed at its value, not at the file's
// start (a key given twice at its second occurrence): jsonx.PathOffset
// and jsonx.RepeatOffset read back every path jsonx.KeyPath and
// jsonx.DuplicateKey write.
func TestDataErrorPlacedAtAwkwardKey(t *testing.T) {
	keys := []string{
		"a b", " ", "na me\n", "\t", `"`, `a"b`, `\`, "x.y", ".", "[0]", "a[0]", `[""]`, "[", "]", "",
		"é", "ünï cödé", "日本語", "🙂", "<&>", "…", "a… (3 bytes)", "\x00",
		strings.Repeat("k", 129), strings.Repeat("long key ", 40), strings.Repeat("é", 100),
	}
	for _, k := range keys {
		q, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ file, doc string }{
			{CatalogueFile, `{` + string(q) + `: "here"}`},
			{CatalogueFile, `{"providers": [{"name": "a", ` + string(q) + `: "here"}]}`},
			{CatalogueFile, `{"providers": [{"name": "a", ` + string(q) + `: 2, ` + string(q) + `: "here"}]}`},
			{TenantsFile, `{"tenants": [{"id": "a", "budget": {` + string(q) + `: "here"}}]}`},
			{TenantsFile, `{"tenants": [{"id": "a", ` + string(q) + `: 2, ` + string(q) + `: "here"}]}`},
		} {
			var err error
			if c.file == TenantsFile {
				_, err = ParseTenants([]byte(c.doc))
			} else {
				_, err = ParseCatalogue([]byte(c.doc))
			}
			if _, ok := errors.AsType[*PathError](err); !ok {
				t.Errorf("%s: %v, want a *PathError", c.doc, err)
				continue
			}
			d := (&DataError{File: c.file, Data: []byte(c.doc), Err: err}).Diagnostic(c.file)
			if got, want := int(d.Span.Start), strings.Index(c.doc, `"here"`); got != want {
				t.Errorf("%s: %v placed at offset %d, want %d (its value)", c.doc, err, got, want)
			}
		}
	}
}
