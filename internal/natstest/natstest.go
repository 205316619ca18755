// Package natstest starts NATS servers for tests that a production
// deployment resembles: TLS with a private CA that verifies its clients'
// certificates, and operator mode, where a client proves itself with a
// user credentials file (a JWT and its NKey seed). The certificates,
// keys and credentials are made for each test, under its temporary
// directory. Only tests import it.
package natstest

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

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// Secure is a server that requires TLS with a client certificate and a
// user's credentials, and the files a client needs to reach it.
type Secure struct {
	Server *server.Server
	URL    string // nats://127.0.0.1:PORT
	// CA signed the server's certificate and the client's; Cert and Key
	// are the client's certificate and key; Creds, a user's credentials
	// (all PEM files).
	CA, Cert, Key, Creds string
}

// StartSecure starts a server with JetStream that requires TLS, a client
// certificate signed by its CA and a user of its operator's account; it
// is shut down when the test ends.
func StartSecure(t testing.TB) *Secure {
	t.Helper()
	dir := t.TempDir()
	s := &Secure{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "client.pem"), Key: filepath.Join(dir, "client-key.pem"), Creds: filepath.Join(dir, "user.creds")}

	caKey, caCert, caDER := certificate(t, "rpl test CA", nil, nil, true)
	write(t, s.CA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	srvKey, _, srvDER := certificate(t, "127.0.0.1", caCert, caKey, false)
	cliKey, _, cliDER := certificate(t, "rpl test client", caCert, caKey, false)
	write(t, s.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cliDER}))
	keyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s.Key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	pool := x509.NewCertPool()
	pool.AddCert(caCert)

	operator := nkey(t, nkeys.CreateOperator)
	opPub, _ := operator.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	resolver := &server.MemAccResolver{}
	account := func(jetStream bool) (nkeys.KeyPair, string) {
		kp := nkey(t, nkeys.CreateAccount)
		pub, _ := kp.PublicKey()
		ac := jwt.NewAccountClaims(pub)
		if jetStream {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		claims, err := ac.Encode(operator)
		if err != nil {
			t.Fatal(err)
		}
		resolver.Store(pub, claims)
		return kp, pub
	}
	_, sysPub := account(false)
	acct, _ := account(true)
	user := nkey(t, nkeys.CreateUser)
	userPub, _ := user.PublicKey()
	userJWT, err := jwt.NewUserClaims(userPub).Encode(acct)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := user.Seed()
	creds, err := jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s.Creds, creds)

	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: filepath.Join(dir, "js"),
		TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver, SystemAccount: sysPub,
		TLS: true, TLSVerify: true, TLSTimeout: 5,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}},
			ClientCAs:    pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the secure NATS server did not start")
	}
	s.Server, s.URL = srv, srv.ClientURL()
	return s
}

// certificate makes a key and a certificate for name, signed by parent
// (self-signed when nil); an IP address name is the certificate's IP.
func certificate(t testing.TB, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool) (*ecdsa.PrivateKey, *x509.Certificate, []byte) {
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
	return key, cert, der
}

func nkey(t testing.TB, create func() (nkeys.KeyPair, error)) nkeys.KeyPair {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func write(t testing.TB, file string, data []byte) {
	t.Helper()
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
