package bundle

import (
	"strings"
	"testing"
)

// TestManifestKeyFolded: encoding/json matches a manifest key to its
// field whatever its case ("Format" is format, "ſources" sources), as a
// reader that compares keys exactly does not: Read refuses a field's key
// spelled otherwise, and one written twice in two cases as it refuses
// the same key twice (json read its last, or two lists of policies as
// one).
func TestManifestKeyFolded(t *testing.T) {
	data := buildExamples(t, nil)
	mOff, mLen := section(t, data, secManifest)
	js := string(data[mOff+32 : mOff+mLen])
	for _, tc := range []struct{ old, new, want string }{
		{`"format": 1`, `"format": 1, "Format": 1`, "bundle manifest: Format: key given twice"},
		{`"format": 1`, `"FORMAT": 1, "format": 1`, `bundle manifest: FORMAT: want "format": keys are exact, case included`},
		// Alone, read as the field by encoding/json, ignored by a reader
		// that compares keys exactly (which refuses the catalogue section
		// then, its manifest listing none).
		{`"catalogue": {`, `"CATALOGUE": {`, `bundle manifest: CATALOGUE: want "catalogue": keys are exact, case included`},
		{`"sha256": "`, `"sha\u0032\u0035\u0036": "`, ""},
		{`"path": "`, `"Path": "`, `bundle manifest: policies[0].sources[0].Path: want "path": keys are exact, case included`},
		{`"id": "ab_summarizer"`, `"id": "ab_summarizer", "ID": "ab_summarizer"`, "bundle manifest: policies[0].ID: key given twice"},
		{`"policies": [`, `"policies": [], "Policies": [`, "bundle manifest: Policies: key given twice"},
		{`"sources": [`, `"sources": [], "\u017fources": [`, "bundle manifest: policies[0].ſources: key given twice"},
	} {
		if !strings.Contains(js, tc.old) {
			t.Fatalf("manifest has no %q", tc.old)
		}
		_, err := Read(reframe(t, data, []byte(strings.Replace(js, tc.old, tc.new, 1))), ReadOptions{})
		if tc.want == "" {
			// An escape spells the key as it is named.
			if err != nil {
				t.Errorf("%s → %s: %v", tc.old, tc.new, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s → %s: %v, want %q", tc.old, tc.new, err, tc.want)
		}
	}
	// Another key, unknown to the manifest, is still ignored, and so is
	// what it holds, keys of the manifest's objects included, and a key
	// that spells a field of another of its objects (SIZE is a blob's,
	// not the manifest's; SHA256 a source's, not a policy's): as
	// encoding/json ignores them, and a reader that compares keys
	// exactly. A future optional field may hold a map of any keys.
	for old, new := range map[string]string{
		`"format": 1`:           `"format": 1, "Formats": 2, "x": {"a": 1, "A": 2}`,
		`"format": 1,`:          `"format": 1, "x": {"ID": 1, "id": 2, "Path": [{"Format": 1, "format": 2}]}, "SIZE": 3, "labels": {"Format": "a", "format": "b"},`,
		`"id": "ab_summarizer"`: `"id": "ab_summarizer", "SHA256": "x", "z": [{"ID": 1}]`,
	} {
		if _, err := Read(reframe(t, data, []byte(strings.Replace(js, old, new, 1))), ReadOptions{}); err != nil {
			t.Errorf("unknown keys %s: %v", new, err)
		}
	}
}
