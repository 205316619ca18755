package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

func newRollbackCmd(e *env) *cobra.Command {
	var k bundleKey
	var publicKey, version string
	var limits rpl.Limits
	cmd := &cobra.Command{
		Use:   "rollback --nats-url URL [--public-key FILE] [--version VERSION]",
		Short: "Put the previous bundle back for every router watching the bucket",
		Long: `Rollback rolls a fleet of routers back: it finds, in the history of the key
that rplc push writes (the bucket keeps the last 10 pushes), the latest
earlier bundle of another version than the current one that is valid and
passes its policies' tests, and puts it under the key again. Every router
watching the key activates it, as after a push. A push that the routers
refused (corrupt, or with failing tests) is passed over. Rolling back
twice returns to the bundle rolled back from. When the current revision is
itself not a valid bundle (a corrupt push the routers refused), rollback
puts back the latest valid one and says so.

What rollback checks, as rplc push does: the bundle's format, hashes and
bytecode, its tenant registry (tenants.json), its signature with
--public-key, and its policies' tests, run as a router runs them and rplc
build does, under the VM's default limits, whatever the routers' --fuel
and --memory (which bound decisions); --fuel and --memory (0, the
default: those limits) run them under lower ones, passing over more than
a router refuses. The revisions
are read first: the tests run only for a revision to put back, newest
first until one passes (those of the current version are passed over
untested), and --timeout bounds the requests to NATS, not the tests.

Routers that require signed bundles (rpl-router serve --public-key FILE)
refuse the others. Give rollback the same public key (--public-key FILE,
PEM as written by rplc keygen) and it passes over the revisions they
refused, unsigned or signed with another key, and puts back the latest
one signed with that key. Without the key signatures cannot be verified:
when the current bundle is signed, rollback refuses to put back a bundle
that is unsigned or signed with another key (the routers would refuse it
and stay where they are); it fails, says which revision, and changes
nothing.

--version VERSION puts back that version instead, by the latest revision
of it the bucket keeps, as checked as above: the whole version that rplc
build and rplc push print, or 8 of its first characters at least, naming
one version there. It fails, changing nothing, for the current version, a
version the bucket no longer keeps (push its bundle again) or one whose
bundle the checks refuse.

The put is conditional on the revision read: if someone pushes meanwhile,
rollback fails and changes nothing, and can be run again.

One router, fed from a directory or from NATS, rolls back on its own with
POST /v2/policies/rollback on its HTTP listener, and puts back any version
it keeps with POST /v2/policies/activate.

Exit status: 0 when the earlier bundle was put back, 1 when there is none
(or, without --public-key, it is not signed like the current one), the key
cannot be read or NATS refused, 2 for a wrong command line, a key or
credentials file that does not exist or a directory given for one
(--public-key, --nats-creds, --nats-tls-ca, --nats-tls-cert, --nats-tls-key).`,
		Example: `  rplc rollback --nats-url nats://127.0.0.1:4222
  rplc rollback --nats-url nats://127.0.0.1:4222 --public-key release.key.pub
  rplc rollback --nats-url nats://127.0.0.1:4222 --version 8a4ebd45
  curl -X POST localhost:8080/v2/policies/rollback   # one router`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageErrorf(cmd, "rollback: takes no arguments, have %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := k.validate(cmd); err != nil {
				return err
			}
			if _, ok := runtime.VersionName(version); version != "" && !ok {
				return usageErrorf(cmd, "invalid --version %q: want a version (64 hex digits), or 8 of its first at least", version)
			}
			opts, err := signatureOptions(cmd, publicKey)
			if err != nil {
				return err
			}
			nc, ctx, done, err := k.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			// --timeout bounds the requests to NATS, not the tests of
			// the revision to put back, which run as rplc push runs a
			// bundle's.
			from, to, rev, err := natsx.RollbackBundle(ctx, nc, k.bucket, k.key, natsx.RollbackOptions{Read: opts, Limits: limits, Tests: cmd.Context(), Version: version})
			if err != nil {
				return k.failed(nc, err)
			}
			was := fmt.Sprintf("version %s (revision %d)", from.Version, from.Revision)
			if from.Version == "" {
				// RollbackBundle reads the current revision without the
				// key; it did not read as a bundle at all.
				was = fmt.Sprintf("revision %d, which is not a valid bundle (routers refused it and kept their version)", from.Revision)
			}
			fmt.Fprintf(e.stdout, "rolled %s/%s back from %s to version %s (revision %d), now revision %d\n",
				k.bucket, k.key, was, to.Version, to.Revision, rev)
			return nil
		},
	}
	k.flags(cmd)
	cmd.Flags().StringVar(&publicKey, "public-key", "", "the ed25519 public key the routers require (PEM, as written by rplc keygen): roll back to the latest revision signed with it")
	cmd.Flags().StringVar(&version, "version", "", "put back this version (whole, or 8 of its first characters at least), not the one before the current")
	testLimitFlags(cmd, &limits)
	return cmd
}
