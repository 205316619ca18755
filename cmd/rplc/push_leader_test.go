package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestPushLeaderLost: a push, and a rollback, made through a server of a
// JetStream cluster just after the server leading both JetStream and the
// bundle bucket's stream is stopped succeed once they have new leaders,
// within --timeout (the default, 10 s). Push's one look-up of the bucket,
// waiting all of --timeout, went to the lost leader, was never answered
// and failed at --timeout ("bundle bucket rpl_bundles: context deadline
// exceeded"), though new leaders were elected in a second or two; the
// requests are now tried again.
func TestPushLeaderLost(t *testing.T) {
	ns := natstest.Cluster(t, 3, 0)
	files := []string{examplesBundle(t), filepath.Join(t.TempDir(), "p1.rplb")}
	src := t.TempDir()
	ents, _ := os.ReadDir("../../examples/policies")
	for _, e := range ents {
		data, _ := os.ReadFile(filepath.Join("../../examples/policies", e.Name()))
		os.WriteFile(filepath.Join(src, e.Name()), data, 0o644)
	}
	os.WriteFile(filepath.Join(src, "extra.rpl"), []byte("package extra\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\").because(\"extra\")\n"), 0o644)
	res, err := bundle.Build(src, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(files[1], res.Data, 0o644)
	run := func(url string, args ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append(args, "--nats-url", url), nil, &out, &errb); code != exitOK {
			t.Fatalf("%s through %s: exit %d: %s%s", args[0], url, code, out.String(), errb.String())
		}
	}
	run(ns[0].ClientURL(), "push", files[0], "--replicas", "3")
	run(ns[0].ClientURL(), "push", files[1])
	stopped, left := natstest.StopLeader(t, ns, "KV_"+natsx.BundleBucket)
	run(left.ClientURL(), "push", files[0])
	// Back, and the leader stopped again.
	ns[slices.Index(ns, stopped)] = natstest.Restart(t, stopped)
	_, left = natstest.StopLeader(t, ns, "KV_"+natsx.BundleBucket)
	run(left.ClientURL(), "rollback")
}
