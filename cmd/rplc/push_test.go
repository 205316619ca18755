package main

import (
	"bytes"
	"context"
	"fmt"
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

// TestRollback pushes two bundles and rolls back to the first; with
// nothing earlier to roll back to, it fails and says why.
func TestRollback(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	dir := t.TempDir()
	var files []string
	var versions []string
	for i, extra := range []string{"", "package extra\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\").because(\"extra\")\n"} {
		src := t.TempDir()
		ents, _ := os.ReadDir("../../examples/policies")
		for _, e := range ents {
			data, _ := os.ReadFile(filepath.Join("../../examples/policies", e.Name()))
			os.WriteFile(filepath.Join(src, e.Name()), data, 0o644)
		}
		if extra != "" {
			os.WriteFile(filepath.Join(src, "extra.rpl"), []byte(extra), 0o644)
		}
		res, err := bundle.Build(src, bundle.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, fmt.Sprintf("p%d.rplb", i))
		os.WriteFile(f, res.Data, 0o644)
		files, versions = append(files, f), append(versions, res.Bundle.Version())
	}
	var out, errb bytes.Buffer
	url := ns.ClientURL()
	if code := run([]string{"push", files[0], "--nats-url", url}, nil, &out, &errb); code != exitOK {
		t.Fatalf("push: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"rollback", "--nats-url", url}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "no earlier bundle") {
		t.Fatalf("rollback of the only bundle: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"push", files[1], "--nats-url", url}, nil, &out, &errb); code != exitOK {
		t.Fatalf("push: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"rollback", "--nats-url", url}, nil, &out, &errb); code != exitOK {
		t.Fatalf("rollback: exit %d: %s", code, errb.String())
	}
	want := fmt.Sprintf("rolled rpl_bundles/current back from version %s (revision 2) to version %s (revision 1), now revision 3", versions[1], versions[0])
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if code := run([]string{"rollback", "extra"}, nil, &out, &errb); code != exitUsage {
		t.Fatalf("an argument: exit %d", code)
	}
}
