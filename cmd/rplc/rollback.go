package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/rpl-lang/rpl/runtime/natsx"
)

func newRollbackCmd(e *env) *cobra.Command {
	var url, bucket, key string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "rollback --nats-url URL",
		Short: "Put the previous bundle back for every router watching the bucket",
		Long: `Rollback rolls a fleet of routers back: it finds, in the history of the key
that rplc push writes (the bucket keeps the last 10 pushes), the latest
earlier bundle that is valid and of another version than the current one,
and puts it under the key again. Every router watching the key activates
it, as after a push. A corrupt push that the routers refused is passed
over. Rolling back twice returns to the bundle rolled back from.

The put is conditional on the revision read: if someone pushes meanwhile,
rollback fails and changes nothing, and can be run again.

One router, fed from a directory or from NATS, rolls back on its own with
POST /v2/policies/rollback on its HTTP listener.

Exit status: 0 when the earlier bundle was put back, 1 when there is none
or NATS refused, 2 for a wrong command line.`,
		Example: `  rplc rollback --nats-url nats://127.0.0.1:4222
  curl -X POST localhost:8080/v2/policies/rollback   # one router`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageErrorf(cmd, "rollback: takes no arguments, have %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			nc, err := nats.Connect(url, nats.Name("rplc rollback"), nats.Timeout(timeout))
			if err != nil {
				return &exitError{code: exitFail, err: fmt.Errorf("NATS %s: %w", url, err)}
			}
			defer nc.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			from, to, rev, err := natsx.RollbackBundle(ctx, nc, bucket, key)
			if err != nil {
				return &exitError{code: exitFail, err: err}
			}
			fmt.Fprintf(e.stdout, "rolled %s/%s back from version %s (revision %d) to version %s (revision %d), now revision %d\n",
				bucket, key, from.Version, from.Revision, to.Version, to.Revision, rev)
			return nil
		},
	}
	defURL := os.Getenv("NATS_URL")
	if defURL == "" {
		defURL = nats.DefaultURL
	}
	cmd.Flags().StringVar(&url, "nats-url", defURL, "NATS of the routers (default $NATS_URL, else "+nats.DefaultURL+")")
	cmd.Flags().StringVar(&bucket, "bucket", natsx.BundleBucket, "JetStream key-value bucket the routers watch")
	cmd.Flags().StringVar(&key, "key", natsx.BundleKey, "key of the bundle in the bucket")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "give up after this long")
	return cmd
}
