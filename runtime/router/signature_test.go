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
