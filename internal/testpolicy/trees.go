package testpolicy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TreeCase is a policy tree of testdata/trees (see its README) written
// into a directory, with the errors the tools report of it.
type TreeCase struct {
	Name string // the archive's, without .txtar
	Dir  string // where its files are
	// Want are the errors every tool reports, WantTree those that the
	// tools refusing a test module (all but rplc test) report besides:
	// "file:line:col: error[code]: message", file relative to Dir, sorted.
	Want, WantTree []string
}

// InTree is what a tool that refuses a test module reports: Want and
// WantTree, sorted.
func (c TreeCase) InTree() []string {
	return slices.Sorted(slices.Values(append(slices.Clone(c.Want), c.WantTree...)))
}

// EachTreeCase runs f, as a subtest of t named after it, on each policy
// tree of the directory cases (the repository's testdata/trees), written
// into a directory of its own.
func EachTreeCase(t *testing.T, cases string, f func(t *testing.T, c TreeCase)) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(cases, "*.txtar"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no policy trees in %s: %v", cases, err)
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".txtar"), func(t *testing.T) {
			f(t, treeCase(t, name))
		})
	}
}

// treeCase writes the policy tree of the archive name into a directory
// removed when tb ends.
func treeCase(tb testing.TB, name string) TreeCase {
	tb.Helper()
	a, err := txtar.ParseFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	c := TreeCase{Name: strings.TrimSuffix(filepath.Base(name), ".txtar"), Dir: tb.TempDir()}
	for _, f := range a.Files {
		switch f.Name {
		case "want":
			c.Want = lines(f.Data)
		case "want-tree":
			c.WantTree = lines(f.Data)
		default:
			p := filepath.Join(c.Dir, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return c
}

// lines are the lines of data that are not empty, sorted.
func lines(data []byte) []string {
	var out []string
	for l := range strings.Lines(string(data)) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}
