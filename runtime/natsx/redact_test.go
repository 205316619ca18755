package natsx_test

import (
	"testing"

	"github.com/rpl-lang/rpl/runtime/natsx"
)

// TestRedactURL: the secret of a NATS URL's user information, a token or
// a password, is not in what RedactURL gives, for each URL of a list.
func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                          "nats://127.0.0.1:4222",
		"nats://tok@127.0.0.1:4222":                      "nats://xxxxx@127.0.0.1:4222",
		"nats://user:pass@h:4222":                        "nats://user:xxxxx@h:4222",
		"nats://a@h1:4222, nats://u:p@h2:4222,nats://h3": "nats://xxxxx@h1:4222,nats://u:xxxxx@h2:4222,nats://h3",
	} {
		if got := natsx.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
