package router_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestPushedBundle: a bundle put in the bundle bucket over TCP (as rplc
// push does) becomes the router's version, and stays it after a restart
// without a policy source.
func TestPushedBundle(t *testing.T) {
	data := t.TempDir()
	r, err := router.Start(context.Background(), router.Options{Policies: copyExamples(t), DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())
	v1 := r.Engine.Current().Version

	dir := copyExamples(t)
	os.WriteFile(filepath.Join(dir, "pushed.rpl"), []byte("package pushed\n\nfn route(r: Request) -> Decision = to(\"mistral:large\").because(\"pushed\")\n"), 0o644)
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(r.NATSServer().ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rev, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, res.Data)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); r.BundleRevision() != rev && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if v := r.Engine.Current().Version; v == v1 || v != res.Bundle.Version() || r.BundleRevision() != rev {
		t.Fatalf("version %s (revision %d), want %s (%d)", v, r.BundleRevision(), res.Bundle.Version(), rev)
	}
	body := `{"version": "1", "request_id": "r", "tenant_id": "t", "task": {"type": "chat"}, "policy_id": "pushed"}`
	if out := post(t, r.HTTPAddr(), "/v1/decide", body); !strings.Contains(out, "mistral:large") {
		t.Fatalf("pushed policy: %s", out)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r2, err := router.Start(context.Background(), router.Options{DataDir: data, HTTP: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Shutdown(context.Background())
	if v := r2.Engine.Current().Version; v != res.Bundle.Version() {
		t.Fatalf("after restart: version %s", v)
	}
}
