package lang_test

import (
	"path/filepath"
	"testing"

	"github.com/rpl-lang/rpl/lang"
)

// TestInspectVisitsEveryIdent checks that Inspect reaches every identifier
// the checker recorded, and that PathEnclosing finds each one as the
// innermost node at its start, inside nodes that contain it.
func TestInspectVisitsEveryIdent(t *testing.T) {
	paths, _ := filepath.Glob("../examples/policies/*.rpl")
	if len(paths) == 0 {
		t.Fatal("no example policies")
	}
	for _, path := range paths {
		if lang.IsTestFile(path) {
			continue
		}
		prog, _ := lang.Check(&lang.Config{Universe: universe(t)}, path)
		seen := map[*lang.Ident]bool{}
		for _, pkg := range prog.Packages {
			for _, f := range pkg.Files {
				lang.Inspect(f, func(n lang.Node) bool {
					if id, ok := n.(*lang.Ident); ok {
						seen[id] = true
						p := lang.PathEnclosing(f, id.Sp.Start)
						if len(p) == 0 || p[0] != lang.Node(f) {
							t.Errorf("%s: path to %s does not start at the file", f.File.Position(id.Sp.Start), id.Name)
						}
						for i := 1; i < len(p); i++ {
							if o, in := p[i-1].Span(), p[i].Span(); in.Start < o.Start || in.End > o.End {
								t.Errorf("%s: %T not inside %T", f.File.Position(id.Sp.Start), p[i], p[i-1])
							}
						}
					}
					return true
				})
			}
		}
		for id := range prog.Info.Uses {
			if !seen[id] {
				t.Errorf("%s: use of %s not visited", path, id.Name)
			}
		}
		for id := range prog.Info.Defs {
			if !seen[id] {
				t.Errorf("%s: definition of %s not visited", path, id.Name)
			}
		}
	}
}

// TestConcurrentChecksShareTheUniverse checks under the race detector that
// checks sharing a universe do not write to it, and that a check leaves no
// trace in it.
func TestConcurrentChecksShareTheUniverse(t *testing.T) {
	u := universe(t)
	before := len(u.Scope.Children)
	done := make(chan bool)
	for range 4 {
		go func() {
			lang.CheckSource(&lang.Config{Universe: u}, "p.rpl", []byte("package p\n\nfn route(r: Request) -> Decision = to(\"x\")\n"))
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	if after := len(u.Scope.Children); after != before {
		t.Errorf("the universe scope grew from %d to %d children", before, after)
	}
}
