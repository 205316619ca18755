package lsp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rpl-lang/rpl/lang"
	"github.com/sourcegraph/jsonrpc2"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// codeRequestFailed is LSP's error code for a request that is valid but
// cannot be carried out; its message is shown to the user.
const codeRequestFailed = -32803

func refuse(format string, args ...any) error {
	return &jsonrpc2.Error{Code: codeRequestFailed, Message: fmt.Sprintf(format, args...)}
}

// prepareRename says whether the name under the cursor can be renamed, and
// why not when it cannot.
func (s *Server) prepareRename(_ *glsp.Context, p *protocol.PrepareRenameParams) (any, error) {
	return answerAt(s, string(protocol.MethodTextDocumentPrepareRename), p.TextDocument.URI, p.Position, func(sn *snapshot, fn *lang.FileNode, pos lang.Pos) (any, error) {
		if fn == nil {
			return nil, nil
		}
		t := sn.targetAt(fn, pos)
		if err := s.renameable(sn, t); err != nil {
			return nil, err
		}
		r := toRange(fn.File, t.id.Sp)
		return protocol.RangeWithPlaceholder{Range: r, Placeholder: t.id.Name}, nil
	})
}

// renameable refuses, with the reason, names whose renaming is unsafe.
func (s *Server) renameable(sn *snapshot, t target) error {
	switch {
	case t.id == nil:
		return refuse("nothing to rename here")
	case t.field != nil:
		return refuse("%s is a field of %s: renaming fields is not supported, since requests and record literals name them", t.id.Name, typeString(t.record))
	case t.call != nil:
		return refuse("rename the parameter %s at its declaration", t.id.Name)
	case t.obj == nil:
		return refuse("%s does not name a declaration", t.id.Name)
	}
	o := t.obj
	switch o.Kind {
	case lang.ObjBuiltin, lang.ObjEnum:
		return refuse("%s is part of the standard library and cannot be renamed", o.Name)
	case lang.ObjModule:
		if !isAlias(o) {
			return refuse("%s names an imported module: change its package clause, or bind it with import ... as", o.Name)
		}
	}
	f := declFile(o)
	if f == nil || o.Pkg == nil || o.Pkg.Path == "std/prelude.rpl" {
		return refuse("%s is declared by the standard library's prelude and cannot be renamed", o.Name)
	}
	if o.Kind == lang.ObjFunc && o.Name == "route" {
		return refuse("route is the policy's entry point: the router calls it by that name")
	}
	path := filepath.Clean(f.File.Name)
	if !s.inWorkspace(path) {
		return refuse("%s is declared in %s, outside the workspace", o.Name, path)
	}
	if !writable(path) && onDisk(path) {
		return refuse("%s is declared in %s, which is not writable", o.Name, path)
	}
	if !fileLocal(o) && o.Pkg.Extends != nil {
		if po := o.Pkg.Extends.Scope.LookupParent(o.Name); po != nil && po.Pkg != nil {
			return refuse("%s overrides the declaration in %s: rename it there", o.Name, po.Pkg.Path)
		}
	}
	return nil
}

// isAlias reports whether o is a module bound by an import with as.
func isAlias(o *lang.Object) bool {
	imp, ok := o.Decl.(*lang.ImportDecl)
	return o.Kind == lang.ObjModule && ok && imp.Alias != nil
}

// fileLocal reports whether o is visible in its declaring file only: a
// local, or an import's name.
func fileLocal(o *lang.Object) bool {
	return o.Kind == lang.ObjVar || o.Kind == lang.ObjModule
}

func onDisk(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writable reports whether path may be edited: a regular file (a named
// pipe's open for writing would wait for a reader), with a write
// permission bit (so even root respects a file marked read-only), that
// opens for writing.
func writable(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o222 == 0 {
		return false
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// rename renames a declaration and every reference to it across the
// workspace (an import's alias in its file). It refuses (with the reason)
// standard-library names, module names that are no alias, route, fields,
// declarations outside the workspace or in read-only files, overrides in
// either direction, invalid names, names that would change what another
// identifier refers to, and renames that a file's syntax errors may make
// incomplete.
//
// When the target's policy is still to check, the check runs on the
// rename's goroutine too (pin).
func (s *Server) rename(_ *glsp.Context, p *protocol.RenameParams) (*protocol.WorkspaceEdit, error) {
	const method = string(protocol.MethodTextDocumentRename)
	path := uriToPath(p.TextDocument.URI)
	pn := s.pin(path)
	if pn.sn == nil {
		s.laterUnchangedSince(method, "rename", pn.gen, func(ctx context.Context, gen uint64) (any, error) {
			sn, fn, pos := resolveAt(s.checked(pn), path, p.Position)
			return s.renameAt(ctx, sn, fn, pos, p, gen)
		})
		return nil, nil
	}
	sn, fn, pos := resolveAt(pn.sn, path, p.Position)
	o, edit, err := s.renameTarget(sn, fn, pos, p.NewName)
	if o == nil {
		return edit, err
	}
	s.laterUnchanged(method, "rename", func(ctx context.Context, gen uint64) (any, error) {
		return s.renameEdit(ctx, sn, o, p.NewName, gen)
	})
	return nil, nil
}

// renameAt is rename's answer at pos of fn, checked in sn, on the
// request's goroutine: its edits as of generation gen.
func (s *Server) renameAt(ctx context.Context, sn *snapshot, fn *lang.FileNode, pos lang.Pos, p *protocol.RenameParams, gen uint64) (*protocol.WorkspaceEdit, error) {
	o, edit, err := s.renameTarget(sn, fn, pos, p.NewName)
	if o == nil {
		return edit, err
	}
	return s.renameEdit(ctx, sn, o, p.NewName, gen)
}

// renameTarget is what a rename to name at pos of fn, checked in sn,
// renames; when nil, the answer is edit or err (nothing to rename, no
// change, or a refusal).
func (s *Server) renameTarget(sn *snapshot, fn *lang.FileNode, pos lang.Pos, name string) (*lang.Object, *protocol.WorkspaceEdit, error) {
	if fn == nil {
		return nil, nil, nil
	}
	t := sn.targetAt(fn, pos)
	if err := s.renameable(sn, t); err != nil {
		return nil, nil, err
	}
	if !lang.IsIdent(name) || name == "_" {
		return nil, nil, refuse("%q is not a valid name", name)
	}
	if name == t.obj.Name {
		return nil, &protocol.WorkspaceEdit{}, nil
	}
	return t.obj, nil, nil
}

// laterUnchanged is later for a request whose answer holds places in the
// policies as they were when it came (a rename's edits, the references
// found): run is given their generation, and a request during which they
// changed is answered ContentModified (what it does, "rename", names it
// in the message), where the client would apply its answer to the
// documents as they are.
func (s *Server) laterUnchanged(method, what string, run func(ctx context.Context, gen uint64) (any, error)) {
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	s.laterUnchangedSince(method, what, gen, run)
}

// laterUnchangedSince is laterUnchanged for the policies as they were at
// generation gen (a request's, pinned).
func (s *Server) laterUnchangedSince(method, what string, gen uint64, run func(ctx context.Context, gen uint64) (any, error)) {
	s.later(method, func(ctx context.Context) (any, error) {
		r, err := run(ctx, gen)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case s.changedSince(gen):
			return nil, &jsonrpc2.Error{Code: codeContentModified, Message: fmt.Sprintf("the policies changed during the %s: %s again", what, what)}
		}
		return r, err
	})
}

// codeContentModified is LSP's error code for a request whose answer the
// changes made meanwhile have made wrong.
const codeContentModified = -32801

// changedSince reports whether the documents or files changed since
// generation gen.
func (s *Server) changedSince(gen uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen != gen
}

// renameEdit renames o, declared in sn's policy, to name, in every policy
// of the workspace (findRefs); it runs on a goroutine of its own (see
// rename), and stops early when canceled or when the policies changed
// since generation gen (rename answers then).
func (s *Server) renameEdit(ctx context.Context, sn *snapshot, o *lang.Object, name string, gen uint64) (*protocol.WorkspaceEdit, error) {
	checked := checkedFrom(sn) // the policies' snapshots, for the checks below
	refs := s.findRefs(ctx, checked, sn, o, true)
	if ctx.Err() != nil || s.changedSince(gen) {
		// The checks below would check the policies anew
		// (laterUnchanged answers).
		return nil, nil
	}
	if err := s.checkCapture(checked, sn, o, name, refs); err != nil {
		return nil, err
	}
	if err := s.checkUnparsed(checked, sn, o); err != nil {
		return nil, err
	}
	edit := &protocol.WorkspaceEdit{Changes: map[protocol.DocumentUri][]protocol.TextEdit{}}
	for _, r := range refs {
		if !writable(r.path) && onDisk(r.path) {
			return nil, refuse("%s is used in %s, which is not writable", o.Name, r.path)
		}
		uri := s.uriOf(r.path)
		edit.Changes[uri] = append(edit.Changes[uri], protocol.TextEdit{Range: toRange(r.file, r.id.Sp), NewText: name})
	}
	return edit, nil
}

// checkCapture refuses a new name that is already visible where the
// target is declared or used (the renamed name would be shadowed or would
// shadow), that a use of another declaration resolves to through the
// target's scope (the use would be captured), or that a policy extending
// the declaring one overrides or declares (it would override the renamed
// declaration).
func (s *Server) checkCapture(checked checkedSnaps, sn *snapshot, o *lang.Object, name string, refs []ref) error {
	if s.u.Scope.Lookup(name) != nil {
		return refuse("%s is the name of a builtin: renaming to it would hide the builtin", name)
	}
	// Visible at the declaration or at a use? (A named argument's label,
	// and a member selected, lib.tiers, resolve in no scope: a name
	// visible there captures nothing.)
	key := objKey(o)
	for _, r := range refs {
		if r.arg {
			continue
		}
		fsn := s.snapshotIn(checked, r.path)
		fnode := fsn.fileNode(r.path)
		if fnode == nil {
			continue
		}
		if sc := fsn.innermostScope(fnode, r.id.Sp.Start); sc != nil {
			if here := sc.LookupParent(o.Name); here == nil || objKey(here) != key {
				continue // a member selected
			}
			if other := sc.LookupParent(name); other != nil {
				at := r.file.Position(r.id.Sp.Start)
				if f := declFile(other); f != nil {
					return refuse("renaming to %s would conflict with the %s %s declared at %s, visible at %s", name, other.Kind, name, f.File.Position(other.Pos()), at)
				}
				return refuse("renaming to %s would conflict with the %s %s visible at %s", name, other.Kind, name, at)
			}
		}
	}
	// Would a use of another `name` be captured? Only one whose scopes,
	// from the use out to the declaration it resolves to, hold the
	// target's: not another package's use of its own declaration, nor a
	// member selected (lib.gold), which no scope resolves.
	home := declScope(sn, o)
	for _, pkg := range sn.prog.Packages {
		for _, f := range pkg.Files {
			var hit *lang.Ident
			lang.Inspect(f, func(n lang.Node) bool {
				if hit != nil {
					return false
				}
				if id, ok := n.(*lang.Ident); ok && id.Name == name {
					if x := sn.prog.Info.Uses[id]; x != nil && captures(sn.innermostScope(f, id.Sp.Start), home, x) {
						hit = id
					}
				}
				return true
			})
			if hit != nil {
				return refuse("renaming to %s would change what %s refers to at %s", name, name, f.File.Position(hit.Sp.Start))
			}
		}
	}
	// Overridden by an extending policy, or would be? A child's declaration
	// of the new name would replace the renamed one everywhere, in the
	// parent's own functions too (language.md §8.3).
	if !fileLocal(o) {
		for _, policy := range s.workspacePolicies() {
			psn := s.snapshotIn(checked, policy)
			if psn.prog == nil {
				continue
			}
			for _, pkg := range psn.prog.Packages {
				if !extendsPkg(pkg, o.Pkg) {
					continue
				}
				if pkg.Scope.Lookup(o.Name) != nil {
					return refuse("%s is overridden in %s: rename both declarations together by hand", o.Name, pkg.Path)
				}
				if other := pkg.Scope.Lookup(name); other != nil {
					return refuse("renaming to %s would make the %s %s declared in %s override it (a declaration of an extending policy replaces its parent's everywhere)", name, other.Kind, name, pkg.Path)
				}
			}
		}
	}
	return nil
}

// declScope is the scope of sn in which o is declared, or nil.
func declScope(sn *snapshot, o *lang.Object) *lang.Scope {
	f := declFile(o)
	if f == nil {
		return nil
	}
	for sc := sn.innermostScope(f, o.Pos()); sc != nil; sc = sc.Parent {
		if sc.Lookup(o.Name) == o {
			return sc
		}
	}
	return nil
}

// captures reports whether a declaration of x's name in the scope home
// would capture a use that resolves to x from the scope sc: home is on
// the way out from sc to the scope declaring x (or unknown, nil).
func captures(sc, home *lang.Scope, x *lang.Object) bool {
	if home == nil {
		return true
	}
	through := false
	for ; sc != nil; sc = sc.Parent {
		through = through || sc == home
		if sc.Lookup(x.Name) == x {
			return through
		}
	}
	return false // no scope resolves it: a member selected
}

// extendsPkg reports whether pkg's extends chain reaches parent.
func extendsPkg(pkg, parent *lang.Package) bool {
	for par := pkg.Extends; par != nil; par = par.Extends {
		if filepath.Clean(par.Path) == filepath.Clean(parent.Path) {
			return true
		}
	}
	return false
}

// checkUnparsed refuses a rename when a file that the search read does
// not parse and names the target where no parsed identifier is (the code
// that did not parse may use it): the rename would leave that use behind,
// to fail once the file parses again. Only the declaring file matters for
// a local or an import's name, and only the policies that load the
// declaring file for another; comments and strings do not count.
func (s *Server) checkUnparsed(checked checkedSnaps, sn *snapshot, o *lang.Object) error {
	var only string
	if fileLocal(o) {
		if f := declFile(o); f != nil {
			only = filepath.Clean(f.File.Name)
		}
	}
	policies := []string{sn.policy}
	if only == "" {
		policies = append(policies, s.workspacePolicies()...)
	}
	done := map[string]bool{}
	for _, policy := range policies {
		psn := s.snapshotIn(checked, policy)
		if !loadsPackage(psn, o.Pkg) {
			continue // its names are its own: it does not load the target's
		}
		for _, path := range sortedKeys(psn.files) {
			if done[path] || (only != "" && path != only) || !psn.syntaxErrors(path) {
				continue
			}
			done[path] = true
			fn := psn.files[path]
			if at := unparsedUse(fn, o.Name); at.IsValid() {
				return refuse("%s does not parse, and %s at %s may be a use of %s that renaming would miss: fix the syntax errors first",
					path, o.Name, fn.File.Position(at), o.Name)
			}
		}
	}
	return nil
}

// loadsPackage reports whether sn's check loaded pkg (its policy, or a
// module it imports or extends).
func loadsPackage(sn *snapshot, pkg *lang.Package) bool {
	if sn.prog == nil || pkg == nil {
		return false
	}
	for _, p := range sn.prog.Packages {
		if filepath.Clean(p.Path) == filepath.Clean(pkg.Path) {
			return true
		}
	}
	return false
}

// unparsedUse returns the offset of the first identifier name in fn's text
// (strings and comments aside, as lang.Tokens tells them) that is not an
// identifier of the parse, or lang.NoPos.
func unparsedUse(fn *lang.FileNode, name string) lang.Pos {
	parsed := map[lang.Pos]bool{}
	lang.Inspect(fn, func(n lang.Node) bool {
		if id, ok := n.(*lang.Ident); ok {
			parsed[id.Sp.Start] = true
		}
		return true
	})
	src := fn.File.Src
	for t := range lang.Tokens(src) {
		if t.Kind == lang.TokenIdent && string(src[t.Span.Start:t.Span.End]) == name && !parsed[t.Span.Start] {
			return t.Span.Start
		}
	}
	return lang.NoPos
}
