package lang

import (
	"errors"
	"fmt"
	"path/filepath"
)

// HasTests reports whether pkg (a policy and its test file) declares a
// test.
func HasTests(pkg *Package) bool {
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			if _, ok := d.(*TestDecl); ok {
				return true
			}
		}
	}
	return false
}

// TestModuleInTree is the error (RPL212) of a test module, tests and no
// route, in a policy tree and no library of it, at its package clause
// (span, in file): a tree cannot hold one, which rplc build and a router
// refuse, its tests never run there. rplc check and the editor say so.
func TestModuleInTree(file *File, span Span) *Diagnostic {
	return &Diagnostic{File: file, Span: span, Severity: SevError, Code: CodeNoRoute,
		Message: "test module in a policy tree: rplc build and a router refuse a tree that holds one (move it out of the tree, or give it a route)"}
}

// HasRoute reports whether pkg has a route function, its own or inherited
// through extends. That is what makes a file of a policy tree a policy,
// which a bundle carries and a router serves under its id, the package
// name; a file without one is a library, imported or extended by a
// policy, or a test module, whose tests rplc test runs.
func HasRoute(pkg *Package) bool {
	for p := pkg; p != nil; p = p.Extends {
		if p.Func("route") != nil {
			return true
		}
	}
	return false
}

// PolicyIDs gives the policies of one policy tree their ids and holds the
// rule that no two have the same one (RPL216). Add the policies in the
// order of their files' paths: the first with an id has it. The zero value
// has no ids.
type PolicyIDs struct {
	files map[string]string // id → the file of the policy that has it
}

// Add gives id to the policy in file, named relative to the tree's
// directory as messages name it. When an earlier policy has the id, the id
// stays that policy's and Add returns the error, which names the earlier
// policy's file.
func (ids *PolicyIDs) Add(id, file string) error {
	if prev, dup := ids.files[id]; dup {
		return errors.New(duplicateIDMessage(id, prev))
	}
	if ids.files == nil {
		ids.files = map[string]string{}
	}
	ids.files[id] = file
	return nil
}

// Has reports whether a policy has id.
func (ids *PolicyIDs) Has(id string) bool {
	_, ok := ids.files[id]
	return ok
}

func duplicateIDMessage(id, prev string) string {
	return fmt.Sprintf("policy id %s is also the package of %s (policy ids must be unique)", id, prev)
}

// CheckPolicyIDs checks that the policies of one policy tree — the
// directory that rplc build compiles into a bundle and a router loads —
// have distinct ids, as both require. mains are the main packages that
// Check returned for the tree's files, in any order (nil ones are
// skipped); root is the tree's directory. The policies among them
// (HasRoute) are given their ids (PolicyIDs) in the order of their paths,
// and each whose id an earlier one has is an error RPL216 on its package
// name, naming the earlier file relative to root (a relative path is taken
// as relative to root already), with that file's package name as related
// information.
func CheckPolicyIDs(root string, mains []*Package) DiagList {
	var files []TreeFile
	for _, pkg := range mains {
		if pkg != nil && len(pkg.Files) > 0 {
			files = append(files, mainTreeFile(pkg))
		}
	}
	var out DiagList
	for _, d := range new(Trees).checkIDs(root, files) {
		out = append(out, d.diag)
	}
	return out
}

// relName names path relative to root, with forward slashes; a relative
// path is relative to root already.
func relName(root, path string) string {
	if !filepath.IsAbs(path) {
		return filepath.ToSlash(filepath.Clean(path))
	}
	if r, err := filepath.Rel(root, path); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(path)
}
