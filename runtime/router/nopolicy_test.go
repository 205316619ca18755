package router_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestRefusesTestFileWithoutPolicy: a policy directory holding a test
// file whose policy is gone is refused with the words of rplc check
// (RPL215), the running version staying, as for any other check
// failure. It was activated: the policy's tenants fell to default, and
// its tests never ran.
func TestRefusesTestFileWithoutPolicy(t *testing.T) {
	dir := copyExamples(t)
	r := startRouter(t, router.Options{Policies: dir, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", Logger: quiet()})
	v1 := r.Engine.Current().Version
	if err := os.Remove(filepath.Join(dir, "premium.rpl")); err != nil {
		t.Fatal(err)
	}
	const words = "premium_test.rpl:1:1: error[RPL215]: test file without its policy premium.rpl"
	waitLastError(t, r, "premium.rpl removed", func(e string) bool { return strings.Contains(e, words) })
	v := getPolicies(t, r.HTTPAddr())
	if !v.Status.Ready || v.Status.Version != v1 || !strings.Contains(v.Status.LastError, words) || len(v.Versions) != 1 {
		t.Errorf("after premium.rpl was removed: %+v, want %.12s active alone and last_error %q", v, v1, words)
	}
	if out := post(t, r.HTTPAddr(), "/v2/decide", `{"policy_id": "premium", "request": {"id": "r", "task": {"type": "chat"}}}`); !strings.Contains(out, `"ok":true`) || !strings.Contains(out, v1) {
		t.Errorf("premium after its file was removed: %s", out)
	}
}
