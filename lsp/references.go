package lsp

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// references lists every use of the name under the cursor across the
// workspace: every policy of the workspace folders and of the open
// documents is checked, and an identifier refers to the target when the
// object it denotes has the same declaration (file and offset), so uses in
// policies that import or extend the declaring file are found too. Named
// arguments count as references to their parameter. In a policy that
// extends another, a constant or function it redeclares replaces its
// parent's everywhere, in the parent's own functions too (lang's
// Program.Derived): the parent's uses are references to it there, but
// super.f names the parent's own.
//
// A search beyond the target's own policy checks every policy of the
// workspace (a second and more in a large one, after a change): it runs
// on a goroutine of its own (later), cancellable, and finds the target
// in the policies as they are then.
//
// When the target's policy is still to check, the check, and the search,
// run on a goroutine of their own (pin), answered ContentModified if the
// policies changed meanwhile.
func (s *Server) references(_ *glsp.Context, p *protocol.ReferenceParams) ([]protocol.Location, error) {
	const method = string(protocol.MethodTextDocumentReferences)
	path := uriToPath(p.TextDocument.URI)
	pn := s.pin(path)
	if pn.sn == nil {
		s.laterUnchangedSince(method, "search", pn.gen, func(ctx context.Context, _ uint64) (any, error) {
			sn, fn, pos := resolveAt(s.checked(pn), path, p.Position)
			return s.referencesAt(ctx, sn, fn, pos, p, true)
		})
		return nil, nil
	}
	sn, fn, pos := resolveAt(pn.sn, path, p.Position)
	return s.referencesAt(context.Background(), sn, fn, pos, p, false)
}

// referencesAt is references' answer at pos of fn, checked in sn: at once
// (inWork: on the request's goroutine, with its ctx) or, when the search
// goes beyond the target's own policy, later.
func (s *Server) referencesAt(ctx context.Context, sn *snapshot, fn *lang.FileNode, pos lang.Pos, p *protocol.ReferenceParams, inWork bool) ([]protocol.Location, error) {
	if fn == nil {
		return nil, nil
	}
	t := sn.targetAt(fn, pos)
	obj := t.declared()
	if obj == nil && t.id == nil {
		obj = sn.importedModuleAt(t.path) // the path of an import without as
	}
	if obj == nil {
		return nil, nil
	}
	find := func(ctx context.Context) ([]protocol.Location, error) {
		refs := s.findRefs(ctx, checkedFrom(sn), sn, obj, p.Context.IncludeDeclaration)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out := make([]protocol.Location, 0, len(refs))
		for _, r := range refs {
			out = append(out, protocol.Location{URI: s.uriOf(r.path), Range: toRange(r.file, r.id.Sp)})
		}
		return out, nil
	}
	if inWork || s.ownPolicyOnly(sn, obj) {
		return find(ctx)
	}
	// The other policies are checked as they are when the search comes
	// to them: the target's place may have moved meanwhile.
	s.laterUnchanged(string(protocol.MethodTextDocumentReferences), "search", func(ctx context.Context, _ uint64) (any, error) { return find(ctx) })
	return nil, nil
}

// ownPolicyOnly reports whether the references to target are all in the
// policy of from: a local's or an import's name is found in its own
// policy only; a function's parameter is also named by the arguments of
// calls in the policies that import or extend its file.
func (s *Server) ownPolicyOnly(from *snapshot, target *lang.Object) bool {
	return fileLocal(target) && paramOwner(from, target) == ""
}

// ref is one identifier that refers to (or declares) a target.
type ref struct {
	path string
	file *lang.File
	id   *lang.Ident
	decl bool
	arg  bool // a named argument's label, which resolves in no scope
}

// objKey identifies an object across separate checks: by its declaration,
// or by name for the universe's objects.
func objKey(o *lang.Object) string {
	if f := declFile(o); f != nil {
		return fmt.Sprintf("%s:%d", filepath.Clean(f.File.Name), o.Pos())
	}
	return fmt.Sprintf("universe:%d:%s:%s", o.Kind, o.StdModule, o.Name)
}

// paramOwner returns the key of the function whose parameter o is, or "".
func paramOwner(sn *snapshot, o *lang.Object) string {
	if _, ok := o.Decl.(*lang.Param); !ok {
		return ""
	}
	f := declFile(o)
	if f == nil {
		return ""
	}
	for _, n := range lang.PathEnclosing(f, o.Pos()) {
		if fd, ok := n.(*lang.FuncDecl); ok {
			if fo := sn.prog.Info.Funcs[fd]; fo != nil {
				return objKey(fo)
			}
		}
	}
	return ""
}

// findRefs collects the references to target in every workspace policy,
// sorted by file and offset, without duplicates, checking them into
// checked, which holds from for from's policy (checkedFrom). It stops,
// its list partial, when ctx is canceled.
func (s *Server) findRefs(ctx context.Context, checked checkedSnaps, from *snapshot, target *lang.Object, withDecl bool) []ref {
	key := objKey(target)
	owner := paramOwner(from, target)
	policies := []string{from.policy}
	if !s.ownPolicyOnly(from, target) {
		policies = append(policies, s.workspacePolicies()...)
	}
	seen := map[string]bool{}
	done := map[string]bool{}
	var out []ref
	for _, policy := range policies {
		if done[policy] || ctx.Err() != nil {
			continue
		}
		done[policy] = true
		sn := s.snapshotIn(checked, policy)
		if sn.prog == nil {
			continue
		}
		info := sn.prog.Info
		for _, pkg := range sn.prog.Packages {
			for _, f := range pkg.Files {
				path := filepath.Clean(f.File.Name)
				add := func(id *lang.Ident, decl, arg bool) {
					k := fmt.Sprintf("%s:%d", path, id.Sp.Start)
					if seen[k] || (decl && !withDecl) {
						return
					}
					seen[k] = true
					out = append(out, ref{path: path, file: f.File, id: id, decl: decl, arg: arg})
				}
				super := map[*lang.Ident]bool{} // the f of each super.f
				lang.Inspect(f, func(n lang.Node) bool {
					switch n := n.(type) {
					case *lang.ImportDecl:
						// A module imported without as is declared by its
						// path, where definition goes.
						if target.Kind == lang.ObjModule && n.Alias == nil && fmt.Sprintf("%s:%d", path, n.Path.Sp.Start) == key {
							add(&lang.Ident{Sp: n.Path.Sp, Name: target.Name}, true, false)
						}
					case *lang.SelectorExpr:
						if x, ok := n.X.(*lang.Ident); ok && x.Name == "super" {
							super[n.Sel] = true
						}
					case *lang.Ident:
						if n.Name != target.Name {
							break
						}
						if o := info.Defs[n]; o != nil {
							if o.Kind == target.Kind && objKey(o) == key {
								add(n, true, false)
							}
						} else if o := info.Uses[n]; o != nil && o.Kind == target.Kind && (objKey(o) == key || !super[n] && objKey(sn.prog.Derived(o)) == key) {
							add(n, false, false)
						}
					case *lang.CallExpr:
						if owner == "" {
							break
						}
						if call := info.Calls[n]; call != nil && call.Func != nil && objKey(call.Func) == owner {
							for _, a := range n.Args {
								if a.Name != nil && a.Name.Name == target.Name {
									add(a.Name, false, true)
								}
							}
						}
					}
					return true
				})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].path != out[j].path {
			return out[i].path < out[j].path
		}
		return out[i].id.Sp.Start < out[j].id.Sp.Start
	})
	return out
}

// importedModuleAt returns the module that the import whose path ends
// path binds, when the import has no alias and its module is used: the
// name is written nowhere else in the clause. It reads the snapshot's
// index of such modules (importedModules).
func (sn *snapshot) importedModuleAt(path []lang.Node) *lang.Object {
	if len(path) < 2 {
		return nil
	}
	imp, ok := path[len(path)-2].(*lang.ImportDecl)
	if !ok || imp.Alias != nil || path[len(path)-1] != lang.Node(imp.Path) {
		return nil
	}
	return sn.importedModules()[imp]
}

// importedModules is the module that each import of the snapshot's
// files binds, by import, for those whose module is used: found in one
// pass over the uses, the first time it is asked for.
func (sn *snapshot) importedModules() map[*lang.ImportDecl]*lang.Object {
	sn.modsOnce.Do(func() {
		sn.mods = map[*lang.ImportDecl]*lang.Object{}
		if sn.prog == nil {
			return
		}
		for _, o := range sn.prog.Info.Uses {
			if imp, ok := o.Decl.(*lang.ImportDecl); ok && o.Kind == lang.ObjModule {
				sn.mods[imp] = o
			}
		}
	})
	return sn.mods
}
