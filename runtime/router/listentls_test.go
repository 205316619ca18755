package router_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/internal/testcert"
	"github.com/rpl-lang/rpl/runtime/natsx"
	"github.com/rpl-lang/rpl/runtime/router"
)

// TestNATSListenTLS: the embedded server's listener (--nats-listen) with
// a certificate and key serves TLS only: a client with the CA that signed
// it, and the token, decides over it and pushes a bundle that the router
// activates; a client without TLS is refused, so the token never crosses
// the network in clear (the listener had no TLS, the token went in
// clear). With a CA of clients (--nats-listen-tls-ca) a client without a
// certificate it signed is refused too. The router's own in-process
// connections need no certificate.
func TestNATSListenTLS(t *testing.T) {
	certs := testcert.Make(t, t.TempDir(), "")
	cp1 := []byte(`{"version": "1", "request_id": "tls-1", "tenant_id": "acme", "task": {"type": "chat"}}`)
	for _, verify := range []bool{false, true} {
		t.Run(map[bool]string{false: "server", true: "client-certificates"}[verify], func(t *testing.T) {
			opt := router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSListen: "127.0.0.1:0", NATSToken: "s3cret",
				NATSListenTLSCert: certs.ServerCert, NATSListenTLSKey: certs.ServerKey, Logger: quiet()}
			clientTLS := &tls.Config{RootCAs: certs.Pool, MinVersion: tls.VersionTLS12}
			if verify {
				opt.NATSListenTLSCA = certs.CA
				c, err := tls.LoadX509KeyPair(certs.ClientCert, certs.ClientKey)
				if err != nil {
					t.Fatal(err)
				}
				clientTLS.Certificates = []tls.Certificate{c}
			}
			r := startRouter(t, opt)
			waitUntil(t, "NATS subscriptions", func() bool { return r.NATSSubscriptions() > 0 })
			url := r.NATSServer().ClientURL()
			if !strings.HasPrefix(url, "tls://") {
				t.Errorf("the listener's URL: %s, want tls://", url)
			}
			nc, err := nats.Connect(url, nats.Secure(clientTLS), nats.Token("s3cret"))
			if err != nil {
				t.Fatalf("a client with the CA: %v", err)
			}
			defer nc.Close()
			m, err := nc.Request(natsx.SubjectCP1, cp1, 5*time.Second)
			if err != nil || !strings.HasPrefix(string(m.Data), `{"ok":true`) {
				t.Fatalf("decision over TLS: %v %s", err, msgData(m))
			}
			res := buildPushed(t, "overtls", bundle.BuildOptions{})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := natsx.PushBundle(ctx, nc, natsx.BundleBucket, natsx.BundleKey, 0, res.Data); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the pushed version", func() bool { return r.Engine.Current().Version == res.Bundle.Version() })

			// A client that does not start TLS (a raw connection: nats.go
			// starts it of itself, the server's INFO requiring it) is not
			// served: its CONNECT, token and all, ends the connection.
			conn, err := net.Dial("tcp", strings.TrimPrefix(url, "tls://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			rd := bufio.NewReader(conn)
			info, _ := rd.ReadString('\n')
			if !strings.Contains(info, `"tls_required":true`) {
				t.Errorf("the listener's INFO: %s, want TLS required", info)
			}
			fmt.Fprintf(conn, "CONNECT {\"auth_token\":\"s3cret\",\"verbose\":false}\r\nPING\r\n")
			if rest, _ := io.ReadAll(rd); strings.Contains(string(rest), "PONG") {
				t.Errorf("a client without TLS was served: %q", rest)
			}
			if verify {
				if nc, err := nats.Connect(url, nats.Secure(&tls.Config{RootCAs: certs.Pool, MinVersion: tls.VersionTLS12}), nats.Token("s3cret"), nats.MaxReconnects(0)); err == nil {
					nc.Close()
					t.Errorf("a client without a certificate connected")
				}
			}
		})
	}
}

func msgData(m *nats.Msg) string {
	if m == nil {
		return ""
	}
	return string(m.Data)
}

// TestNATSListenTLSRenewed: the listener's certificate renewed in place
// (its two files replaced under the running router) is served to the
// next client that connects, without a restart, and the renewal is
// logged; a client connected before keeps its connection. The listener
// read its certificate once at the start and served the old one until
// a restart, as HTTPS did not.
func TestNATSListenTLSRenewed(t *testing.T) {
	dir := t.TempDir()
	certs := testcert.Make(t, dir, "")
	var logs logBuffer
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSListen: "127.0.0.1:0", NATSToken: "s3cret",
		NATSListenTLSCert: certs.ServerCert, NATSListenTLSKey: certs.ServerKey, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitUntil(t, "NATS subscriptions", func() bool { return r.NATSSubscriptions() > 0 })
	url := r.NATSServer().ClientURL()
	served := func(pool *x509.CertPool) (*x509.Certificate, *nats.Conn) {
		t.Helper()
		nc, err := nats.Connect(url, nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), nats.Token("s3cret"), nats.MaxReconnects(0))
		if err != nil {
			t.Fatalf("a client with the CA: %v", err)
		}
		st, err := nc.TLSConnectionState()
		if err != nil {
			t.Fatal(err)
		}
		return st.PeerCertificates[0], nc
	}
	old, before := served(certs.Pool)
	defer before.Close()

	renewed := testcert.Make(t, dir, "renewed-")
	for _, f := range [][2]string{{renewed.ServerCert, certs.ServerCert}, {renewed.ServerKey, certs.ServerKey}} {
		if err := os.WriteFile(f[1], must(os.ReadFile(f[0])), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want := renewed.Server(t).Leaf
	both := certs.Pool.Clone()
	both.AppendCertsFromPEM(must(os.ReadFile(renewed.CA)))
	waitUntil(t, "the renewed certificate", func() bool {
		c, nc := served(both)
		defer nc.Close()
		if c.SerialNumber.Cmp(old.SerialNumber) == 0 {
			return false
		}
		if c.SerialNumber.Cmp(want.SerialNumber) != 0 || !c.NotAfter.Equal(want.NotAfter) {
			t.Fatalf("served serial %v, not after %v; want the renewed one's, %v, %v", c.SerialNumber, c.NotAfter, want.SerialNumber, want.NotAfter)
		}
		return true
	})
	if !strings.Contains(logs.String(), "embedded NATS listener: certificate renewed") {
		t.Errorf("the renewal not logged:\n%s", logs.String())
	}
	if err := before.Flush(); err != nil || !before.IsConnected() {
		t.Errorf("the client connected before the renewal: %v, connected %v", err, before.IsConnected())
	}
}

// TestNATSListenTLSCARotated: a CA added to the file of the clients' CAs
// (--nats-listen-tls-ca) under the running router is trusted from the
// next connection on, without a restart, and the reload is logged: a
// client whose certificate the new CA signed, refused before, connects;
// one of the old CA, connected before, keeps its connection. The file
// was read once at the start, and a CA rotation needed a restart.
func TestNATSListenTLSCARotated(t *testing.T) {
	dir := t.TempDir()
	certs := testcert.Make(t, dir, "")
	var logs logBuffer
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSListen: "127.0.0.1:0", NATSToken: "s3cret",
		NATSListenTLSCert: certs.ServerCert, NATSListenTLSKey: certs.ServerKey, NATSListenTLSCA: certs.CA, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitUntil(t, "NATS subscriptions", func() bool { return r.NATSSubscriptions() > 0 })
	url := r.NATSServer().ClientURL()
	connect := func(f testcert.Files) (*nats.Conn, error) {
		c, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
		if err != nil {
			t.Fatal(err)
		}
		return nats.Connect(url, nats.Secure(&tls.Config{RootCAs: certs.Pool, Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}),
			nats.Token("s3cret"), nats.MaxReconnects(0))
	}
	before, err := connect(certs)
	if err != nil {
		t.Fatalf("a client of the CA: %v", err)
	}
	defer before.Close()
	rotated := testcert.Make(t, dir, "rotated-")
	if nc, err := connect(rotated); err == nil {
		nc.Close()
		t.Fatal("a client of a CA not in the file connected")
	}

	if err := os.WriteFile(certs.CA, append(must(os.ReadFile(certs.CA)), must(os.ReadFile(rotated.CA))...), 0o600); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the new CA's client connected", func() bool {
		nc, err := connect(rotated)
		if err != nil {
			return false
		}
		defer nc.Close()
		return nc.Flush() == nil
	})
	if !strings.Contains(logs.String(), "embedded NATS listener: CA file reloaded") {
		t.Errorf("the reload not logged:\n%s", logs.String())
	}
	if err := before.Flush(); err != nil || !before.IsConnected() {
		t.Errorf("the client connected before the reload: %v, connected %v", err, before.IsConnected())
	}
	if nc, err := connect(certs); err != nil {
		t.Errorf("a client of the old CA, after the reload: %v", err)
	} else {
		nc.Close()
	}
}

// TestNATSListenTLSFiles: the listener's TLS files are loaded at the
// start; one missing or not what its flag wants fails it, naming the flag and
// the file.
func TestNATSListenTLSFiles(t *testing.T) {
	dir := t.TempDir()
	certs := testcert.Make(t, dir, "")
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600)
	for _, c := range []struct {
		name          string
		cert, key, ca string
		want          string
	}{
		{"cert missing", missing, certs.ServerKey, "", "--nats-listen-tls-cert " + missing + ": no such file"},
		{"key missing", certs.ServerCert, missing, "", "--nats-listen-tls-key " + missing + ": no such file"},
		{"key of another", certs.ServerCert, certs.ClientKey, "", "--nats-listen-tls-cert " + certs.ServerCert + " and --nats-listen-tls-key " + certs.ClientKey + ": tls: private key does not match public key"},
		{"ca missing", certs.ServerCert, certs.ServerKey, missing, "--nats-listen-tls-ca " + missing + ": no such file"},
		{"ca not PEM", certs.ServerCert, certs.ServerKey, notPEM, "--nats-listen-tls-ca " + notPEM + ": no PEM certificate in it"},
		{"key alone", "", certs.ServerKey, "", "give both"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSListen: "127.0.0.1:0",
				NATSListenTLSCert: c.cert, NATSListenTLSKey: c.key, NATSListenTLSCA: c.ca, Logger: slog.New(slog.DiscardHandler)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want %q", err, c.want)
			}
		})
	}
}

// TestNATSListenInClearWarned: a listener beyond loopback without TLS is
// warned of, its clients sending the token in clear; one on loopback, or
// with TLS, is not.
func TestNATSListenInClearWarned(t *testing.T) {
	certs := testcert.Make(t, t.TempDir(), "")
	const warning = "listens beyond loopback without TLS"
	for _, c := range []struct {
		listen, cert, key string
		warned            bool
	}{
		{":0", "", "", true},
		{"127.0.0.1:0", "", "", false},
		{":0", certs.ServerCert, certs.ServerKey, false},
	} {
		logs := &logBuffer{}
		r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "-", NATSListen: c.listen, NATSToken: "s3cret", NoLog: true,
			NATSListenTLSCert: c.cert, NATSListenTLSKey: c.key, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		r.Shutdown(context.Background())
		if got := strings.Contains(logs.String(), warning); got != c.warned {
			t.Errorf("--nats-listen %s, TLS %v: warned %v, want %v:\n%s", c.listen, c.cert != "", got, c.warned, logs)
		}
	}
}
