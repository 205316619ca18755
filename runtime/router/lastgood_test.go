package router_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestLastGoodAfterCrash: data directories as a crash leaves them. The
// directory's replacement interrupted between its renames (only
// last-good.old/): its former copy is activated, and saved again. Both a bundle and a
// directory (a crash before the other was removed): the one written
// last, whichever it is.
func TestLastGoodAfterCrash(t *testing.T) {
	data := t.TempDir()
	r, err := router.Start(context.Background(), router.Options{Policies: copyExamples(t), DataDir: data, NoNATS: true, HTTP: "-", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	vDir := r.Engine.Current().Version
	r.Shutdown(context.Background())
	dir, file := filepath.Join(data, router.LastGoodDir), filepath.Join(data, router.LastGoodBundle)
	restart := func(what string) string {
		t.Helper()
		// No local source, an embedded NATS open to pushes: Start
		// succeeds with or without a version.
		r, err := router.Start(context.Background(), router.Options{DataDir: data, NATSListen: "127.0.0.1:0", HTTP: "-", Logger: quiet()})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer r.Shutdown(context.Background())
		if s := r.Engine.Current(); s != nil {
			return s.Version
		}
		return ""
	}

	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	if v := restart("only last-good.old/"); v != vDir {
		t.Errorf("only last-good.old/: version %.12s, want the directory's former copy %.12s", v, vDir)
	}
	// Activated, it is saved again as the last good directory.
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the former copy activated is not saved again: %v", err)
	}

	res := buildPushed(t, "stale", bundle.BuildOptions{})
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(file, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	if v := restart("a stale bundle beside the directory"); v != vDir {
		t.Errorf("a bundle written before the directory: version %.12s, want the directory's %.12s", v, vDir)
	}
	// The directory activated was saved again, the bundle removed.
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	if v := restart("a stale directory beside the bundle"); v != res.Bundle.Version() {
		t.Errorf("a directory written before the bundle: version %.12s, want the bundle's %.12s", v, res.Bundle.Version())
	}
	// The bundle saved again, no directory is left beside it, a former
	// copy (last-good.old/) included, which stayed for good; the
	// directory is removed from aside (last-good.trash/), never in
	// place, where a crash midway left a partial directory newer than
	// the bundle.
	if err := os.MkdirAll(filepath.Join(dir+".old", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir+".old", hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	if v := restart("a former directory beside the bundle"); v != res.Bundle.Version() {
		t.Errorf("a former directory beside the bundle: version %.12s, want the bundle's %.12s", v, res.Bundle.Version())
	}
	for _, p := range []string{dir, dir + ".old", dir + ".trash"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left beside the bundle saved", filepath.Base(p))
		}
	}
}
