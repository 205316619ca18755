// Package certfile serves TLS with the certificate and key of two PEM
// files and follows their renewal: the router's HTTPS listener
// (--http-tls-cert) and its embedded NATS server's listener
// (--nats-listen-tls-cert) both take a certificate renewed in place
// without a restart.
package certfile

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

// Certificate is the pair of two PEM files, followed: a handshake
// checks, at most once per Check, whether either file changed (its size
// or modification time), and takes the new pair if it loads; a pair that
// does not load (the files written one after the other, caught between
// the two) is logged and the one in use stays, to be tried again at the
// next check. So a certificate renewed in place (by cert-manager,
// certbot) is served without a restart.
type Certificate struct {
	certFile, keyFile string
	names             Names
	log               *slog.Logger
	cert              atomic.Pointer[tls.Certificate]
	due               atomic.Int64 // unix nanoseconds of the next check

	mu     sync.Mutex // held by the one handshake that checks
	stamp  [2]fileStamp
	failed string // the last load error logged
}

// Names say whose the files are, in errors and logs: Prefix begins an
// error ("HTTPS: "), CertFlag and KeyFlag name the files' flags, and
// Listener names the listener in the log lines of a renewal.
type Names struct {
	Prefix, CertFlag, KeyFlag, Listener string
}

// Check is how often, at most, Certificate looks at its files.
const Check = time.Second

type fileStamp struct {
	size int64
	mod  time.Time
}

// Load loads the pair; its error names the flags and files. A nil log
// logs nothing.
func Load(certFile, keyFile string, names Names, log *slog.Logger) (*Certificate, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Certificate{certFile: certFile, keyFile: keyFile, names: names, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	c.due.Store(time.Now().Add(Check).UnixNano())
	return c, nil
}

// Get is the handshake's certificate (tls.Config.GetCertificate). The
// one handshake that finds a check due looks at the files; the others,
// meanwhile, take the certificate in use without waiting for the disk.
func (c *Certificate) Get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if now := time.Now(); now.UnixNano() >= c.due.Load() && c.mu.TryLock() {
		c.due.Store(now.Add(Check).UnixNano())
		if st, err := c.stamps(); err == nil && st != c.stamp {
			if err := c.load(); err != nil && err.Error() != c.failed {
				c.failed = err.Error()
				c.log.Error(c.names.Listener+": the renewed certificate does not load; the one in use stays", "err", err)
			} else if err == nil {
				c.failed = ""
				c.log.Info(c.names.Listener+": certificate renewed", "cert", c.certFile)
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
		return fmt.Errorf("%s%s %s and %s %s: %w", c.names.Prefix, c.names.CertFlag, c.certFile, c.names.KeyFlag, c.keyFile, err)
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
			return st, fmt.Errorf("%s%s %s: %w", c.names.Prefix, [2]string{c.names.CertFlag, c.names.KeyFlag}[i], f, err)
		}
		st[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return st, nil
}
