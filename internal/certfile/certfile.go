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
	cert              atomic.Pointer[tls.Certificate]
	follow
}

// follow is what Certificate and Pool share: files looked at, at most
// once per Check, by the one handshake that finds a check due (the
// others, meanwhile, take what is in use without waiting for the disk),
// and loaded again when one changed (its size or modification time).
type follow struct {
	log           *slog.Logger
	due           atomic.Int64 // unix nanoseconds of the next check
	stamps        func() ([]fileStamp, error)
	load          func() error // loads the files, and records their stamps
	failure, done string       // the log's messages: a change that does not load, one that does
	doneArg       []any        // done's attributes

	mu     sync.Mutex // held by the one handshake that checks
	stamp  []fileStamp
	failed string // the last load error logged
}

// start loads the files and arms the first check.
func (f *follow) start() error {
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if err := f.load(); err != nil {
		return err
	}
	f.due.Store(time.Now().Add(Check).UnixNano())
	return nil
}

// check looks at the files when a check is due (see follow); a change
// that does not load is logged once, and what is in use stays.
func (f *follow) check() {
	if now := time.Now(); now.UnixNano() >= f.due.Load() && f.mu.TryLock() {
		f.due.Store(now.Add(Check).UnixNano())
		if st, err := f.stamps(); err == nil && !slices.Equal(st, f.stamp) {
			if err := f.load(); err != nil && err.Error() != f.failed {
				f.failed = err.Error()
				f.log.Error(f.failure, "err", err)
			} else if err == nil {
				f.failed = ""
				f.log.Info(f.done, f.doneArg...)
			}
		}
		f.mu.Unlock()
	}
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
	c := &Certificate{certFile: certFile, keyFile: keyFile, names: names}
	c.follow = follow{log: log, stamps: c.stamps, load: c.load,
		failure: names.Listener + ": the renewed certificate does not load; the one in use stays",
		done:    names.Listener + ": certificate renewed", doneArg: []any{"cert", certFile}}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

// Get is the handshake's certificate (tls.Config.GetCertificate). The
// one handshake that finds a check due looks at the files; the others,
// meanwhile, take the certificate in use without waiting for the disk.
func (c *Certificate) Get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.check()
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
	base  *tls.Config
	cfg   atomic.Pointer[tls.Config] // base with the file's pool
	follow
}

// LoadPool loads the CA file; its error names the flag (Names.CAFlag)
// and the file. The configuration of each handshake (Config) is base's
// with the file's certificates as ClientCAs: base is not to change
// after. A nil log logs nothing.
func LoadPool(file string, base *tls.Config, names Names, log *slog.Logger) (*Pool, error) {
	p := &Pool{file: file, names: names, base: base}
	p.follow = follow{log: log, stamps: p.stamps, load: p.load,
		failure: names.Listener + ": the changed CA file does not load; the CAs in use stay",
		done:    names.Listener + ": CA file reloaded", doneArg: []any{"ca", file}}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Pool is the pool in use.
func (p *Pool) Pool() *x509.CertPool { return p.cfg.Load().ClientCAs }

// Config is the handshake's configuration (tls.Config.GetConfigForClient):
// the base's, with the pool of the file as it is now. The one handshake
// that finds a check due looks at the file; the others, meanwhile, take
// the pool in use without waiting for the disk.
func (p *Pool) Config(*tls.ClientHelloInfo) (*tls.Config, error) {
	p.check()
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
