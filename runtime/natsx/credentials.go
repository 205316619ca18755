package natsx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/spf13/pflag"
)

// Credentials name the files a client proves itself to a NATS deployment
// with, beyond a token or password in its URL: a user credentials file
// (a user JWT and its NKey seed, as nsc writes it) for a deployment in
// operator mode, and TLS: the CA that signed the servers' certificates
// (the system's roots when empty) and a client certificate and its key,
// for a deployment that verifies its clients'. Each field is named in
// errors by its flag (CredentialFlags).
type Credentials struct {
	Creds, TLSCA, TLSCert, TLSKey string
}

// CredentialFlags are the flags that set a Credentials' fields, in
// their order, as rpl-router serve and rplc push and rollback name them
// (AddFlags).
var CredentialFlags = [4]string{"--nats-creds", "--nats-tls-ca", "--nats-tls-cert", "--nats-tls-key"}

// AddFlags adds the flags of c's fields to f.
func (c *Credentials) AddFlags(f *pflag.FlagSet) {
	help := [4]string{
		"a NATS user credentials file (JWT and NKey seed, as nsc writes it) for a deployment in operator mode",
		"the CA (PEM) that signed the NATS servers' certificates (default: the system's); connects over TLS",
		"a client certificate (PEM) for NATS servers that verify their clients' (with --nats-tls-key); connects over TLS",
		"the key (PEM) of --nats-tls-cert",
	}
	for i, p := range []*string{&c.Creds, &c.TLSCA, &c.TLSCert, &c.TLSKey} {
		f.StringVar(p, strings.TrimPrefix(CredentialFlags[i], "--"), "", help[i])
	}
}

// Given reports whether any file is named.
func (c Credentials) Given() bool { return c != Credentials{} }

// Options reads and checks the files, so that a file missing, unreadable
// or not what it should be is said at the start, naming its flag (the
// client library reads them at each connection and says only that it
// failed), and returns the client options that present them, read again
// at each connection (a renewed file is taken at the next one). A TLS
// file makes the connection TLS, whatever the URL's scheme.
func (c Credentials) Options() ([]nats.Option, error) {
	var opts []nats.Option
	if c.Creds != "" {
		data, err := read(CredentialFlags[0], c.Creds)
		if err != nil {
			return nil, err
		}
		token, err := jwt.ParseDecoratedJWT(data)
		if err == nil {
			_, err = jwt.DecodeUserClaims(token)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: no user JWT: %w (want a credentials file, as nsc writes it)", CredentialFlags[0], c.Creds, err)
		}
		if _, err := nkeys.ParseDecoratedNKey(data); err != nil {
			return nil, fmt.Errorf("%s %s: no NKey seed: %w (want a credentials file, as nsc writes it)", CredentialFlags[0], c.Creds, err)
		}
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.TLSCA == "" && c.TLSCert == "" && c.TLSKey == "" {
		return opts, nil
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, fmt.Errorf("%s and %s: give both, the client certificate and its key, or neither", CredentialFlags[2], CredentialFlags[3])
	}
	// The client library reads the files at each connection (a renewed
	// CA or certificate is taken at the next reconnection); they are
	// checked here to be said by their flags.
	if c.TLSCA != "" {
		data, err := read(CredentialFlags[1], c.TLSCA)
		if err != nil {
			return nil, err
		}
		if !x509.NewCertPool().AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%s %s: no PEM certificate in it", CredentialFlags[1], c.TLSCA)
		}
		opts = append(opts, nats.RootCAs(c.TLSCA))
	}
	if c.TLSCert != "" {
		for i, f := range []string{c.TLSCert, c.TLSKey} {
			if _, err := read(CredentialFlags[2+i], f); err != nil {
				return nil, err
			}
		}
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return nil, fmt.Errorf("%s %s and %s %s: %w", CredentialFlags[2], c.TLSCert, CredentialFlags[3], c.TLSKey, err)
		}
		opts = append(opts, nats.ClientCert(c.TLSCert, c.TLSKey))
	}
	return opts, nil
}

// read reads the file of flag, an error naming both.
func read(flag, file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, file, err)
	}
	return data, nil
}
