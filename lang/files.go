package lang

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// NotFoundError is a path given to SourceFiles that does not exist.
type NotFoundError struct{ Path string }

func (e *NotFoundError) Error() string { return e.Path + ": no such file or directory" }

// SourceFiles expands command-line paths into absolute paths of source
// files: a file is taken as given; a directory (or a symlink to one, a
// deployment's current link, whose files are named through the link) is
// walked recursively for *.rpl files, skipping hidden files and
// directories (an editor's lock file, .#x.rpl, may be a dangling link).
// The result is sorted and has no duplicates. A path that does not exist
// is a *NotFoundError.
func SourceFiles(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
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
			add(abs)
			continue
		}
		// With a trailing separator the walk enters a symlinked root.
		root := abs + string(filepath.Separator)
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			hidden := p != root && strings.HasPrefix(d.Name(), ".")
			if d.IsDir() {
				if hidden {
					return filepath.SkipDir
				}
				return nil
			}
			if !hidden && strings.HasSuffix(d.Name(), ".rpl") {
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
