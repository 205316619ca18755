package certfile

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/internal/testcert"
)

// TestRenewal: a pair renewed in place is taken at the next check; one
// that does not load (the certificate written, not yet its key) is logged
// once, however many checks find it, and the pair in use stays; a file
// gone keeps it too. The load error names the flags and files.
func TestRenewal(t *testing.T) {
	dir := t.TempDir()
	certs := testcert.Make(t, dir, "")
	var logs bytes.Buffer
	names := Names{Prefix: "X: ", CertFlag: "--cert", KeyFlag: "--key", Listener: "the listener"}
	c, err := Load(certs.ServerCert, certs.ServerKey, names, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	first := certs.Server(t).Leaf.SerialNumber
	check := func() string {
		t.Helper()
		c.due.Store(0) // a check due
		got, err := c.Get(nil)
		if err != nil || got == nil || got.Leaf == nil {
			t.Fatalf("Get: %v, %v", got, err)
		}
		return got.Leaf.SerialNumber.String()
	}
	if s := check(); s != first.String() {
		t.Fatalf("serial %s, want %s", s, first)
	}

	// Each file written is given a time of its own: on a file system
	// whose times are coarse, a file rewritten in the same tick at the
	// same size would look unchanged.
	stamp := time.Now()
	write := func(to, from string) {
		t.Helper()
		stamp = stamp.Add(time.Minute)
		if err := os.WriteFile(to, must(os.ReadFile(from)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(to, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	renewed := testcert.Make(t, dir, "renewed-")
	write(certs.ServerCert, renewed.ServerCert)
	for range 3 {
		if s := check(); s != first.String() {
			t.Fatalf("a certificate without its key: serial %s, want the one in use, %s", s, first)
		}
	}
	if n := strings.Count(logs.String(), "the listener: the renewed certificate does not load; the one in use stays"); n != 1 ||
		!strings.Contains(logs.String(), "X: --cert "+certs.ServerCert+" and --key "+certs.ServerKey+": tls: private key does not match public key") {
		t.Errorf("logged %d times, want once, naming the files:\n%s", n, logs.String())
	}

	write(certs.ServerKey, renewed.ServerKey)
	want := renewed.Server(t).Leaf.SerialNumber.String()
	if s := check(); s != want {
		t.Fatalf("the renewed pair: serial %s, want %s", s, want)
	}
	if !strings.Contains(logs.String(), "the listener: certificate renewed") {
		t.Errorf("the renewal not logged:\n%s", logs.String())
	}

	os.Remove(certs.ServerKey)
	if s := check(); s != want {
		t.Errorf("the key gone: serial %s, want the one in use, %s", s, want)
	}
	if _, err := Load(certs.ServerCert, certs.ServerKey, names, nil); err == nil || err.Error() != "X: --key "+certs.ServerKey+": no such file or directory" {
		t.Errorf("Load of a missing key: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
