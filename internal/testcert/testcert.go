// Package testcert makes, for a test, a private CA and the certificates
// it signs: a server's for 127.0.0.1 and a client's, each with its key,
// as PEM files under a directory. Only tests import it.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Files are the PEM files Make writes, and the CA's pool.
type Files struct {
	CA                    string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	Pool                  *x509.CertPool
}

// Make writes a CA and the server's and client's certificates and keys
// under dir, their names prefixed by prefix (to make a second set beside
// the first).
func Make(t testing.TB, dir, prefix string) Files {
	t.Helper()
	f := Files{
		CA:         filepath.Join(dir, prefix+"ca.pem"),
		ServerCert: filepath.Join(dir, prefix+"server.pem"), ServerKey: filepath.Join(dir, prefix+"server-key.pem"),
		ClientCert: filepath.Join(dir, prefix+"client.pem"), ClientKey: filepath.Join(dir, prefix+"client-key.pem"),
		Pool: x509.NewCertPool(),
	}
	caKey, caCert := certificate(t, "rpl test CA", nil, nil, true)
	f.Pool.AddCert(caCert)
	write(t, f.CA, "CERTIFICATE", caCert.Raw)
	for _, c := range []struct{ name, cert, key string }{{"127.0.0.1", f.ServerCert, f.ServerKey}, {"rpl test client", f.ClientCert, f.ClientKey}} {
		key, cert := certificate(t, c.name, caCert, caKey, false)
		write(t, c.cert, "CERTIFICATE", cert.Raw)
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		write(t, c.key, "EC PRIVATE KEY", der)
	}
	return f
}

// Server is the server's certificate and key, loaded.
func (f Files) Server(t testing.TB) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// certificate makes a key and a certificate for name, signed by parent
// (self-signed when nil); an IP address name is the certificate's IP.
func certificate(t testing.TB, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func write(t testing.TB, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
