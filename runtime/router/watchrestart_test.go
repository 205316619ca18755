package router_test

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestBundleWatchStallLoggedAndCounted: a bundle watch whose consumer is
// lost (deleted here, lost with a cluster's server there) restarts at
// its resyncs, as it did, and now says so: a warning naming the bucket,
// the key and the revisions, and rpl_bundle_watch_restarts_total
// {reason="stalled"}. The restart was seen only in the watcher's count
// of watches, which nothing exported. On a loaded machine a delivery
// slower than two resyncs is a stall too, restarted and said alike: the
// test wants the lost consumer's restart among those said, each one
// counted.
func TestBundleWatchStallLoggedAndCounted(t *testing.T) {
	router.SetBundleResync(t, 100*time.Millisecond)
	ns, nc := natsServer(t)
	ctx := context.Background()
	logs := &logBuffer{}
	r := startRouter(t, router.Options{Policies: copyExamples(t), DataDir: t.TempDir(), NATSURL: ns.ClientURL(), HTTP: "127.0.0.1:0", NoLog: true,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	waitUntil(t, "the bundle watch's start", r.BundleSynced)
	first, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, buildPushed(t, "first", bundle.BuildOptions{}).Data)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first push", func() bool { return r.BundleRevision() == first })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "KV_"+natsx.BundleBucket)
	if err != nil {
		t.Fatal(err)
	}
	names := st.ConsumerNames(ctx)
	for name := range names.Name() {
		if err := st.DeleteConsumer(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	second, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, buildPushed(t, "second", bundle.BuildOptions{}).Data)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the push after the consumer was lost", func() bool { return r.BundleRevision() == second })
	restarts := regexp.MustCompile(`(?m)^rpl_bundle_watch_restarts_total\{reason="(\w+)"\} (\d+)$`)
	got := map[string]string{}
	for _, m := range restarts.FindAllStringSubmatch(scrape(t, r), -1) {
		got[m[1]] = m[2]
	}
	var lines []string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "bundle watch restarted") {
			lines = append(lines, line)
		}
	}
	if got["stalled"] != strconv.Itoa(len(lines)) || got["reconnected"] != "0" || got["replaced"] != "0" {
		t.Errorf("rpl_bundle_watch_restarts_total: %v, want stalled %d (the restarts logged), the others 0", got, len(lines))
	}
	want := regexp.MustCompile(`level=WARN msg="bundle watch restarted: it was behind the key at two resyncs in a row \(its JetStream consumer lost\); the key's latest revision is delivered now" bucket=rpl_bundles key=current delivered=` + strconv.FormatUint(first, 10) + ` latest=` + strconv.FormatUint(second, 10) + `\n`)
	if !slices.ContainsFunc(lines, want.MatchString) {
		t.Errorf("the restart logged:\n%s\nwant a line matching %s", strings.Join(lines, ""), want)
	}
}
