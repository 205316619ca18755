// Package certfile serves TLS with the certificate and key of two PEM
// files and follows their renewal: the router's HTTPS listener
// (--http-tls-cert) and its embedded NATS server's listener
// (--nats-listen-tls-cert) both take a certificate renewed in place
// without a restart. It follows a file of CA certificates the same way
// (Pool: --nats-listen-tls-ca, the CAs of the clients' certificates).
package certfile

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
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
	stamp  []fileStamp
	failed string // the last load error logged
}

// Names say whose the files are, in errors and logs: Prefix begins an
// error ("HTTPS: "), CertFlag and KeyFlag name the files' flags (CAFlag
// a Pool's), and Listener names the listener in the log lines of a
// renewal.
type Names struct {
	Prefix, CertFlag, KeyFlag, CAFlag, Listener string
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
		if st, err := c.stamps(); err == nil && !slices.Equal(st, c.stamp) {
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

func (c *Certificate) stamps() ([]fileStamp, error) {
	return stamps(c.names.Prefix, []string{c.certFile, c.keyFile}, []string{c.names.CertFlag, c.names.KeyFlag})
}

// stamps are the size and modification time of each file; an error
// names the file and its flag.
func stamps(prefix string, files, flags []string) ([]fileStamp, error) {
	st := make([]fileStamp, len(files))
	for i, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%s%s %s: %w", prefix, flags[i], f, err)
		}
		st[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return st, nil
}

// Pool is a PEM file of CA certificates, the CAs that a listener
// requiring client certificates trusts, followed as Certificate follows
// its pair: a handshake checks, at most once per Check, whether the file
// changed (its size or modification time), and takes its certificates
// when it holds any; a file that holds none (being written, or not PEM)
// is logged, once, and the pool in use stays, to be tried again at the
// next check. So a CA added to the file (before the client certificates
// it signs are handed out) is trusted from the next connection on,
// without a restart; connections made before keep theirs.
type Pool struct {
	file  string
	names Names
	log   *slog.Logger
	base  *tls.Config
	cfg   atomic.Pointer[tls.Config] // base with the file's pool
	due   atomic.Int64               // unix nanoseconds of the next check

	mu     sync.Mutex // held by the one handshake that checks
	stamp  []fileStamp
	failed string // the last load error logged
}

// LoadPool loads the CA file; its error names the flag (Names.CAFlag)
// and the file. The configuration of each handshake (Config) is base's
// with the file's certificates as ClientCAs: base is not to change
// after. A nil log logs nothing.
func LoadPool(file string, base *tls.Config, names Names, log *slog.Logger) (*Pool, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pool{file: file, names: names, log: log, base: base}
	if err := p.load(); err != nil {
		return nil, err
	}
	p.due.Store(time.Now().Add(Check).UnixNano())
	return p, nil
}

// Pool is the pool in use.
func (p *Pool) Pool() *x509.CertPool { return p.cfg.Load().ClientCAs }

// Config is the handshake's configuration (tls.Config.GetConfigForClient):
// the base's, with the pool of the file as it is now. The one handshake
// that finds a check due looks at the file; the others, meanwhile, take
// the pool in use without waiting for the disk.
func (p *Pool) Config(*tls.ClientHelloInfo) (*tls.Config, error) {
	if now := time.Now(); now.UnixNano() >= p.due.Load() && p.mu.TryLock() {
		p.due.Store(now.Add(Check).UnixNano())
		if st, err := p.stamps(); err == nil && !slices.Equal(st, p.stamp) {
			if err := p.load(); err != nil && err.Error() != p.failed {
				p.failed = err.Error()
				p.log.Error(p.names.Listener+": the changed CA file does not load; the CAs in use stay", "err", err)
			} else if err == nil {
				p.failed = ""
				p.log.Info(p.names.Listener+": CA file reloaded", "ca", p.file)
			}
		}
		p.mu.Unlock()
	}
	return p.cfg.Load(), nil
}

// load loads the file and records its stamp.
func (p *Pool) load() error {
	st, err := p.stamps()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(p.file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s%s %s: %w", p.names.Prefix, p.names.CAFlag, p.file, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return fmt.Errorf("%s%s %s: no PEM certificate in it", p.names.Prefix, p.names.CAFlag, p.file)
	}
	cfg := p.base.Clone()
	cfg.GetConfigForClient = nil // asked of the listener's configuration only
	cfg.ClientCAs = pool
	p.cfg.Store(cfg)
	p.stamp = st
	return nil
}

func (p *Pool) stamps() ([]fileStamp, error) {
	return stamps(p.names.Prefix, []string{p.file}, []string{p.names.CAFlag})
}
