package bundle

import (
	"crypto/sha256"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
)

// check reads data, which must be refused with an error containing want
// having allocated at most 20 times its size.
func check(t *testing.T, data []byte, want string) {
	t.Helper()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	_, err := Read(data, ReadOptions{})
	runtime.ReadMemStats(&m1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%v, want %q", err, want)
	}
	a := m1.TotalAlloc - m0.TotalAlloc
	if a > 20*uint64(len(data)) {
		t.Errorf("a %d-byte bundle allocated %d bytes (%.0f×), want at most 20×", len(data), a, float64(a)/float64(len(data)))
	}
	t.Logf("a %d-byte bundle allocated %d bytes (%.1f×)", len(data), a, float64(a)/float64(len(data)))
}

// TestReadAllocation: a manifest, catalogue or tenant registry made of
// many small JSON values is refused having allocated a small multiple of
// the bundle's size, not the hundreds of times that decoding it whole
// did (an 8 MiB manifest of empty policies allocated 2 GB).
func TestReadAllocation(t *testing.T) {
	const n = 1 << 20 // values of junk
	hash := strings.Repeat("0", 64)
	policy := `{"id": "a", "program": {"sha256": "` + hash + `"}`
	junk := func(v string) string { return strings.Repeat(v+",", n) + v }
	for _, c := range []struct{ name, manifest, want string }{
		{"empty policies", `{"format":1,"bytecode":1,"policies":[` + junk("{}") + `]}`, "policies[0].id: empty"},
		{"sources", `{"format":1,"bytecode":1,"policies":[` + policy + `, "sources": [` + junk("{}") + `]}]}`, "policies[0].sources[0].sha256"},
		{"entries", `{"format":1,"bytecode":1,"policies":[` + policy + `, "entries": [` + junk(`""`) + `], "tests": ["x"]}]}`, `policies[0].entries[1]: "" is out of order or repeated`},
		// Values of the wrong kind: json made an error for each.
		{"numbers for sources", `{"format":1,"bytecode":1,"policies":[` + policy + `, "sources": [` + junk("0") + `]}]}`, "bundle manifest: policies[0].sources[0]: want an object, have a number"},
		{"numbers for tests", `{"format":1,"bytecode":1,"policies":[` + policy + `, "tests": ["a,]\\\"]", {"b": [1, "]"]}, ` + junk("0") + `]}]}`, "bundle manifest: policies[0].tests[1]: want a string, have an object"},
		{"numbers for entries", `{"format":1,"bytecode":1,"policies":[` + policy + `, "entries": [null, "a", ` + junk("true") + `]}]}`, "bundle manifest: policies[0].entries[2]: want a string, have a bool"},
	} {
		t.Run(c.name, func(t *testing.T) {
			js := []byte(c.manifest)
			sum := sha256.Sum256(js)
			data := binary.AppendUvarint([]byte(Magic), 1)
			data = appendSection(data, secManifest, append(sum[:], js...))
			data = appendSection(data, secPrograms, []byte{0})
			data = appendSection(data, secCatalogue, nil)
			check(t, data, c.want)
		})
	}
	b := buildTenants(t, nil).Bundle
	var programs [][]byte
	for _, p := range b.Policies {
		programs = append(programs, p.Code)
	}
	for _, c := range []struct{ name, catalogue, tenants, want string }{
		{"empty tenants", "", `{"tenants": [` + junk("{}") + `]}`, "tenants[0].id: missing (want a non-empty string)"},
		{"empty providers", `{"providers": [` + junk("{}") + `]}`, "", "providers[0].name: missing (want a non-empty string)"},
		{"unknown field", "", `{"tenants": [{"id": "a", "x": [` + junk("{}") + `]}]}`, "tenants[0].x: unknown field"},
		{"junk models", `{"providers": [{"name": "p", "models": [` + junk("{}") + `]}]}`, "", "providers[0].models: more than 65536 elements"},
		{"junk parents", "", `{"tenants": [{"id": "a", "parents": [` + junk(`""`) + `]}]}`, "tenants[0].parents: more than 1024 elements"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cat, tenants []byte
			if c.catalogue != "" {
				cat = []byte(c.catalogue)
			}
			if c.tenants != "" {
				tenants = []byte(c.tenants)
			}
			data, err := Write(b.Manifest, programs, cat, tenants, nil)
			if err != nil {
				t.Fatal(err)
			}
			check(t, data, c.want)
		})
	}
}
