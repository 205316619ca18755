package bundle

import (
	"strings"
	"testing"
)

// TestManifestKeyFolded: encoding/json matches a manifest key to its
// field whatever its case ("Format" is format, "ſources" sources), so a
// key written twice in two cases is a key given twice, read as its last
// (two lists of policies, as both), as a case-sensitive reader would
// not: Read refuses it as it refuses the same key twice.
func TestManifestKeyFolded(t *testing.T) {
	data := buildExamples(t, nil)
	mOff, mLen := section(t, data, secManifest)
	js := string(data[mOff+32 : mOff+mLen])
	for _, tc := range []struct{ old, new, want string }{
		{`"format": 1`, `"format": 1, "Format": 1`, "bundle manifest: Format: key given twice"},
		{`"format": 1`, `"FORMAT": 1, "format": 1`, "bundle manifest: format: key given twice"},
		{`"id": "ab_summarizer"`, `"id": "ab_summarizer", "ID": "ab_summarizer"`, "bundle manifest: policies[0].ID: key given twice"},
		{`"policies": [`, `"Policies": [], "policies": [`, "bundle manifest: policies: key given twice"},
		{`"sources": [`, `"\u017fources": [], "sources": [`, "bundle manifest: policies[0].sources: key given twice"},
	} {
		if !strings.Contains(js, tc.old) {
			t.Fatalf("manifest has no %q", tc.old)
		}
		_, err := Read(reframe(t, data, []byte(strings.Replace(js, tc.old, tc.new, 1))), ReadOptions{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s → %s: %v, want %q", tc.old, tc.new, err, tc.want)
		}
	}
	// Another key, unknown to the manifest, is still ignored.
	if _, err := Read(reframe(t, data, []byte(strings.Replace(js, `"format": 1`, `"format": 1, "Formats": 2, "x": {"a": 1, "A": 2}`, 1))), ReadOptions{}); err != nil {
		t.Errorf("unknown keys: %v", err)
	}
}
