// Package natstest starts NATS servers for tests that a production
// deployment resembles: TLS with a private CA that verifies its clients'
// certificates, and operator mode, where a client proves itself with a
// user credentials file (a JWT and its NKey seed). The certificates,
// keys and credentials are made for each test, under its temporary
// directory. Only tests import it.
package natstest

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/rpl-lang/rpl/internal/testcert"
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
	s := &Secure{Creds: filepath.Join(dir, "user.creds")}

	certs := testcert.Make(t, dir, "")
	s.CA, s.Cert, s.Key = certs.CA, certs.ClientCert, certs.ClientKey

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
	if err := os.WriteFile(s.Creds, creds, 0o600); err != nil {
		t.Fatal(err)
	}

	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: filepath.Join(dir, "js"),
		TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver, SystemAccount: sysPub,
		TLS: true, TLSVerify: true, TLSTimeout: 5,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{certs.Server(t)},
			ClientCAs:    certs.Pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
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

func nkey(t testing.TB, create func() (nkeys.KeyPair, error)) nkeys.KeyPair {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
