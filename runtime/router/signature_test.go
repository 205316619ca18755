package router_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestRequireSignedBundle: with a public key configured, the router
// refuses an unsigned bundle and one signed with another key, and serves
// one signed with its key.
func TestRequireSignedBundle(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	dir := copyExamples(t)
	write := func(name string, key ed25519.PrivateKey) string {
		res, err := bundle.Build(dir, bundle.BuildOptions{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, res.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		key  ed25519.PrivateKey
		want string // "" for success, else a substring of the error
	}{
		{"unsigned.rplb", nil, "unsigned"},
		{"other.rplb", otherPriv, "signature"},
		{"signed.rplb", priv, ""},
	} {
		r, err := router.Start(context.Background(), router.Options{Bundle: write(c.name, c.key), PublicKey: pub, DataDir: t.TempDir(), NoNATS: true, HTTP: "127.0.0.1:0", Logger: quiet()})
		if c.want == "" {
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if r.Engine.Current() == nil {
				t.Fatalf("%s: no active version", c.name)
			}
			r.Shutdown(context.Background())
			continue
		}
		// Start logs a bad --bundle and goes on without a version; the
		// refusal is in the engine's status.
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		active, st := r.Engine.Current() != nil, r.Engine.Status()
		r.Shutdown(context.Background())
		if active {
			t.Fatalf("%s: activated without a valid signature", c.name)
		}
		if !strings.Contains(strings.ToLower(st.LastError), c.want) || st.ReloadFailures != 1 {
			t.Errorf("%s: last error %q (%d failures), want one mentioning %q", c.name, st.LastError, st.ReloadFailures, c.want)
		}
	}
}

// TestRequireSignedPushed: with a public key, a router refuses a pushed
// bundle that is unsigned or signed with another key (recorded in its
// status, the running version stays) and activates one signed with its
// key.
func TestRequireSignedPushed(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	r, err := router.Start(context.Background(), router.Options{PublicKey: pub, DataDir: t.TempDir(), NATSListen: "127.0.0.1:0", HTTP: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	signed := buildPushed(t, "pushed", bundle.BuildOptions{Key: priv})
	for i, c := range []struct {
		name string
		key  ed25519.PrivateKey
		want string
	}{{"unsigned", nil, "not signed"}, {"other key", otherPriv, "signature"}} {
		pushTo(t, r, buildPushed(t, "pushed", bundle.BuildOptions{Key: c.key}).Data)
		waitUntil(t, "the refusal of the "+c.name+" bundle", func() bool { return r.Engine.Status().ReloadFailures == int64(i+1) })
		if st := r.Engine.Status(); r.Engine.Ready() || !strings.Contains(st.LastError, c.want) {
			t.Fatalf("%s bundle: ready %v, last error %q, want one mentioning %q", c.name, r.Engine.Ready(), st.LastError, c.want)
		}
	}
	rev := pushTo(t, r, signed.Data)
	waitUntil(t, "the signed bundle", func() bool { return r.BundleRevision() == rev })
	if v := r.Engine.Current().Version; v != signed.Bundle.Version() {
		t.Fatalf("version %.12s, want the signed bundle's %.12s", v, signed.Bundle.Version())
	}
}

// TestRequireSignedLastGood: with a public key, the last good copy on
// disk is activated at start only when it is signed with that key.
func TestRequireSignedLastGood(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	for _, c := range []struct {
		name string
		key  ed25519.PrivateKey
		ok   bool
	}{{"unsigned", nil, false}, {"other key", otherPriv, false}, {"signed", priv, true}} {
		data := t.TempDir()
		res := buildPushed(t, "lastgood", bundle.BuildOptions{Key: c.key})
		if err := os.WriteFile(filepath.Join(data, router.LastGoodBundle), res.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		// Embedded NATS open to pushes and no policy source: Start
		// succeeds with or without a version.
		r, err := router.Start(context.Background(), router.Options{PublicKey: pub, DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "-", Logger: quiet()})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		s := r.Engine.Current()
		r.Shutdown(context.Background())
		switch {
		case c.ok && (s == nil || s.Version != res.Bundle.Version()):
			t.Errorf("%s last good copy not activated", c.name)
		case !c.ok && s != nil:
			t.Errorf("%s last good copy activated (%.12s)", c.name, s.Version)
		}
	}
}

// TestRequireSignedLastGoodDir: the last good directory that a run from
// --policies keeps is not signed. A restart with a public key and no
// --policies (bundles from the bucket only) activates nothing from it,
// lists no version, and drops the record of what the run took from its
// sources; one with --policies too (which takes directories unsigned)
// activates it, as when the directory fails to build.
func TestRequireSignedLastGoodDir(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	data, dir := t.TempDir(), copyExamples(t)
	r, err := router.Start(context.Background(), router.Options{Policies: dir, DataDir: data, NoNATS: true, HTTP: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	v1 := r.Engine.Current().Version
	r.Shutdown(context.Background())
	if _, err := os.Stat(filepath.Join(data, router.LastGoodDir)); err != nil {
		t.Fatalf("no last good directory: %v", err)
	}

	r, err = router.Start(context.Background(), router.Options{PublicKey: pub, DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	v := getPolicies(t, r.HTTPAddr())
	r.Shutdown(context.Background())
	if v.Status.Ready || len(v.Versions) != 0 {
		t.Errorf("the unsigned last good directory activated: ready %v, versions %+v", v.Status.Ready, v.Versions)
	}
	if v.Sources.Local != nil {
		t.Errorf("the unusable last good version's sources taken up: %+v", v.Sources.Local)
	}

	os.WriteFile(filepath.Join(dir, "broken.rpl"), []byte("package broken\nfn route(r: Request) -> Decision = to(r.nope)\n"), 0o644)
	r, err = router.Start(context.Background(), router.Options{Policies: dir, PublicKey: pub, DataDir: data, NoNATS: true, HTTP: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Engine.Current()
	r.Shutdown(context.Background())
	if s == nil || s.Version != v1 {
		t.Errorf("with --policies, the last good directory not activated: %v", s)
	}
}
