package natsx_test

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

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
		"127.0.0.1:4222":                                 "127.0.0.1:4222",
		"tok@h:4222, u:p@h2":                             "xxxxx@h:4222,u:xxxxx@h2",
		"nats://tok@h:port":                              "nats://xxxxx@h:port",
		"u:p@h:port":                                     "xxxxx@h:port",
		"nats://h:port":                                  "nats://h:port",
	} {
		if got := natsx.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactURLBare: a URL without a scheme, which nats.go connects with
// (as nats://), is given as written, its token redacted, not as a URL
// that does not parse, which the failure to connect to one said (found
// running rplc push --nats-url 127.0.0.1:1). USER:PASSWORD@HOST:PORT
// (in TestRedactURL's table) was read as a URL of scheme USER and given
// whole, its password with it.
func TestRedactURLBare(t *testing.T) {
	const token = "s3cr3t"
	s, err := natsx.StartEmbedded(natsx.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	hostPort := strings.TrimPrefix(s.ClientURL(), "nats://")
	bare := token + "@" + hostPort
	nc, err := nats.Connect(bare)
	if err != nil {
		t.Fatalf("nats.Connect(%q): %v", bare, err)
	}
	nc.Close()
	if got, want := natsx.RedactURL(bare), "xxxxx@"+hostPort; got != want {
		t.Errorf("RedactURL(%q) = %q, want %q", bare, got, want)
	}
}
