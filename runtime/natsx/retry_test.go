package natsx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestRetried: a request to JetStream failing as one does that a lost
// leader never answers (a timeout, no responders, JetStream temporarily
// unavailable) is tried again until it is answered; one that no one
// answers (a server without JetStream) only a few times; another error
// at once; and one failing so until the context's end is an error saying
// the stream may have no leader, wrapping the context's and the
// request's. TestPushLeaderLost (cmd/rplc) stops a cluster's leader.
func TestRetried(t *testing.T) {
	unavailable := &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}
	for _, c := range []struct {
		name     string
		errs     []error // the attempts' errors, then success
		attempts int
		err      error
	}{
		{"answered", nil, 1, nil},
		{"timeouts", []error{context.DeadlineExceeded, nats.ErrTimeout}, 3, nil},
		{"unavailable", []error{unavailable, unavailable}, 3, nil},
		{"no responders", []error{nats.ErrNoResponders, nats.ErrNoResponders, nats.ErrNoResponders, nats.ErrNoResponders}, 3, nats.ErrNoResponders},
		{"other", []error{jetstream.ErrBucketNotFound, nil}, 1, jetstream.ErrBucketNotFound},
	} {
		n := 0
		v, err := natsx.Retried(context.Background(), func(ctx context.Context) (int, error) {
			if _, ok := ctx.Deadline(); !ok {
				t.Errorf("%s: an attempt without a deadline", c.name)
			}
			if n++; n <= len(c.errs) {
				return 0, c.errs[n-1]
			}
			return 7, nil
		})
		if n != c.attempts || !errors.Is(err, c.err) || err == nil && v != 7 {
			t.Errorf("%s: %d attempts, %d, %v; want %d attempts, error %v", c.name, n, v, err, c.attempts, c.err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	n := 0
	_, err := natsx.Retried(ctx, func(ctx context.Context) (int, error) {
		n++
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if n != 1 || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 attempt: the bucket's stream or JetStream may have no leader, an election in progress or too few of its servers up; try again") {
		t.Errorf("%d attempts: %v", n, err)
	}
}
