package certfile

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
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

// TestPoolReloaded: a CA file changed in place is taken at the next
// check, a CA added to it trusted from then on; one that holds no
// certificate (being written) is logged once, however many checks find
// it, and the pool in use stays; a file gone keeps it too. Each
// handshake's configuration is the base's with the pool as ClientCAs.
func TestPoolReloaded(t *testing.T) {
	dir := t.TempDir()
	certs := testcert.Make(t, dir, "")
	other := testcert.Make(t, dir, "other-")
	client := must(tls.LoadX509KeyPair(other.ClientCert, other.ClientKey))
	leaf := must(x509.ParseCertificate(client.Certificate[0]))
	var logs bytes.Buffer
	base := &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	names := Names{Prefix: "X: ", CAFlag: "--ca", Listener: "the listener"}
	p, err := LoadPool(certs.CA, base, names, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// trusts reports whether the configuration of a handshake, a check
	// due, verifies the other CA's client.
	trusts := func() bool {
		t.Helper()
		p.due.Store(0)
		cfg, err := p.Config(nil)
		if err != nil || cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.MinVersion != tls.VersionTLS12 || cfg.GetConfigForClient != nil {
			t.Fatalf("Config: %+v, %v", cfg, err)
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: cfg.ClientCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		return err == nil
	}
	if trusts() {
		t.Fatal("a client of another CA trusted")
	}

	stamp := time.Now()
	write := func(data []byte) {
		t.Helper()
		stamp = stamp.Add(time.Minute)
		if err := os.WriteFile(certs.CA, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(certs.CA, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	first := must(os.ReadFile(certs.CA))
	write(first[:len(first)/2]) // caught being written
	for range 3 {
		if trusts() {
			t.Fatal("a client of another CA trusted")
		}
	}
	if n := strings.Count(logs.String(), "the listener: the changed CA file does not load; the CAs in use stay"); n != 1 ||
		!strings.Contains(logs.String(), "X: --ca "+certs.CA+": no PEM certificate in it") {
		t.Errorf("logged %d times, want once, naming the file:\n%s", n, logs.String())
	}
	if p.Pool() == nil || p.Pool().Equal(x509.NewCertPool()) {
		t.Error("the pool in use emptied")
	}

	write(append(first, must(os.ReadFile(other.CA))...))
	if !trusts() {
		t.Fatal("a CA added to the file not trusted")
	}
	if !strings.Contains(logs.String(), "the listener: CA file reloaded") {
		t.Errorf("the reload not logged:\n%s", logs.String())
	}
	os.Remove(certs.CA)
	if !trusts() {
		t.Error("the file gone: the pool in use dropped")
	}
	if _, err := LoadPool(certs.CA, base, names, nil); err == nil || err.Error() != "X: --ca "+certs.CA+": no such file or directory" {
		t.Errorf("LoadPool of a missing file: %v", err)
	}
}
