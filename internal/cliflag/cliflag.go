// Package cliflag holds the checks of command-line flags that rplc and
// rpl-router share.
//
// The commands' flags of limits and times (fuel, memory, durations,
// sizes) take 0 for their default, as each one's help says; a negative
// value is a mistake, not the default, and is refused before the command
// does anything. NonNegative is that check: its error names the flag and
// its value as given, and each command wraps it in its own way (rplc as
// a usage error, exit 2).
package cliflag

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// NonNegative refuses a negative value for any of the named flags of fs,
// in the order of names: "--NAME VALUE: want a value ≥ 0", VALUE as the
// flag prints it. A name that fs does not define is passed over, so that
// one list serves commands with different flags. A value is negative
// when it prints with a leading '-': any signed number or duration.
func NonNegative(fs *pflag.FlagSet, names ...string) error {
	for _, name := range names {
		if f := fs.Lookup(name); f != nil && strings.HasPrefix(f.Value.String(), "-") {
			return fmt.Errorf("--%s %s: want a value ≥ 0", name, f.Value)
		}
	}
	return nil
}
