package policytest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rpl-lang/rpl/lang"
)

// NotFoundError is a path given to Find that does not exist.
type NotFoundError struct{ Path string }

func (e *NotFoundError) Error() string { return e.Path + ": no such file or directory" }

// Find returns the policies (absolute paths of x.rpl files, sorted, each
// once) that the given files and directories name: a file x.rpl or
// x_test.rpl names x.rpl; a directory names every policy under it
// (hidden directories skipped). A test file whose policy does not exist
// is returned as is; Run reports it.
func Find(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if lang.IsTestFile(p) {
			p = strings.TrimSuffix(p, "_test.rpl") + ".rpl"
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, arg := range paths {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, &NotFoundError{arg}
			}
			return nil, err
		}
		if !fi.IsDir() {
			if !strings.HasSuffix(abs, ".rpl") {
				return nil, fmt.Errorf("%s: not an .rpl file", arg)
			}
			add(abs)
			continue
		}
		err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != abs && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), ".rpl") {
				add(p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
