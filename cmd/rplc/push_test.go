package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/internal/testcert"
	"github.com/rpl-lang/rpl/runtime"
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
	errb.Reset()
	if code := run([]string{"push", file, "--nats-url", ns.ClientURL(), "--replicas", "6"}, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "push: --replicas 6: want 1 to 5 copies") {
		t.Fatalf("--replicas 6: exit %d: %s", code, errb.String())
	}
	// A bucket that exists cannot have its copies raised on a lone server:
	// push says so, with the command, and pushes; one to create with three
	// cannot be, and push says why.
	errb.Reset()
	if code := run([]string{"push", file, "--nats-url", ns.ClientURL(), "--replicas", "3"}, nil, &out, &errb); code != exitOK || !strings.Contains(errb.String(), "rplc push: warning: fewer copies of the bundle bucket than asked: bundle bucket rpl_bundles has 1, 3 asked, and raising them failed: ") || !strings.Contains(errb.String(), "(nats stream edit KV_rpl_bundles --replicas 3 raises them)") {
		t.Fatalf("--replicas 3, the bucket there: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"push", file, "--nats-url", ns.ClientURL(), "--replicas", "3", "--bucket", "other"}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "bundle bucket other: nats: API error: code=500 err_code=10074 description=replicas > 1 not supported in non-clustered mode (3 copies asked of a server that is no JetStream cluster's)") {
		t.Fatalf("--replicas 3, a bucket to create: exit %d: %s", code, errb.String())
	}
	// --timeout 0 is the default, as for every limit and time, not a
	// deadline already past.
	errb.Reset()
	if code := run([]string{"push", file, "--nats-url", ns.ClientURL(), "--timeout", "0"}, nil, &out, &errb); code != exitOK {
		t.Fatalf("--timeout 0: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"rollback", "--nats-url", ns.ClientURL(), "--timeout", "0"}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "no earlier bundle") {
		t.Fatalf("rollback --timeout 0: exit %d: %s", code, errb.String())
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
	if code := run([]string{"rollback", "--nats-url", url}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "no earlier bundle") ||
		!strings.Contains(errb.String(), "to go back to what the routers ran before the first push, push it") {
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

	// A corrupt push (which routers refuse) is rolled back from as a
	// revision that is not a bundle, not as an empty version.
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), natsx.BundleKey, []byte("not a bundle")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"rollback", "--nats-url", url}, nil, &out, &errb); code != exitOK {
		t.Fatalf("rollback from a corrupt revision: exit %d: %s", code, errb.String())
	}
	want = fmt.Sprintf("rolled rpl_bundles/current back from revision 4, which is not a valid bundle (routers refused it and kept their version) to version %s (revision 3), now revision 5", versions[0])
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want %q", out.String(), want)
	}

	// --version must look like a version, checked before NATS is asked.
	for _, bad := range []string{"abc", "zz-not-hex", strings.Repeat("a", 65)} {
		errb.Reset()
		if code := run([]string{"rollback", "--nats-url", "nats://127.0.0.1:1", "--version", bad}, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "invalid --version") {
			t.Errorf("--version %s: exit %d: %s", bad, code, errb.String())
		}
	}
	// --version names the version to put back: the second bundle, two
	// revisions back; the current one is refused.
	errb.Reset()
	if code := run([]string{"rollback", "--nats-url", url, "--version", versions[0][:8]}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "is the current one") {
		t.Fatalf("rollback --version of the current one: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"rollback", "--nats-url", url, "--version", versions[1][:8]}, nil, &out, &errb); code != exitOK {
		t.Fatalf("rollback --version: exit %d: %s", code, errb.String())
	}
	want = fmt.Sprintf("rolled rpl_bundles/current back from version %s (revision 5) to version %s (revision 2), now revision 6", versions[0], versions[1])
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

// TestRollbackSigned: for routers that require signed bundles, rollback
// --public-key passes over the revisions they refused (unsigned, signed
// with another key) and puts back the latest one signed with the key;
// without the key it refuses to put an unsigned bundle back over a signed
// one, and says how to do it; a bad key file is an error. Nothing is
// written when it fails.
func TestRollbackSigned(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	url, dir := ns.ClientURL(), t.TempDir()
	privPEM, pubPEM, err := bundle.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := bundle.ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	otherPEM, _, _ := bundle.GenerateKey(nil)
	pubFile := filepath.Join(dir, "release.key.pub")
	os.WriteFile(pubFile, pubPEM, 0o644)
	otherPriv, err := bundle.ParsePrivateKey(otherPEM)
	if err != nil {
		t.Fatal(err)
	}

	// build writes a bundle of the examples plus policy id, signed with key.
	build := func(id string, key []byte) (string, string) {
		src := t.TempDir()
		ents, _ := os.ReadDir("../../examples/policies")
		for _, e := range ents {
			data, _ := os.ReadFile(filepath.Join("../../examples/policies", e.Name()))
			os.WriteFile(filepath.Join(src, e.Name()), data, 0o644)
		}
		os.WriteFile(filepath.Join(src, id+".rpl"), []byte("package "+id+"\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"), 0o644)
		opts := bundle.BuildOptions{}
		if key != nil {
			opts.Key = key
		}
		res, err := bundle.Build(src, opts)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, id+".rplb")
		os.WriteFile(f, res.Data, 0o644)
		return f, res.Bundle.Version()
	}
	var out, errb bytes.Buffer
	push := func(f string, args ...string) {
		t.Helper()
		if code := run(append([]string{"push", f, "--nats-url", url}, args...), nil, &out, &errb); code != exitOK {
			t.Fatalf("push %s: exit %d: %s", f, code, errb.String())
		}
	}
	rollback := func(args ...string) (int, string) {
		out.Reset()
		errb.Reset()
		code := run(append([]string{"rollback", "--nats-url", url}, args...), nil, &out, &errb)
		return code, out.String() + errb.String()
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	revision := func() uint64 {
		kv, err := js.KeyValue(context.Background(), natsx.BundleBucket)
		if err != nil {
			t.Fatal(err)
		}
		ent, err := kv.Get(context.Background(), natsx.BundleKey)
		if err != nil {
			t.Fatal(err)
		}
		return ent.Revision()
	}

	unsigned, _ := build("unsigned", nil)
	signed1, v1 := build("signed1", priv)
	otherKey, _ := build("other", otherPriv)
	signed2, v2 := build("signed2", priv)

	// push --public-key sends only a bundle signed with the key.
	for _, f := range []string{unsigned, otherKey} {
		out.Reset()
		errb.Reset()
		if code := run([]string{"push", f, "--nats-url", url, "--public-key", pubFile}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), filepath.Base(f)) || !strings.Contains(errb.String(), "sign") {
			t.Fatalf("push %s --public-key: exit %d: %s%s", f, code, out.String(), errb.String())
		}
	}
	if _, err := js.KeyValue(context.Background(), natsx.BundleBucket); err == nil {
		t.Fatal("a refused push created the bucket")
	}

	// The routers refused revision 1 and activated revision 2: there is
	// nothing signed to roll back to.
	push(unsigned)
	push(signed1)
	if code, msg := rollback("--public-key", pubFile); code != exitFail || !strings.Contains(msg, "no earlier bundle") || !strings.Contains(msg, "not signed with key") {
		t.Fatalf("rollback over a refused unsigned revision: exit %d: %s", code, msg)
	}
	// Without the key, the unsigned revision is not put back.
	if code, msg := rollback(); code != exitFail || !strings.Contains(msg, "revision 1") || !strings.Contains(msg, "unsigned") || !strings.Contains(msg, "--public-key") {
		t.Fatalf("rollback to an unsigned revision: exit %d: %s", code, msg)
	}
	if rev := revision(); rev != 2 {
		t.Fatalf("a refused rollback wrote revision %d", rev)
	}

	// Without the key, push does not replace a signed bundle with one
	// unsigned or signed with another key, which the routers requiring
	// the key would refuse; --unverified pushes it all the same.
	for _, f := range []string{unsigned, otherKey} {
		out.Reset()
		errb.Reset()
		if code := run([]string{"push", f, "--nats-url", url}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "revision 2 (version "+v1+") is signed with key") || !strings.Contains(errb.String(), "--unverified") {
			t.Fatalf("push %s over a signed bundle: exit %d: %s%s", f, code, out.String(), errb.String())
		}
	}
	if rev := revision(); rev != 2 {
		t.Fatalf("a refused push wrote revision %d", rev)
	}

	// Revisions 3 (another key, refused) and 4 (signed, active): the
	// rollback with the key goes back to revision 2.
	push(otherKey, "--unverified")
	push(signed2, "--public-key", pubFile)
	if code, msg := rollback("--public-key", pubFile); code != exitOK || !strings.Contains(msg, fmt.Sprintf("from version %s (revision 4) to version %s (revision 2), now revision 5", v2, v1)) {
		t.Fatalf("rollback with the key: exit %d: %s", code, msg)
	}
	// Without the key, from revision 5 the next one back is revision 4's
	// signed2, signed with the same key: allowed.
	if code, msg := rollback(); code != exitOK || !strings.Contains(msg, "to version "+v2+" (revision 4), now revision 6") {
		t.Fatalf("rollback between signed revisions without the key: exit %d: %s", code, msg)
	}
	// Without the key, signed with another key is refused too.
	push(otherKey, "--unverified")         // revision 7: refused by the routers
	push(signed1, "--public-key", pubFile) // revision 8
	if code, msg := rollback(); code != exitFail || !strings.Contains(msg, "revision 7") || !strings.Contains(msg, "signed with key") {
		t.Fatalf("rollback to another key's bundle: exit %d: %s", code, msg)
	}

	for _, c := range []struct {
		file, want string
		code       int
	}{
		{filepath.Join(dir, "missing.pub"), "missing.pub", exitUsage},
		{unsigned, "--public-key " + unsigned, exitFail},
	} {
		if code, msg := rollback("--public-key", c.file); code != c.code || !strings.Contains(msg, c.want) {
			t.Fatalf("--public-key %s: exit %d: %s", c.file, code, msg)
		}
	}
	if rev := revision(); rev != 8 {
		t.Fatalf("failed rollbacks wrote: revision %d", rev)
	}

	// Revisions 9 (unsigned, refused by routers requiring the key) and 10
	// (not a bundle): without the key, the unsigned one is not put back
	// either, the signatures being those of revision 8.
	push(unsigned, "--unverified")
	kv, err := js.KeyValue(context.Background(), natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(context.Background(), natsx.BundleKey, []byte("not a bundle")); err != nil {
		t.Fatal(err)
	}
	if code, msg := rollback(); code != exitFail || !strings.Contains(msg, "revision 9") || !strings.Contains(msg, "is unsigned, and the current revision is not a bundle: revision 8, the newest signed before it, is signed with key") {
		t.Fatalf("rollback from a corrupt revision to an unsigned one: exit %d: %s", code, msg)
	}
	if rev := revision(); rev != 10 {
		t.Fatalf("a refused rollback wrote revision %d", rev)
	}
	if code := run([]string{"push", signed2, "--nats-url", url, "--public-key", pubFile}, nil, &out, &errb); code != exitOK || revision() != 11 {
		t.Fatalf("push of a signed bundle with its key: exit %d: %s", code, errb.String())
	}
}

// TestPushTestsFail: a bundle whose tests fail (built with --skip-tests),
// which every router refuses, is not pushed, and rollback passes over one
// in the bucket (both said "pushed" and "rolled back", exit 0, and the
// fleet stayed where it was; found by a review).
func TestPushTestsFail(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	url := ns.ClientURL()
	dir := t.TempDir()
	build := func(name, decision string) (string, string) {
		t.Helper()
		src := t.TempDir()
		os.WriteFile(filepath.Join(src, "p.rpl"), []byte("package p\n\nfn route(r: Request) -> Decision = "+decision+"\n"), 0o644)
		os.WriteFile(filepath.Join(src, "p_test.rpl"), []byte("package p\n\ntest \"openai\" {\n  expect route({}).target == \"openai:gpt-4o\"\n}\n"), 0o644)
		res, err := bundle.Build(src, bundle.BuildOptions{SkipTests: true})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, name)
		os.WriteFile(f, res.Data, 0o644)
		return f, res.Bundle.Version()
	}
	good, goodVersion := build("good.rplb", `to("openai:gpt-4o")`)
	failing, _ := build("failing.rplb", `to("mistral:large")`)
	var out, errb bytes.Buffer
	if code := run([]string{"push", failing, "--nats-url", url}, nil, &out, &errb); code != exitFail ||
		!strings.Contains(errb.String(), `failing.rplb: tests failed (routers refuse it): 1 of 1 tests: policy p, test "openai": p_test.rpl:4:3: route({}).target: expected "openai:gpt-4o", got "mistral:large"`) {
		t.Fatalf("push of a failing bundle: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"push", good, "--nats-url", url}, nil, &out, &errb); code != exitOK {
		t.Fatalf("push: exit %d: %s", code, errb.String())
	}

	// A failing bundle put in the bucket by other means, then a good one.
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	data, _ := os.ReadFile(failing)
	if _, err := natsx.PushBundle(context.Background(), nc, natsx.BundleBucket, natsx.BundleKey, 0, data); err != nil {
		t.Fatal(err)
	}
	other, otherVersion := build("other.rplb", `to("openai:gpt-4o").because("other")`)
	data, _ = os.ReadFile(other)
	if _, err := natsx.PushBundle(context.Background(), nc, natsx.BundleBucket, natsx.BundleKey, 0, data); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"rollback", "--nats-url", url}, nil, &out, &errb); code != exitOK {
		t.Fatalf("rollback: exit %d: %s", code, errb.String())
	}
	want := fmt.Sprintf("back from version %s (revision 3) to version %s (revision 1), now revision 4", otherVersion, goodVersion)
	if !strings.Contains(out.String(), want) {
		t.Errorf("output %q, want %q", out.String(), want)
	}
}

// TestPushLimits: push runs the bundle's tests under --fuel and --memory,
// and refuses a bundle whose tests exhaust them, naming the test; the
// same bundle passes under the defaults, as a router runs its tests
// whatever its own --fuel and --memory (bundle.TestLimits, as rplc build
// runs them).
func TestPushLimits(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	url := ns.ClientURL()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "p.rpl"), []byte("package p\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\").because(\"the \" + \"default\")\n"), 0o644)
	os.WriteFile(filepath.Join(src, "p_test.rpl"), []byte("package p\n\ntest \"openai\" {\n  expect route({}).target == \"openai:gpt-4o\"\n}\n"), 0o644)
	res, err := bundle.Build(src, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.rplb")
	os.WriteFile(file, res.Data, 0o644)
	for _, c := range []struct {
		flag, value string
		limits      rpl.Limits
		want        string
	}{
		{"--fuel", "5", rpl.Limits{Fuel: 5}, `p.rplb: tests failed (routers refuse it): 1 of 1 tests: policy p, test "openai": p_test.rpl:4:20: fuel exhausted (limit 5)`},
		{"--memory", "1", rpl.Limits{Memory: 1}, `p.rplb: tests failed (routers refuse it): 1 of 1 tests: policy p, test "openai": p_test.rpl:4:16: stack overflow (5 value slots, 120 bytes: more than the memory limit of 1)`},
	} {
		var out, errb bytes.Buffer
		if code := run([]string{"push", file, "--nats-url", url, c.flag, c.value}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), c.want) {
			t.Errorf("push %s %s: exit %d: %s", c.flag, c.value, code, errb.String())
		}
		// A router started with the same flag takes the bundle, as
		// rplc build did: the flag bounds its decisions, not the tests.
		e, err := runtime.New(runtime.Config{Limits: c.limits})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.BuildBundle(context.Background(), file, res.Data, bundle.ReadOptions{}); err != nil {
			t.Errorf("a router with %s %s refuses the bundle rplc build made: %v", c.flag, c.value, err)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"push", file, "--nats-url", url, "--fuel", "0", "--memory", "0"}, nil, &out, &errb); code != exitOK ||
		!strings.Contains(out.String(), "rpl_bundles/current revision 1") {
		t.Fatalf("push under the default limits: exit %d: %s%s", code, out.String(), errb.String())
	}

	// rollback runs the candidates' tests under the same flags: under
	// --fuel 5 revision 1 is no candidate, under the defaults it is.
	os.WriteFile(filepath.Join(src, "p.rpl"), []byte("package p\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\").because(\"second\")\n"), 0o644)
	res2, err := bundle.Build(src, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, res2.Data, 0o644)
	if code := run([]string{"push", file, "--nats-url", url}, nil, &out, &errb); code != exitOK {
		t.Fatalf("second push: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"rollback", "--nats-url", url, "--fuel", "5"}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "fuel exhausted (limit 5)") {
		t.Errorf("rollback --fuel 5: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"rollback", "--nats-url", url}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "revision 1") {
		t.Errorf("rollback under the default limits: exit %d: %s%s", code, out.String(), errb.String())
	}
}

// TestPushNoJetStream: push and rollback to a NATS deployment without
// JetStream say that the bundle bucket needs it; they said "nats: no
// responders available for request" only. A URL's token is a secret:
// an error naming the URL (a server that cannot be reached) hides it.
func TestPushNoJetStream(t *testing.T) {
	ns := startServer(t, &server.Options{})
	file := examplesBundle(t)
	for _, args := range [][]string{{"push", file}, {"rollback"}} {
		var out, errb bytes.Buffer
		if code := run(append(args, "--nats-url", ns.ClientURL()), nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "no JetStream") {
			t.Errorf("%s: exit %d: %s", args[0], code, errb.String())
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there
	var out, errb bytes.Buffer
	if code := run([]string{"push", file, "--nats-url", "nats://s3cret-token@" + addr}, nil, &out, &errb); code != exitFail || strings.Contains(errb.String(), "s3cret") || !strings.Contains(errb.String(), addr) {
		t.Errorf("unreachable: exit %d: %s", code, errb.String())
	}
}

// TestPushKeyTooLong: a key that makes a subject longer than the server
// takes gets the server's reason and the key's length, for push and for
// rollback, not the bare "connection closed" that the library says once
// the server has closed the connection.
func TestPushKeyTooLong(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	file := examplesBundle(t)
	key := strings.Repeat("k", 5000)
	for _, args := range [][]string{{"push", file}, {"rollback"}} {
		var out, errb bytes.Buffer
		code := run(append(args, "--nats-url", ns.ClientURL(), "--key", key), nil, &out, &errb)
		want := "rplc: the NATS server closed the connection: nats: maximum control line exceeded (the server's max_control_line, 4096 bytes by default, bounds a subject: --key is 5000 bytes)\n"
		if code != exitFail || errb.String() != want {
			t.Errorf("%s: exit %d: %q, want %q", args[0], code, errb.String(), want)
		}
	}
}

// TestPushPermissionDenied: a user the server does not let publish to
// the bucket's subjects is told so: the server's refusal came to the
// client library's handler (which rplc no longer lets print), and the
// push timed out saying only "context deadline exceeded".
func TestPushPermissionDenied(t *testing.T) {
	ns := startServer(t, &server.Options{JetStream: true, StoreDir: t.TempDir(),
		Users: []*server.User{{Username: "ro", Password: "pw", Permissions: &server.Permissions{Publish: &server.SubjectPermission{Deny: []string{"$KV.>"}}}}}})
	file := examplesBundle(t)
	url := strings.Replace(ns.ClientURL(), "nats://", "nats://ro:pw@", 1)
	var out, errb bytes.Buffer
	code := run([]string{"push", file, "--nats-url", url, "--timeout", "2s"}, nil, &out, &errb)
	if code != exitFail || !strings.Contains(errb.String(), "(the NATS server said: nats: permissions violation") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}

// TestPushNamesAgree runs a table of bucket and key names through push's
// early check (bucketNameValid, keyNameValid, copies of nats.go's private
// ones) and through the library, pushing to an embedded server as push
// does (natsx.PushBundle): a name the check refuses the library refuses
// (jetstream.ErrInvalidBucketName, ErrInvalidKey; a bucket name too long
// for its stream, the server), and one it takes is stored. A nats.go
// whose names drift from the copies fails it.
func TestPushNamesAgree(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := []byte("a bundle")
	// early is push's verdict, copied whether its copy of nats.go's own
	// check takes the name, err the push's.
	check := func(what, name string, early, copied bool, err error, invalid error) {
		t.Helper()
		if lib := !errors.Is(err, invalid); copied != lib {
			t.Errorf("%s %q: push's copy of nats.go's check says valid %v, nats.go %v (%v)", what, name, copied, lib, err)
		}
		if early && err != nil {
			t.Errorf("%s %q: valid, but not stored: %v", what, name, err)
		}
		if !early && err == nil {
			t.Errorf("%s %q: invalid, but stored", what, name)
		}
	}
	for _, b := range []string{
		natsx.BundleBucket, "a", "A-b_9", "-", "_", "", "a.b", "a b", "a*", "a>", "a/b", "a=b", "a:b", "ä", "a\n",
		strings.Repeat("b", maxBucketLen), strings.Repeat("b", maxBucketLen+1),
	} {
		_, err := natsx.PushBundle(ctx, nc, b, natsx.BundleKey, 0, data)
		check("bucket", b, bucketNameValid(b), validBucket.MatchString(b), err, jetstream.ErrInvalidBucketName)
	}
	for _, k := range []string{
		natsx.BundleKey, "a", "a.b", "a/b=c_d-e", "A.9", "-", "_", "=", "/", "", ".", ".a", "a.", "a..b",
		"a b", "a*", "a>", "a:b", "ä", "a\t", "a\x00",
	} {
		_, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, k, 0, data)
		check("key", k, keyNameValid(k), keyNameValid(k), err, jetstream.ErrInvalidKey)
	}
}

// TestPushOnePolicy: push counts the bundle's policies as build does, in
// words ("1 policy", not "1 policies").
func TestPushOnePolicy(t *testing.T) {
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "chat.rpl"), []byte("package chat\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n"), 0o644)
	res, err := bundle.Build(src, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "chat.rplb")
	os.WriteFile(file, res.Data, 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"push", file, "--nats-url", ns.ClientURL()}, nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), ": 1 policy, ") {
		t.Errorf("output: %s", out.String())
	}
}

// startServer starts a NATS server on a loopback port with o (host, port,
// logging and signals set here), shut down when the test ends.
func startServer(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	o.Host, o.Port, o.NoLog, o.NoSigs = "127.0.0.1", -1, true, true
	ns, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	return ns
}

// examplesBundle builds the example policies into a bundle file of the
// test's and returns its path.
func examplesBundle(t *testing.T) string {
	t.Helper()
	res, err := bundle.Build("../../examples/policies", bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.rplb")
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestPushURLSecretNotShown: the default of --nats-url, $NATS_URL, is
// shown in push's and rollback's help with its token or password
// redacted, as the errors give it; the default still connects with
// them. The help printed $NATS_URL whole (found by a review of the
// flags' defaults).
func TestPushURLSecretNotShown(t *testing.T) {
	const token = "s3cr3t-t0ken"
	ns := startServer(t, &server.Options{Authorization: token, JetStream: true, StoreDir: t.TempDir()})
	addr := ns.Addr().(*net.TCPAddr)
	t.Setenv("NATS_URL", fmt.Sprintf("nats://%s@127.0.0.1:%d", token, addr.Port))
	for _, args := range [][]string{{"push", "--help"}, {"rollback", "-h"}, {"help", "rollback"}} {
		var out, errb bytes.Buffer
		run(args, nil, &out, &errb)
		all := out.String() + errb.String()
		if strings.Contains(all, token) || !strings.Contains(all, "--nats-url") || !strings.Contains(all, fmt.Sprintf(`"nats://xxxxx@127.0.0.1:%d"`, addr.Port)) {
			t.Errorf("rplc %s: the default of --nats-url not shown redacted:\n%s", strings.Join(args, " "), all)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"push", examplesBundle(t)}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "revision 1") {
		t.Fatalf("push to $NATS_URL: exit %d: %s%s", code, out.String(), errb.String())
	}
}

// TestPushBadURLSecretNotShown: a --nats-url that does not parse (a port
// that is no number) is an error without its token or password, which
// the client library's error had named with the URL whole ('parse
// "nats://TOKEN@h:port": invalid port'; found trying such a URL).
func TestPushBadURLSecretNotShown(t *testing.T) {
	file := examplesBundle(t)
	for _, u := range []string{"nats://s3cr3t@127.0.0.1:port", "nats://user:s3cr3t@127.0.0.1:port", "s3cr3t@127.0.0.1:port"} {
		for _, args := range [][]string{{"push", file}, {"rollback"}} {
			var out, errb bytes.Buffer
			code := run(append(args, "--nats-url", u), nil, &out, &errb)
			if code != exitFail || strings.Contains(errb.String(), "s3cr3t") || !strings.Contains(errb.String(), "xxxxx@127.0.0.1:port") || !strings.Contains(errb.String(), "invalid port") {
				t.Errorf("rplc %s --nats-url %s: exit %d: %s", args[0], u, code, errb.String())
			}
		}
	}
}

// TestPushSecure: push and rollback reach a deployment that requires TLS
// with a client certificate from its CA and a user's credentials,
// through --nats-creds and the TLS flags; without the credentials the
// server refuses them; a credentials file that does not exist is a wrong
// command line, said before the bundle is read or tested.
func TestPushSecure(t *testing.T) {
	s := natstest.StartSecure(t)
	dir := t.TempDir()
	var files []string
	for _, id := range []string{"one", "two"} {
		src := t.TempDir()
		os.WriteFile(filepath.Join(src, id+".rpl"), []byte("package "+id+"\n\nfn route(r: Request) -> Decision = to(\"mistral:large\")\n"), 0o644)
		res, err := bundle.Build(src, bundle.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.Join(dir, id+".rplb"))
		os.WriteFile(files[len(files)-1], res.Data, 0o644)
	}
	secure := []string{"--nats-url", s.URL, "--nats-creds", s.Creds, "--nats-tls-ca", s.CA, "--nats-tls-cert", s.Cert, "--nats-tls-key", s.Key}
	var out, errb bytes.Buffer
	for i, f := range files {
		if code := run(append([]string{"push", f}, secure...), nil, &out, &errb); code != exitOK {
			t.Fatalf("push %d: exit %d: %s", i, code, errb.String())
		}
	}
	if code := run(append([]string{"rollback"}, secure...), nil, &out, &errb); code != exitOK {
		t.Fatalf("rollback: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"push", files[0], "--nats-url", s.URL, "--nats-tls-ca", s.CA, "--nats-tls-cert", s.Cert, "--nats-tls-key", s.Key, "--timeout", "2s"}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "Authorization Violation") {
		t.Errorf("without --nats-creds: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	missing := filepath.Join(dir, "missing.creds")
	if code := run([]string{"push", filepath.Join(dir, "no.rplb"), "--nats-url", s.URL, "--nats-creds", missing}, nil, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "--nats-creds "+missing+": no such file or directory") {
		t.Errorf("a missing credentials file: exit %d: %s", code, errb.String())
	}
}

// TestPushToEmbeddedTLS: rplc push reaches the embedded server of
// rpl-router serve whose listener serves TLS (--nats-listen-tls-cert and
// --nats-listen-tls-key), given the CA that signed its certificate
// (--nats-tls-ca) and its token; without the CA the server's certificate
// is not trusted, and push fails saying so.
func TestPushToEmbeddedTLS(t *testing.T) {
	dir := t.TempDir()
	certs := testcert.Make(t, dir, "")
	ns, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Token: "s3cret", TLSCert: certs.ServerCert, TLSKey: certs.ServerKey})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	res, err := bundle.Build("../../examples/policies", bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "p.rplb")
	os.WriteFile(file, res.Data, 0o644)
	url := strings.Replace(ns.ClientURL(), "tls://", "tls://s3cret@", 1)
	var out, errb bytes.Buffer
	if code := run([]string{"push", file, "--nats-url", url, "--nats-tls-ca", certs.CA}, nil, &out, &errb); code != exitOK || !strings.Contains(out.String(), "revision 1") {
		t.Fatalf("push with the CA: exit %d: %s%s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run([]string{"push", file, "--nats-url", url, "--timeout", "2s"}, nil, &out, &errb); code != exitFail || !strings.Contains(errb.String(), "certificate signed by unknown authority") {
		t.Errorf("push without the CA: exit %d: %s", code, errb.String())
	}
}

// TestPushRaisesReplicas: on a JetStream cluster, push --replicas N
// raises the copies of a bucket that exists with fewer (it said nothing,
// and the bucket kept one copy), says so, and never lowers them; copies
// that cannot be placed (more than the servers) are a warning with the
// command, and the bundle is pushed all the same.
func TestPushRaisesReplicas(t *testing.T) {
	ns := natstest.Cluster(t, 3, 0)
	res, err := bundle.Build("../../examples/policies", bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "p.rplb")
	os.WriteFile(file, res.Data, 0o644)
	url := ns[0].ClientURL()
	nc, js := natstest.JetStream(t, url)
	defer nc.Close()
	replicas := func() int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := js.Stream(ctx, "KV_"+natsx.BundleBucket)
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().Config.Replicas
	}
	for _, c := range []struct {
		args   []string
		stderr string
		want   int
	}{
		{nil, "", 1},
		{[]string{"--replicas", "3"}, "rplc push: bundle bucket rpl_bundles: copies raised from 1 to 3\n", 3},
		{[]string{"--replicas", "1"}, "rplc push: bundle bucket rpl_bundles keeps its 3 copies (--replicas 1: push never lowers them; nats stream edit KV_rpl_bundles --replicas 1 does)\n", 3},
		{[]string{"--replicas", "3"}, "", 3},
		{[]string{"--replicas", "5"}, "rplc push: warning: fewer copies of the bundle bucket than asked: bundle bucket rpl_bundles has 3, 5 asked, and raising them failed: ", 3},
	} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"push", file, "--nats-url", url}, c.args...), nil, &out, &errb); code != exitOK {
			t.Fatalf("%v: exit %d: %s", c.args, code, errb.String())
		}
		if c.stderr == "" && errb.Len() > 0 || !strings.HasPrefix(errb.String(), c.stderr) {
			t.Errorf("%v: stderr %q, want %q", c.args, errb.String(), c.stderr)
		}
		if got := replicas(); got != c.want {
			t.Errorf("%v: %d copies, want %d", c.args, got, c.want)
		}
	}
}
