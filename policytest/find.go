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
