package router_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/internal/testcert"
	"github.com/rpl-lang/rpl/runtime/router"
)

// httpsClient is a client trusting pool, with connections of its own.
func httpsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
}

// TestHTTPS: with a certificate and key, the router serves HTTPS (a
// plain HTTP request is refused); a certificate renewed in place is
// served from the next connection on, without a restart; and the
// connection limit still closes an idle keep-alive for a connection
// waiting (the TLS connections wrap the limited ones; HTTP/1.1 only).
func TestHTTPS(t *testing.T) {
	dir := t.TempDir()
	certs := testcert.Make(t, dir, "")
	r := startRouter(t, router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
		HTTPTLSCert: certs.ServerCert, HTTPTLSKey: certs.ServerKey, MaxConnections: 1, Logger: quiet()})
	url := "https://" + r.HTTPAddr() + "/v1/decide"
	body := `{"version": "1", "request_id": "r", "tenant_id": "acme", "task": {"type": "chat"}}`
	decide := func(c *http.Client) *http.Response {
		t.Helper()
		resp, err := c.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.HasPrefix(out, []byte(`{"ok":true`)) {
			t.Fatalf("decision over HTTPS: %s", out)
		}
		return resp
	}
	first := httpsClient(certs.Pool)
	resp := decide(first)
	served := resp.TLS.PeerCertificates[0].Raw
	if resp.Proto != "HTTP/1.1" { // the connection limit counts HTTP/1.1's idle connections
		t.Errorf("%s, want HTTP/1.1 for a client that would take HTTP/2", resp.Proto)
	}

	// Another client, while first's connection is idle, kept alive: at
	// the limit of one, that one is closed for it.
	decide(httpsClient(certs.Pool))

	plain, err := http.Post("http://"+r.HTTPAddr()+"/v1/decide", "application/json", strings.NewReader(body))
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP: %s", plain.Status)
		}
	}

	renewed := testcert.Make(t, dir, "renewed-")
	for _, f := range [][2]string{{renewed.ServerCert, certs.ServerCert}, {renewed.ServerKey, certs.ServerKey}} {
		data, _ := os.ReadFile(f[0])
		if err := os.WriteFile(f[1], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	both := certs.Pool.Clone()
	both.AppendCertsFromPEM(must(os.ReadFile(renewed.CA)))
	waitUntil(t, "the renewed certificate", func() bool {
		c := httpsClient(both)
		defer c.CloseIdleConnections()
		return !bytes.Equal(decide(c).TLS.PeerCertificates[0].Raw, served)
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestHTTPSFilesChecked: a certificate that does not load is an error at
// the start, before the policies are loaded.
func TestHTTPSFilesChecked(t *testing.T) {
	certs := testcert.Make(t, t.TempDir(), "")
	for _, c := range []struct {
		cert, key, want string
	}{
		{certs.ServerCert, "", "HTTPS: give both --http-tls-cert and --http-tls-key, or neither"},
		{certs.ServerCert, certs.ClientKey, "HTTPS: --http-tls-cert " + certs.ServerCert + " and --http-tls-key " + certs.ClientKey + ": tls: private key does not match public key"},
		{certs.ServerKey + ".none", certs.ServerKey, "HTTPS: --http-tls-cert " + certs.ServerKey + ".none: no such file or directory"},
	} {
		_, err := router.Start(context.Background(), router.Options{Policies: examples, DataDir: t.TempDir(), HTTP: "127.0.0.1:0", NoNATS: true,
			HTTPTLSCert: c.cert, HTTPTLSKey: c.key, Logger: quiet()})
		if err == nil || err.Error() != c.want {
			t.Errorf("%s, %s: %v, want %q", c.cert, c.key, err, c.want)
		}
	}
}
