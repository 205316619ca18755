package policytest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rpl-lang/rpl/lang"
)

// Find returns the policies (absolute paths of x.rpl files, sorted, each
// once) that the given files and directories name: a file x.rpl or
// x_test.rpl names x.rpl; a directory names every policy under it
// (hidden directories skipped). A test file names its policy even when
// that does not exist; Run reports it. A missing path is a
// *lang.NotFoundError.
func Find(paths []string) ([]string, error) {
	files, err := lang.SourceFiles(paths)
	if err != nil {
		return nil, err
	}
	return Policies(files)
}

// Policies is Find for files already listed (lang.SourceFiles, absolute
// paths), read as they are: a file that cannot be read (a link to
// nothing a walk found) is a policy whose check reports it (RPL203),
// the others tested all the same.
func Policies(files []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range files {
		if !strings.HasSuffix(p, ".rpl") {
			return nil, fmt.Errorf("%s: not an .rpl file", p)
		}
		p = lang.PolicyOf(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}
