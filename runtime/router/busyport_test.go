package router_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/runtime/router"
)

// TestStartHTTPAddressInUse: an HTTP address in use fails Start before
// anything is activated: the router logged its policies' version active,
// then failed to listen.
func TestStartHTTPAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var logs logBuffer
	_, err = router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: l.Addr().String(), NoNATS: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil || !strings.HasPrefix(err.Error(), "HTTP: ") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start: %v", err)
	}
	if strings.Contains(logs.String(), "active") {
		t.Errorf("Start activated a version before failing:\n%s", logs.String())
	}
}
