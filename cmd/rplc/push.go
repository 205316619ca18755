package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

// bundleKey is the NATS deployment and the key-value entry that push and
// rollback write, from their flags.
type bundleKey struct {
	url, bucket, key string
	timeout          time.Duration
	creds            natsx.Credentials
	auth             []nats.Option // creds' (validate)
}

func (k *bundleKey) flags(cmd *cobra.Command) {
	defURL := os.Getenv("NATS_URL")
	if defURL == "" {
		defURL = nats.DefaultURL
	}
	cmd.Flags().StringVar(&k.url, "nats-url", defURL, "NATS of the routers ($NATS_URL when set, else "+nats.DefaultURL+")")
	// The default shown (--help, and the usage a wrong command line
	// prints) is $NATS_URL redacted: it printed the token or password
	// of nats://TOKEN@HOST:PORT, which the errors never show.
	cmd.Flags().Lookup("nats-url").DefValue = natsx.RedactURL(defURL)
	cmd.Flags().StringVar(&k.bucket, "bucket", natsx.BundleBucket, "JetStream key-value bucket the routers watch")
	cmd.Flags().StringVar(&k.key, "key", natsx.BundleKey, "key of the bundle in the bucket")
	cmd.Flags().DurationVar(&k.timeout, "timeout", defaultTimeout, "give up after this long (0: the default)")
	k.creds.AddFlags(cmd.Flags())
}

// defaultTimeout is push's and rollback's --timeout, given or 0.
const defaultTimeout = 10 * time.Second

// Names that JetStream key-value accepts, as nats.go's jetstream package
// checks them (kv.go: bucketValid, keyValid, which it does not export;
// its calls refuse other names with jetstream.ErrInvalidBucketName and
// ErrInvalidKey, only once connected), and a bucket whose stream, KV_ and
// its name, is no longer than the server takes (server.JSMaxNameLen).
// TestPushNamesAgree runs a table of names through both and a server.
var (
	validBucket = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	validKey    = regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)
)

// maxBucketLen is the longest bucket name: its stream is named KV_ and it.
const maxBucketLen = server.JSMaxNameLen - len("KV_")

func bucketNameValid(b string) bool { return validBucket.MatchString(b) && len(b) <= maxBucketLen }

func keyNameValid(k string) bool {
	return validKey.MatchString(k) && !strings.HasPrefix(k, ".") && !strings.HasSuffix(k, ".") && !strings.Contains(k, "..")
}

// validate reports a --bucket or --key that no bucket or key can have (a
// wrong command line), and credentials or TLS files missing or not what
// their flags want, found before reading, testing or connecting.
func (k *bundleKey) validate(cmd *cobra.Command) error {
	if !bucketNameValid(k.bucket) {
		if len(k.bucket) > maxBucketLen && validBucket.MatchString(k.bucket) {
			return usageErrorf(cmd, "invalid --bucket: %d bytes, longer than the %d JetStream takes", len(k.bucket), maxBucketLen)
		}
		return usageErrorf(cmd, "invalid --bucket %q: want letters, digits, - and _", k.bucket)
	}
	if !keyNameValid(k.key) {
		return usageErrorf(cmd, "invalid --key %q: want letters, digits and -/_=. (a dot not first, last or doubled)", k.key)
	}
	c := k.creds
	for i, f := range []string{c.Creds, c.TLSCA, c.TLSCert, c.TLSKey} {
		if err := notDir(cmd, natsx.CredentialFlags[i], f, credentialWhat[i]); err != nil {
			return err
		}
	}
	var err error
	if k.auth, err = k.creds.Options(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usageErrorf(cmd, "%v", err)
		}
		return &exitError{code: exitFail, err: err}
	}
	return nil
}

// connect connects to the NATS deployment; the context ends with the
// timeout. The client library's own report of an error the server sent
// (printed to stderr by default, unformatted) is left to failed, which
// gives it with the command's error.
func (k *bundleKey) connect(cmd *cobra.Command) (*nats.Conn, context.Context, func(), error) {
	timeout := cmp.Or(k.timeout, defaultTimeout)
	nc, err := nats.Connect(k.url, append(k.auth, nats.Name("rplc "+cmd.Name()), nats.Timeout(timeout),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))...)
	if err != nil {
		return nil, nil, nil, &exitError{code: exitFail, err: fmt.Errorf("NATS %s: %w", natsx.RedactURL(k.url), natsx.RedactError(err))}
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	return nc, ctx, func() { cancel(); nc.Close() }, nil
}

// failed is the command's error for err, an operation on nc that failed,
// with the last error the server sent (which connect's handler does not
// print): when the server closed the connection, err says only that,
// and a refused publish (a permissions violation) times out. A subject longer than the
// server's max_control_line (4096 bytes by default) is one such error,
// and only the key makes a subject that long: the key's length is named.
func (k *bundleKey) failed(nc *nats.Conn, err error) error {
	switch last := nc.LastError(); {
	case last == nil:
	case errors.Is(err, nats.ErrConnectionClosed):
		err = fmt.Errorf("the NATS server closed the connection: %w", last)
		if strings.Contains(last.Error(), "maximum control line") {
			err = fmt.Errorf("%w (the server's max_control_line, 4096 bytes by default, bounds a subject: --key is %d bytes)", err, len(k.key))
		}
	case (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)) && !strings.Contains(err.Error(), last.Error()):
		// A refusal the server sent while the operation waited (a
		// permissions violation), which then timed out; not to another
		// failure, which an error of earlier (that the operation got
		// past) did not cause.
		err = fmt.Errorf("%w (the NATS server said: %v)", err, last)
	}
	return &exitError{code: exitFail, err: err}
}

// credentialWhat is what each of natsx.CredentialFlags names, as a
// directory given for it is told to name instead.
var credentialWhat = [4]string{"credentials file", "CA certificate file", "client certificate file", "client key file"}

// signatureOptions reads the bundles with the public key in file: a
// signature made with it is required ("" for none).
func signatureOptions(cmd *cobra.Command, file string) (bundle.ReadOptions, error) {
	var opts bundle.ReadOptions
	if file == "" {
		return opts, nil
	}
	if err := notDir(cmd, "--public-key", file, "public key file"); err != nil {
		return opts, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return opts, readError(cmd, fmt.Errorf("--public-key: %w", unwrapPath(err)))
	}
	if opts.PublicKey, err = bundle.ParsePublicKey(data); err != nil {
		return opts, &exitError{code: exitFail, err: fmt.Errorf("--public-key %s: %w", file, err)}
	}
	opts.RequireSignature = true
	return opts, nil
}

func newPushCmd(e *env) *cobra.Command {
	var k bundleKey
	var publicKey string
	var replicas int
	var unverified bool
	var limits rpl.Limits
	cmd := &cobra.Command{
		Use:   "push BUNDLE --nats-url URL",
		Short: "Publish a bundle to the routers watching a JetStream key-value bucket",
		Long: `Push puts a bundle (.rplb, from rplc build) under the key "current" of the
JetStream key-value bucket rpl_bundles (created when missing). Every
rpl-router on that NATS watches the key: it verifies the bundle, runs its
policies' tests and activates it atomically; a router that refuses it keeps
its running version and logs why. The bucket keeps the last 10 pushes.
Push creates the bucket when it does not exist, with --replicas copies on
a JetStream cluster (1 by default); a bucket that exists with fewer has
them raised to --replicas (a failure to raise them is a warning, with the
command that does, and the bundle is pushed), never lowered.
A router on its embedded NATS server (rpl-router serve without --nats-url)
is reached only once --nats-listen HOST:PORT opens that server to clients:
--nats-url is then nats://HOST:PORT (nats://TOKEN@HOST:PORT with its
--nats-token; tls://TOKEN@HOST:PORT and --nats-tls-ca, the CA that signed
its certificate, when it serves TLS, --nats-listen-tls-cert). A deployment
that requires more is given its files:
--nats-creds, --nats-tls-ca, --nats-tls-cert and --nats-tls-key.

The bundle is read and verified (format, hashes, bytecode, tenant registry)
and its policies' tests are run before it is sent, so that neither a
corrupt file nor a bundle whose tests fail (built with --skip-tests)
reaches the routers, which would refuse it; with --public-key, its
signature is verified too, so that a bundle the routers requiring that key
would refuse is not pushed. Without --public-key, a bundle that is unsigned
or signed with another key than the current bundle is not pushed either
(the routers requiring that key would refuse it), unless --unverified:
the key ids are compared, the signature not verified (--public-key
verifies it). The tests run as a router runs them and rplc
build does, under the VM's default limits, whatever the routers' --fuel,
--memory and --deadline (which bound decisions, not tests); --fuel and
--memory (0, the default: those limits) run them under lower ones, and
refuse more than a router does.

Exit status: 0 when the bundle was stored, 1 when it is not a valid bundle,
its tests fail, it is not signed like the current bundle (without
--public-key and --unverified), a file cannot be read, --public-key holds
no public key or NATS refused it, 2 for a wrong command line, a file that does not exist or
a directory given for a file (BUNDLE, --public-key, --nats-creds,
--nats-tls-ca, --nats-tls-cert, --nats-tls-key).`,
		Example: `  rplc build examples/policies -o policies.rplb
  rplc push policies.rplb --nats-url nats://127.0.0.1:4222 --public-key release.key.pub`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf(cmd, "push: want one bundle file, have %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := k.validate(cmd); err != nil {
				return err
			}
			if err := natsx.ReplicasProblem("--replicas", replicas); err != nil {
				return usageErrorf(cmd, "push: %v", err)
			}
			// "-" says that push reads a file, not standard input, as
			// build says: it said "-: no such file or directory".
			if err := noStdin(cmd, args); err != nil {
				return err
			}
			data, err := readBundleFile(cmd, args[0])
			if err != nil {
				return err
			}
			opts, err := signatureOptions(cmd, publicKey)
			if err != nil {
				return err
			}
			b, err := bundle.Accept(cmd.Context(), data, opts, nil, limits)
			if err != nil {
				return &exitError{code: exitFail, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			nc, ctx, done, err := k.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			if publicKey == "" && !unverified {
				if err := signedLikeCurrent(ctx, nc, k, args[0], b); err != nil {
					return err
				}
			}
			if replicas > 0 {
				raiseReplicas(ctx, nc, e, k.bucket, replicas)
			}
			rev, err := natsx.PushBundle(ctx, nc, k.bucket, k.key, replicas, data)
			if err != nil {
				return k.failed(nc, err)
			}
			fmt.Fprintf(e.stdout, "pushed %s to %s/%s revision %d: %s, %d bytes, version %s\n",
				args[0], k.bucket, k.key, rev, policyCount(len(b.Policies)), len(data), b.Version())
			return nil
		},
	}
	k.flags(cmd)
	cmd.Flags().StringVar(&publicKey, "public-key", "", "the ed25519 public key the routers require (PEM, as written by rplc keygen): push only a bundle signed with it")
	cmd.Flags().BoolVar(&unverified, "unverified", false, "without --public-key, push even when the current bundle is signed and this one is not signed with its key (routers that no longer require that key)")
	cmd.Flags().IntVar(&replicas, "replicas", 0, "copies of the bucket on a JetStream cluster, 1 to 5: a bucket created gets them, one with fewer has them raised, never lowered (0: 1 for a bucket created)")
	testLimitFlags(cmd, &limits)
	return cmd
}

// signedLikeCurrent is an error, exit status 1, when the bundle b read
// from file is unsigned or signed with another key than the bundle
// current under k's key: routers requiring that key would refuse it. A
// current revision that is not a bundle, or none, allows any; a failure
// to read it is left to the push, which meets it and says what it is.
func signedLikeCurrent(ctx context.Context, nc *nats.Conn, k bundleKey, file string, b *bundle.Bundle) error {
	e, err := natsx.CurrentEntry(ctx, nc, k.bucket, k.key)
	if err != nil || e == nil {
		return nil
	}
	cur, err := bundle.Read(e.Value(), bundle.ReadOptions{})
	if err != nil || !cur.Signed || (b.Signed && b.KeyID == cur.KeyID) {
		return nil
	}
	what := "unsigned"
	if b.Signed {
		what = "signed with key " + b.KeyID
	}
	return &exitError{code: exitFail, err: fmt.Errorf("%s is %s, and %s/%s revision %d (version %s) is signed with key %s: routers that require it would refuse the push and keep their version. Give their public key (--public-key FILE) to verify the bundle against it, or --unverified to push it anyway",
		file, what, k.bucket, k.key, e.Revision(), cur.Version(), cur.KeyID)}
}

// raiseReplicas raises the copies of bucket, when it exists with fewer,
// to replicas (--replicas), saying so on stderr; it never lowers them,
// and says that too. A failure to raise them (a lone server, too few
// servers up) is said, with the command that raises them, and the push
// goes on: the routers want the bundle whatever its copies. A failure to
// look the bucket up (NATS unreachable, no JetStream) is left to the
// push, which meets it and says what it is.
func raiseReplicas(ctx context.Context, nc *nats.Conn, e *env, bucket string, replicas int) {
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	// Half the time left at most: the push keeps the rest, whether the
	// copies are in place by then or not.
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Until(deadline)/2)
		defer cancel()
	}
	had, err := natsx.RaiseReplicas(ctx, js, bucket, replicas)
	switch {
	case err != nil && had > 0: // not raised, or not in place yet
		fmt.Fprintf(e.stderr, "rplc push: warning: %v\n", err)
	case err != nil: // the look-up's: the push meets it, and says what it is
	case had == 0: // created by the push, with them
	case had < replicas:
		fmt.Fprintf(e.stderr, "rplc push: bundle bucket %s: copies raised from %d to %d\n", bucket, had, replicas)
	case had > replicas:
		fmt.Fprintf(e.stderr, "rplc push: bundle bucket %s keeps its %d copies (--replicas %d: push never lowers them; nats stream edit KV_%s --replicas %d does)\n", bucket, had, replicas, bucket, replicas)
	}
}

// testLimitFlags are the limits of each test, for the commands that run a
// bundle's tests before the routers do (push, rollback): 0, the default,
// runs them as the routers and rplc build do (bundle.TestLimits); lower
// ones refuse more.
func testLimitFlags(cmd *cobra.Command, limits *rpl.Limits) {
	cmd.Flags().Int64Var(&limits.Fuel, "fuel", 0, "fuel of each test (0: the VM default, under which routers and rplc build run them; a lower one refuses more)")
	cmd.Flags().Int64Var(&limits.Memory, "memory", 0, "memory of each test in bytes (0: the VM default, under which routers and rplc build run them; a lower one refuses more)")
}
