package lang_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/rpl-lang/rpl/lang"
)

// updating reports whether -update was given (the flag is registered by
// the package's internal tests).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestCheckGolden checks each lang/testdata/checkgolden/*.txtar: the
// policy in in.rpl (and any other .rpl sections, importable by relative
// path) gives the diagnostics in out/check (printed with carets) and the
// declarations' types in out/types. -update rewrites the outputs.
func TestCheckGolden(t *testing.T) {
	u := universe(t)
	files, _ := filepath.Glob("testdata/checkgolden/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			srcs := map[string][]byte{}
			for _, f := range ar.Files {
				if strings.HasSuffix(f.Name, ".rpl") {
					srcs[filepath.Join("/golden", f.Name)] = f.Data
				}
			}
			read := func(p string) ([]byte, error) {
				if b, ok := srcs[p]; ok {
					return b, nil
				}
				return nil, os.ErrNotExist
			}
			prog, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read}, "/golden/in.rpl")
			var check bytes.Buffer
			for _, d := range diags {
				lang.PrintSnippet(&check, d, lang.Style{})
			}
			got := map[string][]byte{
				"out/check": []byte(strings.ReplaceAll(check.String(), "/golden/", "")),
				"out/types": typesDump(prog),
			}
			changed := false
			for name, data := range got {
				found := false
				for i := range ar.Files {
					if ar.Files[i].Name != name {
						continue
					}
					found = true
					if !bytes.Equal(ar.Files[i].Data, data) {
						if updating() {
							ar.Files[i].Data = data
							changed = true
						} else {
							t.Errorf("%s differs:\n--- got ---\n%s--- want ---\n%s", name, data, ar.Files[i].Data)
						}
					}
				}
				if !found {
					if updating() {
						ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
						changed = true
					} else {
						t.Errorf("missing section %s; run with -update", name)
					}
				}
			}
			if changed {
				sort.SliceStable(ar.Files, func(i, j int) bool {
					return !strings.HasPrefix(ar.Files[i].Name, "out/") && strings.HasPrefix(ar.Files[j].Name, "out/")
				})
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// typesDump lists the main policy's top-level declarations with their
// types, and every let binding, in source order.
func typesDump(prog *lang.Program) []byte {
	var b bytes.Buffer
	if prog == nil || prog.Main == nil {
		return nil
	}
	for _, f := range prog.Main.Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *lang.ConstDecl, *lang.FuncDecl, *lang.TypeDecl:
				var id *lang.Ident
				switch d := d.(type) {
				case *lang.ConstDecl:
					id = d.Name
				case *lang.FuncDecl:
					id = d.Name
				case *lang.TypeDecl:
					id = d.Name
				}
				if o := prog.Info.Defs[id]; o != nil && o.Type != nil {
					t := o.Type.String()
					if r, ok := o.Type.(*lang.Record); ok {
						t = r.Literal()
					}
					fmt.Fprintf(&b, "%s %s %s\n", o.Kind, o.Name, t)
				}
			}
		}
	}
	type entry struct {
		pos  lang.Pos
		line string
	}
	var lets []entry
	for id, o := range prog.Info.Defs {
		if o.Kind == lang.ObjVar && o.Pkg == prog.Main && o.Type != nil {
			if _, ok := o.Decl.(*lang.LetStmt); ok {
				lets = append(lets, entry{id.Sp.Start, fmt.Sprintf("let %s %s", o.Name, o.Type)})
			}
		}
	}
	sort.Slice(lets, func(i, j int) bool { return lets[i].pos < lets[j].pos })
	for _, l := range lets {
		b.WriteString(l.line + "\n")
	}
	return b.Bytes()
}
