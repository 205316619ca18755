package natsx_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/internal/natstest"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestCredentialsSecureServer: the files of a deployment that requires
// TLS with a client certificate from its CA and a user's credentials
// reach it, and JetStream works over the connection; without any one of
// them the server refuses the client.
func TestCredentialsSecureServer(t *testing.T) {
	s := natstest.StartSecure(t)
	all := natsx.Credentials{Creds: s.Creds, TLSCA: s.CA, TLSCert: s.Cert, TLSKey: s.Key}
	connect := func(c natsx.Credentials) (*nats.Conn, error) {
		opts, err := c.Options()
		if err != nil {
			t.Fatal(err)
		}
		return nats.Connect(s.URL, append(opts, nats.MaxReconnects(0))...)
	}
	nc, err := connect(all)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := natsx.PushBundle(context.Background(), nc, natsx.BundleBucket, natsx.BundleKey, 0, []byte("x")); err != nil {
		t.Fatalf("JetStream over the secure connection: %v", err)
	}
	for name, c := range map[string]natsx.Credentials{
		"no credentials file":      {TLSCA: s.CA, TLSCert: s.Cert, TLSKey: s.Key},
		"no client certificate":    {Creds: s.Creds, TLSCA: s.CA},
		"the system's roots alone": {Creds: s.Creds, TLSCert: s.Cert, TLSKey: s.Key},
	} {
		if nc, err := connect(c); err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		}
	}
}

// TestCredentialsFilesChecked: a file that is missing or not what its
// flag wants is said at once, naming the flag and the file.
func TestCredentialsFilesChecked(t *testing.T) {
	s := natstest.StartSecure(t)
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("not PEM"), 0o600)
	missing := filepath.Join(dir, "missing")
	for _, c := range []struct {
		creds natsx.Credentials
		want  string
	}{
		{natsx.Credentials{Creds: missing}, "--nats-creds " + missing + ": no such file or directory"},
		{natsx.Credentials{Creds: junk}, "--nats-creds " + junk + ": no user JWT:"},
		{natsx.Credentials{Creds: s.Cert}, "--nats-creds " + s.Cert + ": no user JWT:"},
		{natsx.Credentials{TLSCA: junk}, "--nats-tls-ca " + junk + ": no PEM certificate in it"},
		{natsx.Credentials{TLSCA: missing}, "--nats-tls-ca " + missing + ": no such file"},
		{natsx.Credentials{TLSCert: s.Cert}, "--nats-tls-cert and --nats-tls-key: give both"},
		{natsx.Credentials{TLSKey: s.Key}, "--nats-tls-cert and --nats-tls-key: give both"},
		{natsx.Credentials{TLSCert: s.Cert, TLSKey: missing}, "--nats-tls-key " + missing + ": no such file"},
		{natsx.Credentials{TLSCert: s.Key, TLSKey: s.Cert}, "--nats-tls-cert " + s.Key + " and --nats-tls-key " + s.Cert + ":"},
	} {
		if _, err := c.creds.Options(); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q…", c.creds, err, c.want)
		}
	}
}
