package cliflag

import (
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestNonNegative: a negative value of a named flag is refused, naming the
// flag and its value as given; zero, positive and unnamed flags are not.
func TestNonNegative(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // "" for no error
	}{
		{nil, ""},
		{[]string{"--fuel", "0", "--deadline", "0s", "--size", "0"}, ""},
		{[]string{"--fuel", "7", "--deadline", "1ms"}, ""},
		{[]string{"--fuel", "-1"}, "--fuel -1: want a value ≥ 0"},
		{[]string{"--deadline", "-1.5s"}, "--deadline -1.5s: want a value ≥ 0"},
		{[]string{"--size", "-3"}, "--size -3: want a value ≥ 0"},
		// The first in the order of the names.
		{[]string{"--size", "-3", "--fuel", "-1"}, "--fuel -1: want a value ≥ 0"},
		// A flag not in the names is not checked.
		{[]string{"--offset", "-1"}, ""},
	} {
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.Int64("fuel", 0, "")
		fs.Duration("deadline", 50*time.Millisecond, "")
		fs.Int("size", 0, "")
		fs.Int("offset", 0, "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		got := ""
		if err := NonNegative(fs, "fuel", "deadline", "size", "undefined"); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%q: error %q, want %q", c.args, got, c.want)
		}
	}
}
