package lang

import "maps"

// A Session lets the checks of one tool run (rplc check, build and test of
// a tree, a router's load of a policy directory) share the libraries they
// import: a library imported by a thousand policies is parsed and checked
// once, not once per importer. Set it as Config.Session of each check.
//
// A library is shared when its check alone (the library, what it imports,
// and nothing of the importer) reports nothing, and neither it nor
// anything it loads extends a policy: its check is then the same in every
// importer's, whose Program holds its packages and its side tables as if
// the importer had loaded and checked it. A library that reports anything
// is loaded and checked again with each importer, as without a session,
// so that its diagnostics are each importer's as they always were. So is
// one that an importer's check would load otherwise than as an import (the
// policy extends it, or a file it loads): that check is made again
// without the session. So is one whose check meets a bound of constant
// evaluation (maxCheckConstWork, maxWalkFolds, fnWalkBudget and the
// like: the work a check may do, which the library's check alone does
// for each importer as its own), or an importer's check that meets one:
// what a bound cut short depends on the work done before it.
//
// The checks of a session must read the same files (the same
// Config.ReadFile) with the same Universe, and must not run concurrently:
// a session is scoped to one tool invocation or one load, and dropped with
// it, which frees its libraries. The packages it shares are read, never
// written, by the checks and compiles that use them.
type Session struct {
	u    *Universe
	libs map[string]*sharedLib // by path, as loaded
}

// NewSession returns an empty session.
func NewSession() *Session { return &Session{libs: map[string]*sharedLib{}} }

// sharedLib is a library's check alone: its packages (what it loads
// first, the library last) with their side tables, or none when the
// library is not shared.
type sharedLib struct {
	pkgs       []*Package
	info       *Info
	exhaustive map[*MatchExpr]bool
	// The work of the library's check against the check-wide bounds of
	// constant evaluation: each importer's check counts it as its own,
	// as the library's is when checked with it.
	constTotal, walkFolds, fnWalkUsed int
	foldFuel                          int64
}

// lib is the library at path, checked alone on first use.
func (s *Session) lib(cfg *Config, path string) *sharedLib {
	if l, ok := s.libs[path]; ok {
		return l
	}
	l := &sharedLib{}
	s.libs[path] = l
	// With the session: what the library imports is shared with it, so
	// that two libraries importing a third hold the same package of it,
	// and one importer may take both. A library on a cycle of imports
	// finds its own entry empty meanwhile, loads as without a session and
	// reports the cycle.
	c := newChecker(&Config{Universe: cfg.Universe, ReadFile: cfg.ReadFile, NoTests: true, Session: s})
	pkg := c.load(path, nil, false)
	if pkg == nil || len(c.diags) > 0 || c.conflict {
		return l
	}
	c.prog.Main = pkg
	c.checkAll()
	if len(c.diags) > 0 || c.limited {
		// One that meets a bound of constant evaluation may find
		// otherwise in an importer's check, which has done more work.
		return l
	}
	for _, p := range c.prog.Packages {
		if p.Extends != nil || len(p.Files) != 1 {
			return l
		}
	}
	// Sized as they are, not for the source (newInfo): each importer's
	// check starts from a copy.
	info := &Info{}
	copyInfo(info, c.info)
	l.pkgs, l.info, l.exhaustive = c.prog.Packages, info, c.prog.exhaustive
	l.constTotal, l.walkFolds, l.foldFuel, l.fnWalkUsed = c.constTotal, c.walkFolds, c.foldFuel, c.fnWalkUsed
	return l
}

// sharedImport is the package of the session's library at path, imported
// by the package being loaded, with what it loads: entered into the
// check as loaded and checked. It is nil when the library is not shared,
// or when the check has already loaded something at one of its paths
// otherwise (a file being loaded, on a cycle; one the policy extends):
// load loads it then as without a session.
func (c *checker) sharedImport(path string) *Package {
	s := c.cfg.Session
	if s == nil {
		return nil
	}
	if s.u == nil {
		s.u = c.u
	}
	if s.u != c.u {
		return nil
	}
	if p, ok := c.loaded[path]; ok {
		if p != nil && c.shared[p] {
			return p
		}
		return nil // load returns it, or reports the cycle
	}
	l := s.lib(c.cfg, path)
	if l.pkgs == nil {
		return nil
	}
	for _, p := range l.pkgs {
		if q, ok := c.loaded[p.Path]; ok && q != p {
			return nil
		}
	}
	if c.shared == nil {
		c.shared = map[*Package]bool{}
	}
	for _, p := range l.pkgs {
		if _, ok := c.loaded[p.Path]; !ok {
			c.loaded[p.Path] = p
			c.shared[p] = true
			c.prog.Packages = append(c.prog.Packages, p)
		}
	}
	// Counted again when two of its libraries share one: more than the
	// check without the session does, which the bounds it meets then
	// make again without it (limited).
	c.constTotal += l.constTotal
	c.walkFolds += l.walkFolds
	c.foldFuel += l.foldFuel
	c.fnWalkUsed += l.fnWalkUsed
	copyInfo(c.info, l.info)
	if len(l.exhaustive) > 0 {
		if c.prog.exhaustive == nil {
			c.prog.exhaustive = map[*MatchExpr]bool{}
		}
		maps.Copy(c.prog.exhaustive, l.exhaustive)
	}
	return l.pkgs[len(l.pkgs)-1]
}

// copyInfo enters the side tables of from into to. A check's tables are
// empty until its packages are collected, after every load: those of the
// first library shared with it are then cloned, which copies their memory
// as it is rather than enter each entry again.
func copyInfo(to, from *Info) {
	merge(&to.Types, from.Types)
	merge(&to.Defs, from.Defs)
	merge(&to.Uses, from.Uses)
	merge(&to.Scopes, from.Scopes)
	merge(&to.Calls, from.Calls)
	merge(&to.Consts, from.Consts)
	merge(&to.Lits, from.Lits)
	merge(&to.Funcs, from.Funcs)
}

func merge[K comparable, V any](to *map[K]V, from map[K]V) {
	switch {
	case len(from) == 0:
	case *to == nil:
		*to = make(map[K]V, len(from))
		maps.Copy(*to, from)
	case len(*to) == 0:
		*to = maps.Clone(from)
	default:
		m := make(map[K]V, len(*to)+len(from))
		maps.Copy(m, *to)
		maps.Copy(m, from)
		*to = m
	}
}
