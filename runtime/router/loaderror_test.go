package router_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestLoadErrorCarriesCode: a refused load names each diagnostic as the
// first line of rplc check's snippet does, its code included, in the
// error, the log and /v2/policies' last_error alike. They said
// `broken.rpl:2:41: Request has no field nope` where rplc check printed
// error[RPL202].
func TestLoadErrorCarriesCode(t *testing.T) {
	dir := copyExamples(t)
	var logs logBuffer
	r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	os.WriteFile(filepath.Join(dir, "broken.rpl"), []byte("package broken\nfn route(r: Request) -> Decision = to(r.nope)\n"), 0o644)
	_, err := r.Reload(context.Background())
	const want = "broken.rpl:2:41: error[RPL202]: Request has no field nope"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("reload: %v, want %q", err, want)
	}
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log:\n%s\nwant %q", logs.String(), want)
	}
	if e := getPolicies(t, r.HTTPAddr()).Status.LastError; !strings.Contains(e, want) {
		t.Errorf("last_error %q, want %q", e, want)
	}
}
