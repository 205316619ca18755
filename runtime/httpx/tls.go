package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Certificate serves HTTPS with the certificate and key of two PEM files
// and follows their renewal: a handshake checks, at most once per
// CertCheck, whether either file changed (its size or modification
// time), and takes the new pair if it loads; a pair that does not load
// (the files written one after the other, caught between the two) is
// logged and the one in use stays, to be tried again at the next check.
// So a certificate renewed in place (by cert-manager, certbot) is served
// without a restart.
type Certificate struct {
	certFile, keyFile string
	log               *slog.Logger
	cert              atomic.Pointer[tls.Certificate]
	due               atomic.Int64 // unix nanoseconds of the next check

	mu     sync.Mutex // held by the one handshake that checks
	stamp  [2]fileStamp
	failed string // the last load error logged
}

// CertCheck is how often, at most, Certificate looks at its files.
const CertCheck = time.Second

type fileStamp struct {
	size int64
	mod  time.Time
}

// LoadCertificate loads the pair; its error names the files.
func LoadCertificate(certFile, keyFile string, log *slog.Logger) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	c.due.Store(time.Now().Add(CertCheck).UnixNano())
	return c, nil
}

// TLSConfig is a server configuration serving c, over HTTP/1.1 only: the
// connection limit (Listener) counts connections idle between requests,
// which HTTP/2's multiplexed ones never are.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get, NextProtos: []string{"http/1.1"}}
}

// get is the handshake's certificate. The one handshake that finds a
// check due looks at the files; the others, meanwhile, take the
// certificate in use without waiting for the disk.
func (c *Certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if now := time.Now(); now.UnixNano() >= c.due.Load() && c.mu.TryLock() {
		c.due.Store(now.Add(CertCheck).UnixNano())
		if st, err := c.stamps(); err == nil && st != c.stamp {
			if err := c.load(); err != nil && err.Error() != c.failed {
				c.failed = err.Error()
				c.log.Error("HTTPS: the renewed certificate does not load; the one in use stays", "err", err)
			} else if err == nil {
				c.failed = ""
				c.log.Info("HTTPS: certificate renewed", "cert", c.certFile)
			}
		}
		c.mu.Unlock()
	}
	return c.cert.Load(), nil
}

// load loads the pair and records the files' stamps.
func (c *Certificate) load() error {
	st, err := c.stamps()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("HTTPS: --http-tls-cert %s and --http-tls-key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert.Store(&cert)
	c.stamp = st
	return nil
}

func (c *Certificate) stamps() (st [2]fileStamp, err error) {
	for i, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return st, fmt.Errorf("HTTPS: %s %s: %w", [2]string{"--http-tls-cert", "--http-tls-key"}[i], f, err)
		}
		st[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return st, nil
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
