package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestPush pushes a bundle to an embedded NATS server over TCP and reads
// it back from the bucket; an invalid file is refused before it is sent.
func TestPush(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	res, err := bundle.Build("../../examples/policies", bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "p.rplb")
	os.WriteFile(file, res.Data, 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"push", file, "--nats-url", ns.ClientURL()}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "rpl_bundles/current revision 1") || !strings.Contains(out.String(), res.Bundle.Version()) {
		t.Errorf("output: %s", out.String())
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	ent, err := kv.Get(context.Background(), natsx.BundleKey)
	if err != nil || !bytes.Equal(ent.Value(), res.Data) {
		t.Fatalf("bucket: %v", err)
	}

	bad := filepath.Join(dir, "bad.rplb")
	os.WriteFile(bad, []byte("not a bundle"), 0o644)
	errb.Reset()
	if code := run([]string{"push", bad, "--nats-url", ns.ClientURL()}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "bad.rplb") {
		t.Fatalf("bad bundle: exit %d: %s", code, errb.String())
	}
	if ent, _ := kv.Get(context.Background(), natsx.BundleKey); ent.Revision() != 1 {
		t.Fatal("the bad bundle was pushed")
	}
	if code := run([]string{"push"}, nil, &out, &errb); code != exitUsage {
		t.Fatalf("no argument: exit %d", code)
	}
}
