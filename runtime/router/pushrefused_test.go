package router_test

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestPushRefusedOneLine: a push refused is logged as one line saying
// so, and what came of it: a router of another key, started after
// pushes signed with the wrong one, walks back through the key's
// history to the newest revision it takes, and says in one line that
// the newest was refused, which earlier ones were (why, when not for
// the newest's reason), and which it activated in its place; a push refused later, that the running
// version stays. It logged an ERROR "pushed bundle" per revision refused
// (4 for one push), none saying what the router then ran.
func TestPushRefusedOneLine(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	_, nc := natsServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	push := func(key ed25519.PrivateKey) {
		t.Helper()
		if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, buildPushed(t, "pushed", bundle.BuildOptions{Key: key}).Data); err != nil {
			t.Fatal(err)
		}
	}
	push(priv)      // revision 1, the router's key
	push(nil)       // 2, unsigned
	push(otherPriv) // 3 and 4, another key
	push(otherPriv)
	var logs logBuffer
	r := startRouter(t, router.Options{Policies: copyExamples(t), PublicKey: pub, DataDir: t.TempDir(), NATSURL: nc.ConnectedUrl(), HTTP: "-", NoLog: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitUntil(t, "the bucket handled", r.BundleSynced)
	errors := func() []string {
		var lines []string
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "level=ERROR") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	lines := errors()
	if len(lines) != 1 || !strings.Contains(lines[0], `msg="pushed bundle refused; an earlier revision activated in its place"`) || !strings.Contains(lines[0], "source=nats:rpl_bundles/current@4 ") ||
		!strings.Contains(lines[0], `earlier_refused="3, 2"`) || !strings.Contains(lines[0], "activated=nats:rpl_bundles/current@1") || !strings.Contains(lines[0], "signature does not verify") ||
		!strings.Contains(lines[0], `earlier_errors="revision 2: `) || !strings.Contains(lines[0], "not signed") || strings.Contains(lines[0], "revision 3: ") {
		t.Fatalf("the walk back through the history, logged as:\n%s", strings.Join(lines, ""))
	}
	push(otherPriv) // revision 5: the running version stays
	waitUntil(t, "the refusal logged", func() bool { return len(errors()) == 2 })
	if l := errors()[1]; !strings.Contains(l, `msg="pushed bundle refused; the running version stays"`) || !strings.Contains(l, "source=nats:rpl_bundles/current@5 ") || strings.Contains(l, "earlier_refused") {
		t.Errorf("a push refused, logged as:\n%s", l)
	}
}
