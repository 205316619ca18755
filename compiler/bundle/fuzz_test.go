package bundle

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/vm"
)

// FuzzBundleRead feeds Read valid bundles (signed and not, format 1 and
// format 2 with a tenant registry), their
// truncations and single-byte corruptions: it must return a bundle or an
// error, never panic, and a bundle it accepts must be self-consistent,
// its manifest's claims true.
func FuzzBundleRead(f *testing.F) {
	key := testKey(f, 7)
	pub := key.Public().(ed25519.PublicKey)
	small := f.TempDir()
	os.WriteFile(filepath.Join(small, "a.rpl"), []byte("package a\n\nfn route(r: Request) -> Decision = to(\"x:y\")\n"), 0o644)
	os.WriteFile(filepath.Join(small, CatalogueFile), []byte(`{"providers": [{"name": "x", "models": [{"name": "y", "input_per_mtok": 1, "output_per_mtok": 2, "latency_ms": 3}]}]}`), 0o644)
	seeds := [][]byte{buildExamples(f, nil), buildExamples(f, key)}
	for _, k := range []ed25519.PrivateKey{nil, key} {
		res, err := Build(small, BuildOptions{Key: k, Built: built})
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, res.Data)
	}
	os.WriteFile(filepath.Join(small, TenantsFile), []byte(`{"tenants": [{"id": "t", "tier": "gold", "parents": ["p"], "policy": "a", "budget": {"monthly": "$5"}}, {"id": "p"}]}`), 0o644)
	for _, k := range []ed25519.PrivateKey{nil, key} {
		res, err := Build(small, BuildOptions{Key: k, Built: built})
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, res.Data)
	}
	seeds = append(seeds, buildTenants(f, nil).Data, buildTenants(f, key).Data)
	for i, data := range seeds {
		k := i%2 == 1
		f.Add(data, k)
		for _, n := range []int{0, 3, 4, 5, 6, 40, 100, len(data) / 3, len(data) / 2, len(data) - 80, len(data) - 1} {
			f.Add(data[:n], k)
		}
		for _, at := range []int{4, 5, 6, 50, len(data) / 2, len(data) - 100} {
			f.Add(flip(data, at), k)
		}
	}
	f.Add([]byte("RPLB\x01"), false)
	f.Add([]byte("RPLB\x01\x01\x00\x02\x00\x03\x00"), false)
	f.Fuzz(func(t *testing.T, data []byte, useKey bool) {
		opts := ReadOptions{}
		if useKey {
			opts.PublicKey = pub
		}
		b, err := Read(data, opts)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if len(b.Policies) != len(b.Manifest.Policies) || b.Size != len(data) {
			t.Fatalf("inconsistent bundle: %d policies, manifest %d", len(b.Policies), len(b.Manifest.Policies))
		}
		for _, p := range b.Policies {
			if p.VM == nil || blobOf(p.Code) != p.Program {
				t.Fatalf("policy %s: unverified program", p.ID)
			}
		}
		if (b.Manifest.Tenants == nil) != (b.Tenants == nil) || b.Tenants != nil && (blobOf(b.Tenants.Data) != *b.Manifest.Tenants || b.Manifest.Format != 2) {
			t.Fatalf("tenants %+v, manifest %+v (format %d)", b.Tenants, b.Manifest.Tenants, b.Manifest.Format)
		}
		// The manifest's claims hold: format 2 exactly with a registry,
		// bytecode the newest of the programs' versions, built in UTC
		// and whole seconds.
		if (b.Manifest.Format == FormatVersion) != (b.Tenants != nil) {
			t.Fatalf("format %d, tenants %v", b.Manifest.Format, b.Tenants != nil)
		}
		newest := vm.MinFormatVersion
		for _, p := range b.Policies {
			if v, ok := vm.ProgramVersion(p.Code); ok {
				newest = max(newest, v)
			}
		}
		if _, off := b.Manifest.Built.Zone(); newest != b.Manifest.Bytecode || off != 0 || b.Manifest.Built.Nanosecond() != 0 {
			t.Fatalf("bytecode %d of programs whose newest is %d, built %v", b.Manifest.Bytecode, newest, b.Manifest.Built)
		}
		if useKey && b.Signed && !b.Verified {
			t.Fatal("signed bundle accepted without verification")
		}
	})
}
