package httpx

import (
	"context"
	"crypto/tls"
	"log"
	"log/slog"
	"strings"

	"github.com/rpl-lang/rpl/internal/certfile"
)

// Certificate serves HTTPS with the certificate and key of two PEM files
// and follows their renewal (certfile.Certificate): a handshake checks,
// at most once per certfile.Check, whether either file changed, and takes the
// new pair if it loads; a pair that does not load is logged and the one
// in use stays. So a certificate renewed in place (by cert-manager,
// certbot) is served without a restart.
type Certificate struct{ c *certfile.Certificate }

// LoadCertificate loads the pair; its error names the files.
func LoadCertificate(certFile, keyFile string, log *slog.Logger) (*Certificate, error) {
	c, err := certfile.Load(certFile, keyFile, certfile.Names{Prefix: "HTTPS: ", CertFlag: "--http-tls-cert", KeyFlag: "--http-tls-key", Listener: "HTTPS"}, log)
	if err != nil {
		return nil, err
	}
	return &Certificate{c}, nil
}

// TLSConfig is a server configuration serving c, over HTTP/1.1 only: the
// connection limit (Listener) counts connections idle between requests,
// which HTTP/2's multiplexed ones never are.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.c.Get, NextProtos: []string{"http/1.1"}}
}

// ErrorLog is an http.Server's ErrorLog writing to l: at warn, but a
// client's failed TLS handshake at debug (a load balancer's TCP probe
// connects and closes without one, every few seconds).
func ErrorLog(l *slog.Logger) *log.Logger { return log.New(serverLog{l}, "", 0) }

type serverLog struct{ l *slog.Logger }

func (w serverLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelWarn
	if strings.HasPrefix(msg, "http: TLS handshake error") {
		level = slog.LevelDebug
	}
	w.l.Log(context.Background(), level, msg)
	return len(p), nil
}
