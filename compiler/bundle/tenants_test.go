package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var testTenants = `{"tenants": [
  {"id": "acme-research-1", "tier": "gold", "parents": ["team_acme_research", "org_acme"]},
  {"id": "alice", "parents": ["team"]},
  {"id": "team", "parents": ["org"]},
  {"id": "org", "policy": "org_acme"},
  {"id": "vip", "tier": "platinum", "policy": "premium", "budget": {"monthly": "$500", "daily": "25"}}
]}
`

// tenantsDir is exampleDir with testTenants.
func tenantsDir(t testing.TB) string {
	t.Helper()
	dir := exampleDir(t)
	if err := os.WriteFile(filepath.Join(dir, TenantsFile), []byte(testTenants), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func buildTenants(t testing.TB, key ed25519.PrivateKey) *Result {
	t.Helper()
	res, err := Build(tenantsDir(t), BuildOptions{Key: key, Built: built})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return res
}

// TestTenantsRoundTrip: tenants.json is carried as is, listed in the
// manifest, read back, and makes the bundle format 2; the build is still
// deterministic and a signature still verifies.
func TestTenantsRoundTrip(t *testing.T) {
	key := testKey(t, 3)
	res := buildTenants(t, nil)
	b, err := Read(res.Data, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := b.Manifest
	if m.Format != 2 || FormatVersion != 2 || res.Data[len(Magic)] != 2 {
		t.Errorf("format %d (header %d), want 2", m.Format, res.Data[len(Magic)])
	}
	if m.Tenants == nil || *m.Tenants != blobOf([]byte(testTenants)) {
		t.Fatalf("manifest tenants %+v", m.Tenants)
	}
	if b.Tenants == nil || string(b.Tenants.Data) != testTenants || len(b.Tenants.Tenants) != 5 {
		t.Fatalf("tenants %+v", b.Tenants)
	}
	_, off, l := sectionAt(t, res.Data, secTenants)
	if string(res.Data[off:off+l]) != testTenants {
		t.Errorf("section %q", res.Data[off:off+l])
	}
	vip := b.Tenants.Tenants[4]
	if vip.ID != "vip" || vip.Tier != "platinum" || vip.Policy != "premium" || vip.Monthly != "$500" || vip.Daily != "25" {
		t.Errorf("vip %+v", vip)
	}
	if a := b.Tenants.Tenants[0]; strings.Join(a.Parents, " ") != "team_acme_research org_acme" {
		t.Errorf("parents %q", a.Parents)
	}
	if b.Catalogue == nil || len(b.Catalogue.Models) != 3 {
		t.Errorf("catalogue %+v", b.Catalogue)
	}
	if again := buildTenants(t, nil); !bytes.Equal(again.Data, res.Data) {
		t.Error("two builds differ")
	}
	signed := buildTenants(t, key)
	sb, err := Read(signed.Data, ReadOptions{PublicKey: key.Public().(ed25519.PublicKey), RequireSignature: true})
	if err != nil || !sb.Verified || sb.Tenants == nil {
		t.Fatalf("signed: %v", err)
	}
	// The signature is last and covers the tenants section.
	sOff, _, _ := sectionAt(t, signed.Data, secSignature)
	if _, toff, tl := sectionAt(t, signed.Data, secTenants); toff+tl != sOff {
		t.Errorf("tenants section ends at %d, the signature starts at %d", toff+tl, sOff)
	}
	_, toff, tl := sectionAt(t, signed.Data, secTenants)
	if _, err := Read(flip(signed.Data, toff+tl/2), ReadOptions{PublicKey: key.Public().(ed25519.PublicKey)}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tenants tampered in a signed bundle: %v", err)
	}
}

// TestTenantsTamper: Read names the tenants section when its bytes do not
// match the manifest, and refuses every inconsistency between the header,
// the manifest and the section.
func TestTenantsTamper(t *testing.T) {
	res := buildTenants(t, nil)
	data := res.Data
	tID, tOff, tLen := sectionAt(t, data, secTenants)
	mOff, mLen := section(t, data, secManifest)
	js := string(data[mOff+32 : mOff+mLen])
	rewrite := func(old, new string) []byte {
		if !strings.Contains(js, old) {
			t.Fatalf("manifest has no %q", old)
		}
		return reframe(t, data, []byte(strings.Replace(js, old, new, 1)))
	}
	noTenants := []byte(strings.Replace(js, `"tenants": {`, `"x": {`, 1))
	v1 := bytes.Clone(data)
	v1[len(Magic)] = 1
	// Format 2 with an empty tenants section its manifest does not
	// list: a bundle without a registry, which is format 1's.
	emptyTenants := appendSection(bytes.Clone(data[:tID]), secTenants, nil)
	cases := []struct {
		name    string
		data    []byte
		section string
		is      error
		msg     string
	}{
		{"hash", flip(data, tOff+tLen/2), "tenants", ErrHashMismatch, "sha256 mismatch"},
		{"size", rewrite(`"size": `+strconv.Itoa(tLen), `"size": `+strconv.Itoa(tLen+1)), "tenants", nil, "the manifest says"},
		{"missing", data[:tID], "header", nil, "missing section tenants"},
		{"unlisted", reframe(t, data, noTenants), "tenants", nil, "that the manifest does not list"},
		{"empty and unlisted", reframe(t, emptyTenants, noTenants), "tenants", nil, "none in a format 2 bundle, which is one with a tenant registry (a bundle without one is format 1)"},
		{"format 1 header", v1, "header", nil, "section id 5, want 4 (signature)"},
		{"format 1 manifest", rewrite(`"format": 2`, `"format": 1`), "manifest", nil, "format 1, the header says 2"},
		{"future format", flip(data, len(Magic)), "header", nil, "unsupported format version 34 (this reader reads versions 1 to 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.data, ReadOptions{})
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("error %v (%T), want a *bundle.Error", err, err)
			}
			if be.Section != tc.section {
				t.Errorf("section %q, want %q (%v)", be.Section, tc.section, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%v, want %q", err, tc.msg)
			}
		})
	}
	// A format 1 bundle cannot claim tenants.
	old := buildExamples(t, nil)
	oOff, oLen := section(t, old, secManifest)
	ojs := string(old[oOff+32 : oOff+oLen])
	claim := strings.Replace(ojs, `"policies": [`, `"tenants": {"size": 0, "sha256": "`+strings.Repeat("0", 64)+`"}, "policies": [`, 1)
	if _, err := Read(reframe(t, old, []byte(claim)), ReadOptions{}); err == nil || !strings.Contains(err.Error(), "bundle manifest: tenants: format 1 has no tenants section") {
		t.Errorf("format 1 with tenants: %v", err)
	}
}

// TestTenantsReadChecks: Read applies the registry's rules itself, to a
// bundle written without Build's checks, and says which tenant is wrong,
// at its place in the section, the tenants.json it was built from, as
// rplc check says it.
func TestTenantsReadChecks(t *testing.T) {
	b := buildTenants(t, nil).Bundle
	var programs [][]byte
	for _, p := range b.Policies {
		programs = append(programs, p.Code)
	}
	for tenants, want := range map[string]string{
		`{"tenants": [{"id": "t", "policy": "nope"}]}`:         "bundle tenants: tenants.json:1:36: error[RPL217]: tenants[0].policy: tenant \"t\" names policy \"nope\", which does not exist",
		`{"tenants": [{"id": "t"}, {"id": "t"}]}`:              "bundle tenants: tenants.json:1:34: error[RPL217]: tenants[1].id: tenant \"t\" is already listed at tenants[0]",
		`{"tenants": [{"id": "t", "parents": ["t"]}]}`:         "bundle tenants: tenants.json:1:38: error[RPL217]: tenants[0].parents[0]: tenant \"t\" is its own ancestor: \"t\" → \"t\"",
		`{"tenants": [null]}`:                                  "bundle tenants: tenants.json:1:14: error[RPL217]: tenants[0]: want an object, have null",
		`{"tenants": [{"id": "t", "budget": {"monthly": 5}}]}`: "bundle tenants: tenants.json:1:48: error[RPL217]: tenants[0].budget.monthly: want money as a string",

		// A parent longer than a router takes.
		`{"tenants": [{"id": "t", "parents": ["` + strings.Repeat("p", MaxTenantLen+1) + `"]}]}`: "bundle tenants: tenants.json:1:38: error[RPL217]: tenants[0].parents[0]: want a tenant id of at most 256 bytes",
	} {
		data, err := Write(b.Manifest, programs, nil, []byte(tenants), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Read(data, ReadOptions{})
		var be *Error
		if !errors.As(err, &be) || be.Section != "tenants" || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", tenants, err, want)
		}
	}
}

func TestTenantsErrors(t *testing.T) {
	long, edge := strings.Repeat("t", MaxTenantLen+1), strings.Repeat("t", MaxTenantLen)
	for _, tc := range []struct{ in, want string }{
		{`[]`, "tenants.json: want an object, have a list"},
		{`{"tenant": []}`, "tenant: unknown field (did you mean tenants?)"},
		{`{"tenants": {}}`, "tenants: want a list, have an object"},
		{`{"tenants": [{"tier": "gold"}]}`, "tenants[0].id: missing (want a non-empty string)"},
		{`{"tenants": [{"id": ""}]}`, `tenants[0].id: want a non-empty string, have ""`},
		{`{"tenants": [{"id": "a", "parents": ["b", "b"]}]}`, `tenants[0].parents[1]: "b" is listed twice`},
		{`{"tenants": [{"id": "a", "parents": [""]}]}`, `tenants[0].parents[0]: want a tenant id, have ""`},
		{`{"tenants": [{"id": "` + long + `"}]}`, `tenants[0].id: want a tenant id of at most 256 bytes, have "` + long[:128] + `…" (257 bytes)`},
		{`{"tenants": [{"id": "a", "parents": ["b", "` + long + `"]}]}`, `tenants[0].parents[1]: want a tenant id of at most 256 bytes, have "` + long[:128] + `…" (257 bytes)`},
		{`{"tenants": [{"id": "a", "budget": {"monthly": "-5"}}]}`, `tenants[0].budget.monthly: a budget cannot be negative, have "-5"`},
		{`{"tenants": [{"id": "a", "budget": {"daily": "-$0.01"}}]}`, `tenants[0].budget.daily: a budget cannot be negative`},
		{`{"tenants": [{"id": "a", "tier": 3}]}`, "tenants[0].tier: want a string"},
		{`{"tenants": [{"id": "a", "parents": "b"}]}`, "tenants[0].parents: want a list of tenant ids"},
		{`{"tenants": [{"id": "a", "parents": ["b", 1]}]}`, "tenants[0].parents[1]: want a string"},
		{`{"tenants": [{"id": "a", "budget": []}]}`, "tenants[0].budget: want an object"},
		{`{"tenants": [{"id": "a", "budget": {"weekly": "1"}}]}`, "tenants[0].budget.weekly: unknown field"},
		{`{"tenants": [{"id": "a", "polcy": "p"}]}`, "tenants[0].polcy: unknown field (did you mean policy?)"},
		{`{"tenants": [{"id": "a", "parents": ["b"]}, {"id": "b", "parents": ["c"]}, {"id": "c", "parents": ["a"]}]}`, `tenant "a" is its own ancestor: "a" → "b" → "c" → "a"`},
		{`{"tenants": []} x`, "invalid JSON: data after the value"},
		// A key twice, which encoding/json reads as its last.
		{`{"tenants": [{"id": "a"}, {"id": "b", "tier": "gold", "tier": "silver"}]}`, "tenants[1].tier: key given twice"},
		{`{"tenants": [{"id": "a", "budget": {"monthly": "$500", "daily": "$5", "monthly": "$50"}}]}`, "tenants[0].budget.monthly: key given twice"},
	} {
		_, err := ParseTenants([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
	// What the router accepts: unregistered parents, empty budgets, ids
	// of MaxTenantLen bytes.
	ts, err := ParseTenants([]byte(`{"tenants": [{"id": "a", "parents": ["nobody", "` + edge + `"], "budget": {"monthly": "", "daily": "$1.50"}}, {"id": "b"}, {"id": "` + edge + `"}]}`))
	if err != nil || len(ts.Tenants) != 3 {
		t.Fatalf("%v %+v", err, ts)
	}
}

// chain is the registry entries of one chain of tenants: p0's parent is
// p1, …, up to p<depth>; registry makes a registry of entries.
func chain(p string, depth int) []string {
	var ts []string
	for i := range depth {
		ts = append(ts, fmt.Sprintf(`{"id": "%s%d", "parents": ["%s%d"]}`, p, i, p, i+1))
	}
	return append(ts, fmt.Sprintf(`{"id": "%s%d"}`, p, depth))
}

func registry(entries ...string) string {
	return `{"tenants": [` + strings.Join(entries, ", ") + "]}"
}

// TestTenantsDepth: a tenant may have MaxTenantDepth ancestors: its chain
// is completed, and Read takes the bundle. One more, along one line of
// parents, through two, or listed, is refused by ParseTenants (so by
// Build and the router) and by Read, naming the tenant and the limit; a
// cycle deep down is still named as one.
func TestTenantsDepth(t *testing.T) {
	b := buildTenants(t, nil).Bundle
	var programs [][]byte
	for _, p := range b.Policies {
		programs = append(programs, p.Code)
	}
	read := func(tenants string) error {
		data, err := Write(b.Manifest, programs, nil, []byte(tenants), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Read(data, ReadOptions{})
		return err
	}
	atLimit := registry(chain("t", MaxTenantDepth)...)
	ts, err := ParseTenants([]byte(atLimit))
	if err != nil {
		t.Fatal(err)
	}
	if c := ts.Tenants[0].Chain; len(c) != MaxTenantDepth || c[0] != "t1" || c[MaxTenantDepth-1] != fmt.Sprintf("t%d", MaxTenantDepth) {
		t.Errorf("t0's chain %v, want t1 … t%d", c, MaxTenantDepth)
	}
	if err := read(atLimit); err != nil {
		t.Errorf("Read, a chain at the limit: %v", err)
	}

	tooDeep := fmt.Sprintf("has more than %d ancestors", MaxTenantDepth)
	var listed []string
	for i := range MaxTenantDepth + 1 {
		listed = append(listed, fmt.Sprintf("%q", fmt.Sprint("p", i)))
	}
	half := MaxTenantDepth / 2
	for _, c := range []struct{ name, tenants, want string }{
		{"one past", registry(chain("t", MaxTenantDepth+1)...), `tenants[0].parents: tenant "t0" ` + tooDeep},
		{"far past", registry(chain("t", 100*MaxTenantDepth)...), `tenant "t0" ` + tooDeep},
		// x's two parents' chains, each within the limit, make more.
		{"two lines", registry(append(append(chain("a", half), chain("b", half)...), `{"id": "x", "parents": ["a0", "b0"]}`)...), `tenant "x" ` + tooDeep},
		{"listed", registry(`{"id": "x", "parents": [` + strings.Join(listed, ", ") + `]}`), fmt.Sprintf("tenants[0].parents: tenant \"x\" lists %d parents, more than the %d ancestors", MaxTenantDepth+1, MaxTenantDepth)},
		{"cycle", registry(append(chain("t", 9)[:9], `{"id": "t9", "parents": ["t5"]}`)...), `tenants[9].parents[0]: tenant "t5" is its own ancestor: "t5" → "t6" → "t7" → "t8" → "t9" → "t5"`},
	} {
		if _, err := ParseTenants([]byte(c.tenants)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: ParseTenants: %v, want %q", c.name, err, c.want)
		}
		if err := read(c.tenants); err == nil || !strings.Contains(err.Error(), "bundle tenants: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Read: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestTenantsEcho: an error about the registry repeats at most
// jsonx.MaxEcho bytes of any one value of it, a tenant id, a parent, a
// budget or a policy, however long: cut after 128 bytes and followed by
// its length. A policy that cannot be a policy id, a package name, is
// refused as such whatever the bundle holds, rather than said not to
// exist; one that can but is not in the bundle is cut too.
func TestTenantsEcho(t *testing.T) {
	id := strings.Repeat("i", MaxTenantLen)
	idCut := `"` + id[:128] + `…" (256 bytes)`
	long := strings.Repeat("x", 300)
	longCut := long[:128] + "…\" (300 bytes)"
	for _, tc := range []struct{ in, want string }{
		{`{"tenants": [{"id": "` + id + `"}, {"id": "` + id + `"}]}`, "tenants[1].id: tenant " + idCut + " is already listed at tenants[0]"},
		{`{"tenants": [{"id": "a", "parents": ["` + id + `", "` + id + `"]}]}`, `tenants[0].parents[1]: "` + id[:128] + `…" (256 bytes) is listed twice`},
		{`{"tenants": [{"id": "a", "budget": {"monthly": "` + long + `"}}]}`, `tenants[0].budget.monthly: want money ("$500" or "500"), have "` + longCut},
		{`{"tenants": [{"id": "a", "budget": {"daily": "-` + strings.Repeat("0", 298) + `1"}}]}`, `tenants[0].budget.daily: a budget cannot be negative, have "-` + strings.Repeat("0", 127) + `…" (300 bytes)`},
		{`{"tenants": [{"id": "` + id + `", "parents": [` + strings.Repeat(`"p", `, MaxTenantDepth) + `"q"]}]}`, "tenants[0].parents: tenant " + idCut + " lists 65 parents"},
		{`{"tenants": [{"id": "` + id + `", "parents": ["b"]}, {"id": "b", "parents": ["` + id + `"]}]}`, "tenant " + idCut + " is its own ancestor: " + idCut + ` → "b" → ` + idCut},
		{registry(chain(id[:250], MaxTenantDepth+1)...), `tenant "` + id[:128] + `…" (251 bytes) has more than 64 ancestors`},
		{`{"tenants": [{"id": "a", "policy": "org-acme"}]}`, `tenants[0].policy: want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have "org-acme"`},
		{`{"tenants": [{"id": "a", "policy": "fn"}]}`, `tenants[0].policy: want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have "fn"`},
		{`{"tenants": [{"id": "a", "policy": "1a"}]}`, `tenants[0].policy: want a policy id`},
		{`{"tenants": [{"id": "a", "policy": "` + long + `-"}]}`, `tenants[0].policy: want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have "` + long[:128] + `…" (301 bytes)`},
	} {
		_, err := ParseTenants([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.200s: %.400v\nwant %.400q", tc.in, err, tc.want)
		} else if len(err.Error()) > 3*128+300 {
			t.Errorf("%.200s: %d bytes of error", tc.in, len(err.Error()))
		}
	}
	// A policy id is any identifier, _ included, however long: CheckPolicies
	// says whether the bundle has it, cutting both the tenant and the policy.
	ts, err := ParseTenants([]byte(`{"tenants": [{"id": "a", "policy": "_"}, {"id": "b", "policy": "org_acme"}, {"id": "` + id + `", "policy": "` + long + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = ts.CheckPolicies(func(id string) bool { return id == "_" || id == "org_acme" })
	if want := "tenants[2].policy: tenant " + idCut + ` names policy "` + long[:128] + `…" (300 bytes), which does not exist`; err == nil || err.Error() != want {
		t.Errorf("%v\nwant %s", err, want)
	}
}
