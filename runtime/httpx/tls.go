package httpx

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
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

	mu      sync.Mutex
	checked time.Time // the last check
	stamp   [2]fileStamp
	failed  string // the last load error logged
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
	c.checked = time.Now()
	return c, nil
}

// TLSConfig is a server configuration serving c.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get}
}

func (c *Certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	if time.Since(c.checked) >= CertCheck {
		c.checked = time.Now()
		if st, err := c.stamps(); err == nil && st != c.stamp {
			if err := c.load(); err != nil && err.Error() != c.failed {
				c.failed = err.Error()
				c.log.Error("HTTPS: the renewed certificate does not load; the one in use stays", "err", err)
			} else if err == nil {
				c.failed = ""
				c.log.Info("HTTPS: certificate renewed", "cert", c.certFile)
			}
		}
	}
	c.mu.Unlock()
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
		return fmt.Errorf("HTTPS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
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
			return st, fmt.Errorf("HTTPS %s: %w", f, err)
		}
		st[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return st, nil
}
