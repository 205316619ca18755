package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime/natsx"
)

func newPushCmd(e *env) *cobra.Command {
	var url, bucket, key string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "push BUNDLE --nats-url URL",
		Short: "Publish a bundle to the routers watching a JetStream key-value bucket",
		Long: `Push puts a bundle (.rplb, from rplc build) under the key "current" of the
JetStream key-value bucket rpl_bundles (created when missing). Every
rpl-router on that NATS watches the key: it verifies the bundle, runs its
policies' tests and activates it atomically; a router that refuses it keeps
its running version and logs why. The bucket keeps the last 10 pushes.

The bundle is read and verified (format, hashes, bytecode) before it is
sent, so a corrupt file never reaches the routers.

Exit status: 0 when the bundle was stored, 1 when it is not a valid bundle
or NATS refused it, 2 for a wrong command line.`,
		Example: `  rplc build examples/policies -o policies.rplb
  rplc push policies.rplb --nats-url nats://127.0.0.1:4222`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf(cmd, "push: want one bundle file, have %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return &exitError{code: exitFail, err: err}
			}
			b, err := bundle.Read(data, bundle.ReadOptions{})
			if err != nil {
				return &exitError{code: exitFail, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			nc, err := nats.Connect(url, nats.Name("rplc push"), nats.Timeout(timeout))
			if err != nil {
				return &exitError{code: exitFail, err: fmt.Errorf("NATS %s: %w", url, err)}
			}
			defer nc.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			rev, err := natsx.PushBundle(ctx, nc, bucket, key, data)
			if err != nil {
				return &exitError{code: exitFail, err: err}
			}
			fmt.Fprintf(e.stdout, "pushed %s to %s/%s revision %d: %d policies, %d bytes, version %s\n",
				args[0], bucket, key, rev, len(b.Policies), len(data), b.Version())
			return nil
		},
	}
	defURL := os.Getenv("NATS_URL")
	if defURL == "" {
		defURL = nats.DefaultURL
	}
	cmd.Flags().StringVar(&url, "nats-url", defURL, "NATS to publish to (default $NATS_URL, else "+nats.DefaultURL+")")
	cmd.Flags().StringVar(&bucket, "bucket", natsx.BundleBucket, "JetStream key-value bucket the routers watch")
	cmd.Flags().StringVar(&key, "key", natsx.BundleKey, "key of the bundle in the bucket")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give up after this long")
	return cmd
}
