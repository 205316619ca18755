package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

const examplesDir = "../../examples/policies"

var testCatalogue = `{"providers": [
  {"name": "openai", "latency_ms": 900, "models": [
    {"name": "gpt-4o", "input_per_mtok": "2.50", "output_per_mtok": "10.00"},
    {"name": "gpt-4o-mini", "input_per_mtok": 0.15, "output_per_mtok": 0.6, "latency_ms": 400}]},
  {"name": "anthropic", "models": [
    {"name": "claude-sonnet", "input_per_mtok": "$3", "output_per_mtok": "$15", "latency_ms": 1200}]}]}
`

// exampleDir copies the example policies and a catalogue into a
// temporary directory.
func exampleDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.rpl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example policies: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, CatalogueFile), []byte(testCatalogue), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var built = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func buildExamples(t testing.TB, key ed25519.PrivateKey) []byte {
	t.Helper()
	res, err := Build(exampleDir(t), BuildOptions{Key: key, Built: built})
	if err != nil {
		t.Fatalf("build: %v\n%v\n%v", err, res.Diags, res.Failures)
	}
	return res.Data
}

func testKey(t testing.TB, seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func TestBuildExamples(t *testing.T) {
	res, err := Build(exampleDir(t), BuildOptions{Built: built})
	if err != nil {
		t.Fatal(err)
	}
	b := res.Bundle
	if len(b.Policies) < 7 || res.Tests == 0 {
		t.Fatalf("%d policies, %d tests", len(b.Policies), res.Tests)
	}
	m := b.Manifest
	if m.Format != MinFormatVersion || m.Tenants != nil || b.Tenants != nil || m.Bytecode != 2 /* the examples inline calls, and order nothing with min_by or max_by */ || !m.Built.Equal(built) || m.TestsSkipped || !strings.HasPrefix(m.Compiler, "rpl ") {
		t.Errorf("manifest header: %+v", m)
	}
	team := b.Policy("team_acme_research")
	if team == nil {
		t.Fatal("no team_acme_research")
	}
	// The child's sources include the parent it extends.
	var paths []string
	for _, s := range team.Sources {
		paths = append(paths, s.Path)
	}
	if got := strings.Join(paths, " "); got != "org_acme.rpl team_acme_research.rpl team_acme_research_test.rpl" {
		t.Errorf("sources: %s", got)
	}
	if team.File != "team_acme_research.rpl" || len(team.Tests) == 0 || !team.Bounded || team.CostBound <= 0 {
		t.Errorf("entry: %+v", team.PolicyEntry)
	}
	if b.Catalogue == nil || len(b.Catalogue.Models) != 3 {
		t.Fatalf("catalogue: %+v", b.Catalogue)
	}
	if mdl, ok := b.Catalogue.Lookup("openai:gpt-4o"); !ok || mdl.Latency != 900*time.Millisecond || mdl.Input != 2_500_000_000 {
		t.Errorf("openai:gpt-4o: %+v", mdl)
	}
	// Deterministic: the same inputs give the same bytes.
	again, err := Build(exampleDir(t), BuildOptions{Built: built})
	if err != nil || !bytes.Equal(again.Data, res.Data) {
		t.Errorf("two builds differ (%v)", err)
	}
	if len(b.Version()) != 64 || b.Size != len(res.Data) {
		t.Errorf("version %q, size %d", b.Version(), b.Size)
	}
	// The tests shipped in the bundle pass when the router re-runs them.
	env, _ := rpl.NewEnv()
	fails, err := b.RunTests(context.Background(), env, rpl.Limits{})
	if err != nil || len(fails) != 0 {
		t.Errorf("RunTests: %v %v", err, fails)
	}
}

// TestRoundTripDecides builds the examples, reads the bundle back and
// checks that every policy decides exactly as the policy compiled from
// source, over varied requests and states.
func TestRoundTripDecides(t *testing.T) {
	data := buildExamples(t, nil)
	b, err := Read(data, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := rpl.NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := b.Programs(env)
	if err != nil {
		t.Fatal(err)
	}
	states := []*stdlib.MemState{{}, {}}
	states[1].SetSpend("acme", 900_000_000_000, 50_000_000_000)
	states[1].SetHealth("anthropic:claude-sonnet", false, 0.5)
	states[1].SetHealth("openai:gpt-4o", true, 0.3)
	states[1].SetWinner("summarizer-v2", "candidate")
	tasks := []string{"chat", "code", "summarize", "embedding", "analysis", "translate"}
	tenants := []string{`{"id": "acme", "tier": "gold"}`, `{"id": "beta", "tier": "free"}`, `{"id": ""}`}
	compared := 0
	for _, p := range b.Policies {
		src, err := env.Compile(filepath.Join(examplesDir, p.File))
		if err != nil {
			t.Fatal(err)
		}
		bin := loaded[p.ID]
		for i := range 300 {
			req := fmt.Sprintf(`{"id": "req-%d", "tenant": %s, "task": {"type": %q}, "session": {"id": "s-%d"}, "user": {"id": "u-%d"},
				"estimate": {"input_tokens": %d, "output_tokens": 500}, "model": %q}`,
				i, tenants[i%len(tenants)], tasks[i%len(tasks)], i%7, i%11, (i*7919)%200_000, []string{"", "openai:gpt-4o", "mistral:large"}[i%3])
			rv, err := src.RequestFromJSON([]byte(req))
			if err != nil {
				t.Fatal(err)
			}
			in := rpl.DefaultInput(built, fmt.Sprintf("req-%d", i))
			in.Host = states[i%2]
			want, err1 := src.Decide(context.Background(), rv, in)
			got, err2 := bin.Decide(context.Background(), rv, in)
			if fmt.Sprint(err1) != fmt.Sprint(err2) || !vm.Equal(want.Value, got.Value) {
				t.Fatalf("%s, request %d: source %v (%v), bundle %v (%v)", p.ID, i, want.Value, err1, got.Value, err2)
			}
			compared++
		}
	}
	t.Logf("%d decisions compared over %d policies", compared, len(b.Policies))
}

// section returns the offset and length of the body of section id.
func section(t testing.TB, data []byte, id byte) (int, int) {
	_, start, l := sectionAt(t, data, id)
	return start, l
}

// sectionAt returns the offsets of section id and of its body, and the
// body's length.
func sectionAt(t testing.TB, data []byte, id byte) (int, int, int) {
	off := len(Magic) + 1
	for off < len(data) {
		sid := data[off]
		l, n := binary.Uvarint(data[off+1:])
		start := off + 1 + n
		if sid == id {
			return off, start, int(l)
		}
		off = start + int(l)
	}
	t.Fatalf("no section %d", id)
	return 0, 0, 0
}

func flip(data []byte, at int) []byte {
	c := bytes.Clone(data)
	c[at] ^= 0x20
	return c
}

// TestTamper flips a byte in each part of a bundle and checks that Read
// names the part.
func TestTamper(t *testing.T) {
	data := buildExamples(t, nil)
	b, err := Read(data, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mOff, mLen := section(t, data, secManifest)
	pOff, _ := section(t, data, secPrograms)
	cID, cOff, cLen := sectionAt(t, data, secCatalogue)

	// Offsets of each program inside the programs section.
	progOff := map[string]int{}
	at := pOff
	_, n := binary.Uvarint(data[at:])
	at += n
	for _, p := range b.Policies {
		l, n := binary.Uvarint(data[at:])
		at += n
		progOff[p.ID] = at
		at += int(l)
	}

	cases := []struct {
		name    string
		data    []byte
		section string
		is      error
		msg     string
	}{
		{"magic", flip(data, 0), "header", nil, "bad magic"},
		{"version", flip(data, 4), "header", nil, "unsupported format version"},
		{"manifest hash", flip(data, mOff+3), "manifest", ErrHashMismatch, ""},
		{"manifest json", flip(data, mOff+32+mLen/2), "manifest", ErrHashMismatch, ""},
		{"catalogue", flip(data, cOff+cLen/2), "catalogue", ErrHashMismatch, ""},
		{"truncated", data[:len(data)-10], "catalogue", nil, "exceeds the data"},
		{"trailing", append(bytes.Clone(data), 0), "header", nil, "section id 0, want 4"},
		{"no catalogue", data[:cID], "header", nil, "missing section catalogue"},
	}
	for _, p := range b.Policies {
		cases = append(cases, struct {
			name    string
			data    []byte
			section string
			is      error
			msg     string
		}{"program " + p.ID, flip(data, progOff[p.ID]+p.Program.Size/2), "program " + p.ID, ErrHashMismatch, ""})
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
}

// TestManifestChecks rewrites the manifest (with a correct hash) and
// checks what Read still refuses.
func TestManifestChecks(t *testing.T) {
	data := buildExamples(t, nil)
	mOff, mLen := section(t, data, secManifest)
	js := string(data[mOff+32 : mOff+mLen])
	rewrite := func(old, new string) []byte {
		if !strings.Contains(js, old) {
			t.Fatalf("manifest has no %q", old)
		}
		nj := strings.Replace(js, old, new, 1)
		return reframe(t, data, []byte(nj))
	}
	for _, tc := range []struct{ old, new, want string }{
		{`"format": 1`, `"format": 2`, "bundle manifest: format 2"},
		{`"bytecode": 2`, `"bytecode": 9`, "bytecode version 9"},
		// The examples inline calls: their programs are version 2.
		{`"bytecode": 2`, `"bytecode": 1`, "program format version 2, the manifest says bytecode 1"},
		// bytecode is the newest of the programs' versions: a newer one
		// claimed would keep the bundle from readers that load them all.
		{`"bytecode": 2`, `"bytecode": 3`, "bundle manifest: bytecode: 3, the newest program format version of the bundle's programs is 2"},
		// A policy id is a package name: not a path, nor a NUL.
		{`"id": "ab_summarizer"`, `"id": "../../ab"`, `bundle manifest: policies[0].id: want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have "../../ab"`},
		{`"id": "ab_summarizer"`, `"id": "a\u0000b"`, `bundle manifest: policies[0].id: want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have "a\x00b"`},
		// Sources sorted by path, once each, the policy's file among them.
		{`"path": "ab_summarizer_test.rpl"`, `"path": "ab_summarizer.rpl"`, `bundle manifest: policies[0].sources[1].path: "ab_summarizer.rpl" is out of order or repeated`},
		{`"path": "ab_summarizer.rpl"`, `"path": "zz.rpl"`, `bundle manifest: policies[0].sources[1].path: "ab_summarizer_test.rpl" is out of order or repeated`},
		{`"file": "ab_summarizer.rpl"`, `"file": "other.rpl"`, `bundle manifest: policies[0].file: "other.rpl" is not among the policy's sources`},
		// built is UTC, whole seconds, as Write writes it.
		{`"built": "2025-06-01T00:00:00Z"`, `"built": "2025-06-01T02:00:00+02:00"`, "bundle manifest: built: 2025-06-01T02:00:00+02:00 is not UTC (want Z, as in 2025-06-01T00:00:00Z)"},
		{`"built": "2025-06-01T00:00:00Z"`, `"built": "2025-06-01T00:00:00.5Z"`, "bundle manifest: built: 2025-06-01T00:00:00.5Z is not whole seconds"},
		{`"id": "ab_summarizer"`, `"id": ""`, "policies[0].id: empty"},
		// cost_bound and bounded agree, as Build writes them.
		{`"bounded": true`, `"bounded": false`, `, and bounded is false: a policy without a bound has cost_bound 0 (policy "ab_summarizer")`},
		{`"cost_bound": `, `"cost_bound": -1, "x": `, `bundle manifest: policies[0].cost_bound: -1 is negative (policy "ab_summarizer")`},
		{`"id": "budget_guard"`, `"id": "ab_summarizer"`, "out of order or repeated"},
		{`"tests": [`, `"tests": ["nope", `, `"nope" has no entry point`},
		// A test entry left out of the tests would not run on a router.
		{`"tests": [` + "\n        " + `"each arm maps to its model",`, `"tests": [`,
			`policies[0].entries[2]: "test:each arm maps to its model" is not among the policy's tests`},
		{`"each arm maps to its model",`, `"an unknown arm falls back to control",`,
			`policies[0].tests[1]: "an unknown arm falls back to control" is listed twice`},
		{`"route",`, `"zroute",`, `policies[0].entries[1]: "test:an unknown arm falls back to control" is out of order`},
		{`"route",`, `"rout",`, "bundle program ab_summarizer: entry points"},
		{`"policies": [`, `"policies": 3, "x": [`, "bundle manifest: policies: want a list, have a number"},
		// A key twice, which encoding/json reads as its last (policies
		// as both lists).
		{`"format": 1`, `"format": 1, "format": 1`, "bundle manifest: format: key given twice"},
		{`"id": "ab_summarizer"`, `"id": "ab_summarizer", "id": "ab_summarizer"`, "policies[0].id: key given twice"},
		{`"policies": [`, `"policies": [], "policies": [`, "policies: key given twice"},
	} {
		_, err := Read(rewrite(tc.old, tc.new), ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: %v, want %q", tc.old, tc.new, err, tc.want)
		}
	}
	// UTC written as an offset of zero is UTC all the same.
	if _, err := Read(rewrite(`"built": "2025-06-01T00:00:00Z"`, `"built": "2025-06-01T00:00:00+00:00"`), ReadOptions{}); err != nil {
		t.Errorf("built +00:00: %v", err)
	}
}

// TestBuiltUnknown: a manifest's built is optional, as it has been since
// the format began: Write writes the zero time of a Manifest without one,
// and Read reads that, null and no built alike as the zero time, the
// unknown build time spec/bundle.md names.
func TestBuiltUnknown(t *testing.T) {
	data, err := Write(Manifest{}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read(data, ReadOptions{})
	if err != nil || !b.Manifest.Built.IsZero() {
		t.Fatalf("Write(Manifest{}) read back: %v, built %v", err, b)
	}
	if !bytes.Contains(data, []byte(`"built": "0001-01-01T00:00:00Z"`)) {
		t.Errorf("Write(Manifest{}) wrote no zero built:\n%s", data)
	}
	built := buildExamples(t, nil)
	mOff, mLen := section(t, built, secManifest)
	js := string(built[mOff+32 : mOff+mLen])
	const have = `"built": "2025-06-01T00:00:00Z",`
	if !strings.Contains(js, have) {
		t.Fatalf("manifest has no %q", have)
	}
	for _, repl := range []string{``, `"built": null,`, `"built": "0001-01-01T00:00:00Z",`} {
		b, err := Read(reframe(t, built, []byte(strings.Replace(js, have, repl, 1))), ReadOptions{})
		if err != nil || !b.Manifest.Built.IsZero() {
			t.Errorf("%q: %v, want the zero time", repl, err)
		}
	}
}

// reframe replaces the manifest of data by js (with its hash); the
// manifest section comes right after the magic and the version byte.
func reframe(t testing.TB, data, js []byte) []byte {
	mOff, mLen := section(t, data, secManifest)
	start := len(Magic) + 1
	sum := sha256.Sum256(js)
	out := appendSection(bytes.Clone(data[:start]), secManifest, append(sum[:], js...))
	return append(out, data[mOff+mLen:]...)
}

func TestSignature(t *testing.T) {
	key, other := testKey(t, 1), testKey(t, 2)
	pub := key.Public().(ed25519.PublicKey)
	signed := buildExamples(t, key)
	unsigned := buildExamples(t, nil)

	b, err := Read(signed, ReadOptions{PublicKey: pub, RequireSignature: true})
	if err != nil || !b.Signed || !b.Verified || b.KeyID != KeyID(pub) {
		t.Fatalf("valid signature: %v %+v", err, b)
	}
	// Without a key the signature is not checked, but reported.
	if b, err := Read(signed, ReadOptions{}); err != nil || !b.Signed || b.Verified {
		t.Errorf("no key: %v", err)
	}
	if _, err := Read(unsigned, ReadOptions{PublicKey: pub, RequireSignature: true}); !errors.Is(err, ErrUnsigned) {
		t.Errorf("required, unsigned: %v", err)
	}
	// An unsigned bundle passes when a key is configured but not required.
	if b, err := Read(unsigned, ReadOptions{PublicKey: pub}); err != nil || b.Signed {
		t.Errorf("optional, unsigned: %v", err)
	}
	if _, err := Read(signed, ReadOptions{PublicKey: other.Public().(ed25519.PublicKey), RequireSignature: true}); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "signed by key "+KeyID(pub)) {
		t.Errorf("other key: %v", err)
	}
	// Any flipped byte before or in the signature fails verification.
	sOff, sLen := section(t, signed, secSignature)
	pOff, _ := section(t, signed, secPrograms)
	for _, at := range []int{5, pOff + 40, sOff + 2, sOff + sLen - 1, len(Magic)} {
		_, err := Read(flip(signed, at), ReadOptions{PublicKey: pub, RequireSignature: true})
		var be *Error
		if !errors.As(err, &be) {
			t.Errorf("byte %d: %v", at, err)
			continue
		}
		if at >= sOff || at == pOff+40 {
			if be.Section != "signature" {
				t.Errorf("byte %d: %v, want a signature error", at, err)
			}
		}
	}
	if _, err := Read(signed[:len(signed)-1], ReadOptions{}); err == nil || !strings.Contains(err.Error(), "bundle signature: length") {
		t.Errorf("truncated signature: %v", err)
	}
	if _, err := Read(signed, ReadOptions{RequireSignature: true}); err == nil {
		t.Error("RequireSignature without a key accepted")
	}
}

func TestKeys(t *testing.T) {
	priv, pub, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !pk.Equal(sk.Public()) {
		t.Fatal("public key does not match")
	}
	// Raw seeds and keys, as bytes and as hex.
	seed := sk.Seed()
	for _, in := range [][]byte{seed, []byte(fmt.Sprintf("%x\n", seed))} {
		k, err := ParsePrivateKey(in)
		if err != nil || !k.Equal(sk) {
			t.Errorf("raw seed %q: %v", in, err)
		}
	}
	for _, in := range [][]byte{pk, []byte(fmt.Sprintf("%x", []byte(pk)))} {
		k, err := ParsePublicKey(in)
		if err != nil || !k.Equal(pk) {
			t.Errorf("raw public key: %v", err)
		}
	}
	if _, err := ParsePrivateKey(pub); err == nil {
		t.Error("a public key parsed as a private key")
	}
	if _, err := ParsePublicKey([]byte("short")); err == nil {
		t.Error("garbage parsed as a public key")
	}
}

// TestCatalogueEcho holds the catalogue's errors to what they repeat of a
// value: at most jsonx.MaxEcho bytes of it, then its length, as the
// registry's do.
func TestCatalogueEcho(t *testing.T) {
	long := strings.Repeat("m", 1000)
	cut := strings.Repeat("m", jsonx.MaxEcho) + "…"
	for _, tc := range []struct{ in, want string }{
		{`{"providers": [{"name": "a:` + long + `", "models": []}]}`, `providers[0].name: "a:` + cut[2:] + `" (1002 bytes): a provider name cannot contain ':'`},
		{`{"providers": [{"name": "a", "models": [{"name": "m", "input_per_mtok": "` + long + `", "output_per_mtok": 1, "latency_ms": 1}]}]}`, `input_per_mtok: want money ("2.50" or 2.5), have "` + cut + `" (1000 bytes)`},
		{`{"providers": [{"name": "a", "latency_ms": 1, "models": [{"name": "` + long + `", "input_per_mtok": 1, "output_per_mtok": 1}, {"name": "` + long + `", "input_per_mtok": 1, "output_per_mtok": 1}]}]}`, `providers[0].models[1]: a:` + cut[2:] + ` (1002 bytes) is already listed at providers[0].models[0]`},
	} {
		_, err := ParseCatalogue([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.60s…: %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestCatalogueErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[]`, "catalogue: want an object, have a list"},
		{`{"providers": {}}`, "providers: want a list"},
		{`{"provider": []}`, "provider: unknown field (did you mean providers?)"},
		{`{"providers": [{"name": "a:b", "models": []}]}`, `providers[0].name: "a:b": a provider name cannot contain ':'`},
		{`{"providers": [{"name": "a", "models": []}]}`, "providers[0].models: want a non-empty list"},
		{`{"providers": [{"name": "a", "models": [{"name": "m", "input_per_mtok": "x", "output_per_mtok": 1, "latency_ms": 1}]}]}`, `providers[0].models[0].input_per_mtok: want money ("2.50" or 2.5), have "x"`},
		{`{"providers": [{"name": "a", "models": [{"name": "m", "input_per_mtok": -1, "output_per_mtok": 1, "latency_ms": 1}]}]}`, `input_per_mtok: negative price`},
		{`{"providers": [{"name": "a", "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 2.5e-10, "latency_ms": 1}]}]}`, `providers[0].models[0].output_per_mtok: 2.5e-10 has more than 9 decimals`},
		{`{"providers": [{"name": "a", "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1}]}]}`, `providers[0].models[0].latency_ms: missing`},
		{`{"providers": [{"name": "a", "latency_ms": 1.5, "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1}]}]}`, `providers[0].latency_ms: want an integer from 0 to 9223372036854 (milliseconds), have 1.5`},
		{`{"providers": [{"name": "a", "latency_ms": 9223372036854775807, "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1}]}]}`, `providers[0].latency_ms: want an integer from 0 to 9223372036854 (milliseconds), have 9223372036854775807`},
		{`{"providers": [{"name": "a", "latency_ms": 1, "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1, "latencyms": 1}]}]}`, `providers[0].models[0].latencyms: unknown field (did you mean latency_ms?)`},
		{`{"providers": [{"name": "a", "latency_ms": 1, "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1}, {"name": "m", "input_per_mtok": 1, "output_per_mtok": 1}]}]}`, `providers[0].models[1]: a:m is already listed at providers[0].models[0]`},
		{`{"providers": []} x`, "invalid JSON"},
		{`{"providers": [{"name": "a", "latency_ms": 1, "models": [{"name": "m", "input_per_mtok": 1, "output_per_mtok": 1, "input_per_mtok": 2}]}]}`, `providers[0].models[0].input_per_mtok: key given twice`},
	} {
		_, err := ParseCatalogue([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, src := range files {
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	t.Run("check errors", func(t *testing.T) {
		res, err := Build(write(t, map[string]string{"a.rpl": "package a\n\nfn route(r: Request) -> Decision = to(r.tenant.tierr)\n"}), BuildOptions{})
		if !errors.Is(err, ErrCheckFailed) || len(res.Diags) != 1 {
			t.Errorf("%v %v", err, res.Diags)
		}
	})
	failing := map[string]string{
		"a.rpl":      "package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n",
		"a_test.rpl": "package a\n\ntest \"wrong\" {\n  expect route({}).target == \"z\"\n}\n",
	}
	t.Run("failing tests", func(t *testing.T) {
		res, err := Build(write(t, failing), BuildOptions{})
		if !errors.Is(err, ErrTestsFailed) || len(res.Failures) != 1 || res.Data != nil {
			t.Fatalf("%v %v", err, res.Failures)
		}
		if f := res.Failures[0].String(); !strings.Contains(f, `a_test.rpl:3:1: test "wrong": `) {
			t.Errorf("failure: %s", f)
		}
	})
	// A test named "" is named where it is declared: in a build's
	// failure at its line, in Accept's refusal (from the manifest, which
	// has no lines) at its policy's file. Both said test "".
	t.Run("unnamed test", func(t *testing.T) {
		unnamed := map[string]string{
			"a.rpl":      "package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n",
			"a_test.rpl": "package a\n\ntest \"\" {\n  expect route({}).target == \"z\"\n}\n",
		}
		dir := write(t, unnamed)
		res, err := Build(dir, BuildOptions{})
		if !errors.Is(err, ErrTestsFailed) || len(res.Failures) != 1 {
			t.Fatalf("%v %v", err, res.Failures)
		}
		if f := res.Failures[0].String(); !strings.Contains(f, `a_test.rpl:3:1: (unnamed test at `) || !strings.Contains(f, `a_test.rpl:3): `) {
			t.Errorf("failure: %s", f)
		}
		res, err = Build(dir, BuildOptions{SkipTests: true})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Accept(context.Background(), res.Data, ReadOptions{}, nil, rpl.Limits{})
		if !errors.Is(err, ErrTestsFailed) || !strings.Contains(err.Error(), "policy a, (unnamed test at a.rpl): ") {
			t.Errorf("Accept: %v", err)
		}
	})
	t.Run("skip tests", func(t *testing.T) {
		res, err := Build(write(t, failing), BuildOptions{SkipTests: true})
		if err != nil || !res.Bundle.Manifest.TestsSkipped || res.Tests != 0 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("duplicate ids", func(t *testing.T) {
		// RPL216, a diagnostic like the others of the check, which rplc
		// check reports as well (lang.CheckPolicyIDs).
		res, err := Build(write(t, map[string]string{
			"a.rpl":     "package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n",
			"sub/b.rpl": "package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n",
		}), BuildOptions{})
		if !errors.Is(err, ErrCheckFailed) || res.Data != nil || len(res.Diags) != 1 {
			t.Fatalf("%v %v", err, res.Diags)
		}
		if d := res.Diags[0]; d.Code != lang.CodeDuplicateID || d.Error() != "sub/b.rpl:1:9: error[RPL216]: policy id a is also the package of a.rpl (policy ids must be unique)" {
			t.Errorf("%s %v", d.Code, d)
		}
	})
	t.Run("libraries", func(t *testing.T) {
		res, err := Build(write(t, map[string]string{
			"a.rpl":          "package a\n\nimport \"lib/common\"\n\nfn route(r: Request) -> Decision = to(common.target)\n",
			"lib/common.rpl": "package common\n\nconst target = \"x:y\"\n",
		}), BuildOptions{})
		if err != nil || len(res.Bundle.Policies) != 1 || len(res.Bundle.Policies[0].Sources) != 2 {
			t.Fatalf("%v", err)
		}
		res, err = Build(write(t, map[string]string{"lone.rpl": "package lone\n\nconst x = 1\n", "a.rpl": "package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n"}), BuildOptions{})
		if !errors.Is(err, ErrCheckFailed) || len(res.Diags) != 1 || res.Diags[0].Code != lang.CodeNoRoute || !strings.HasPrefix(res.Diags[0].Error(), "lone.rpl:1:1: error[RPL212]: no route function") {
			t.Errorf("orphan library: %v %v", err, res.Diags)
		}
	})
	t.Run("bad catalogue", func(t *testing.T) {
		_, err := Build(write(t, map[string]string{
			"a.rpl":          "package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n",
			"catalogue.json": `{"providers": [{"nme": "x"}]}`,
		}), BuildOptions{})
		if err == nil || !strings.Contains(err.Error(), "catalogue.json:1:24: error[RPL217]: providers[0].nme: unknown field (did you mean name?)") {
			t.Errorf("%v", err)
		}
	})
	t.Run("bad tenants", func(t *testing.T) {
		for tenants, want := range map[string]string{
			`{"tenants": [{"id": "t", "parent": ["x"]}]}`:                                 "tenants.json:1:36: error[RPL217]: tenants[0].parent: unknown field (did you mean parents?)",
			`{"tenants": [{"id": "t", "policy": "b"}]}`:                                   "tenants.json:1:36: error[RPL217]: tenants[0].policy: tenant \"t\" names policy \"b\", which does not exist",
			`{"tenants": [{"id": "t", "budget": {"daily": "x"}}]}`:                        `tenants.json:1:46: error[RPL217]: tenants[0].budget.daily: want money ("$500" or "500"), have "x"`,
			`{"tenants": [{"id": "t", "budget": {"daily": "$0.0000000001"}}]}`:            `tenants.json:1:46: error[RPL217]: tenants[0].budget.daily: $0.0000000001 has more than 9 decimals`,
			`{"tenants": [{"id": "t", "parents": ["u"]}, {"id": "u", "parents": ["t"]}]}`: "tenants.json:1:69: error[RPL217]: tenants[1].parents[0]: tenant \"t\" is its own ancestor: \"t\" → \"u\" → \"t\"",
			`{"tenants": [`: "tenants.json:1:14: error[RPL217]: invalid JSON",
		} {
			_, err := Build(write(t, map[string]string{
				"a.rpl":        "package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n",
				"tenants.json": tenants,
			}), BuildOptions{})
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", tenants, err, want)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		// A directory holding no .rpl file: the error RPL218.
		res, err := Build(t.TempDir(), BuildOptions{})
		if !errors.Is(err, ErrCheckFailed) || res == nil || len(res.Diags) != 1 || res.Diags[0].Code != lang.CodeNoFiles {
			t.Errorf("%v, %v", err, res)
		}
	})
}

// TestBuildSkipsHiddenFiles: an editor's lock file (emacs's .#x.rpl, a
// dangling symlink while a buffer is modified) and other hidden files
// are not built.
func TestBuildSkipsHiddenFiles(t *testing.T) {
	dir := exampleDir(t)
	if err := os.Symlink("user@host.1234:1700000000", filepath.Join(dir, ".#default.rpl")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".draft.rpl"), []byte("package draft\n\nnot a policy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(dir, BuildOptions{Built: built}); err != nil {
		t.Fatalf("a directory with hidden files: %v", err)
	}
}

// TestBuildSymlinkedDir: a directory given as a symlink to it (a
// deployment's current link) builds its target's policies.
func TestBuildSymlinkedDir(t *testing.T) {
	link := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(exampleDir(t), link); err != nil {
		t.Fatal(err)
	}
	res, err := Build(link, BuildOptions{Built: built})
	if err != nil {
		t.Fatalf("a symlinked directory: %v", err)
	}
	if len(res.Bundle.Policies) == 0 {
		t.Fatal("no policies built")
	}
}
