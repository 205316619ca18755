package lsp

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// completion offers, after a dot, the fields of a record and the builtins
// callable as its methods, the members of a module, or an enum's members;
// elsewhere, the names in scope at the cursor (locals, the policy's
// declarations, imports, builtins, enum members; the test file's
// declarations in the test file only, as the policy does not see them),
// the type names and the keywords; in the path of an import or extends,
// the standard modules and the workspace's files; in other strings and in
// comments, nothing. Items carry their signature or type and their doc.
func (s *Server) completion(_ *glsp.Context, p *protocol.CompletionParams) (any, error) {
	path := uriToPath(p.TextDocument.URI)
	cur := s.text(path)
	if cur == nil {
		return nil, nil
	}
	const method = string(protocol.MethodTextDocumentCompletion)
	pos := int(toOffset(cur, p.Position))
	src := cur.Src
	w := wordBefore(src, pos)
	c := &completer{s: s, seen: map[string]bool{}, items: []protocol.CompletionItem{}} // items: a required array, [] when empty
	if kw, start, end, ok := importPathAt(src, pos); ok {
		// The path of an import or extends: the modules it may name.
		typed := string(src[start:pos])
		r := toRange(cur, lang.Span{Start: lang.Pos(start), End: lang.Pos(end)})
		return s.completeModules(method, path, kw == "import", c, func(m, detail string) { c.modulePath(m, detail, typed, r) })
	}
	if inCommentOrString(src, pos) {
		// Prose: "." ends a sentence there, and a list that opened on it
		// would take the Enter that ends the line.
		return &protocol.CompletionList{Items: c.items}, nil
	}
	if importKeywordRE.Match(src[bytes.LastIndexByte(src[:w], '\n')+1 : w]) {
		// After import, before the quotes: the paths quoted.
		return s.completeModules(method, path, true, c, func(m, detail string) {
			c.add(strconv.Quote(m), protocol.CompletionItemKindModule, detail, "")
		})
	}
	if w > 0 && src[w-1] == '.' {
		return s.completeMembers(method, path, cur, w-1, identEnd(src, pos), c)
	}
	return answerGood(s, method, path, func(sn *snapshot) (any, error) { return s.completeIn(sn, path, cur, pos, w, c) })
}

// completeMembers answers a completion after the dot at offset dot of cur
// (the word after it ending at end): the members of what ends before the
// dot, as the snapshot kept (goodOf) knows it. When it does not know it
// (the text before the dot is newer than its check: `xs.first().` typed
// at once, or a file opened broken), a check of the text without the dot
// and the word (checkWithout) does, run on a goroutine of its own (a
// check of a large policy held every message after the request).
func (s *Server) completeMembers(method, path string, cur *lang.File, dot, end int, c *completer) (any, error) {
	list := func() (any, error) { return &protocol.CompletionList{Items: c.items}, nil }
	known := func(sn *snapshot) bool { return s.dotMembers(s.goodOf(sn, path), path, cur.Src, dot, c) }
	without := func(policy string) (any, error) {
		if sn := s.checkWithout(policy, path, cur, dot, end); !sn.syntaxErrors(path) {
			if fn := sn.fileNode(path); fn != nil {
				s.dotMembers(sn, path, fn.File.Src, dot, c)
			}
		}
		return list()
	}
	if sn := s.kept(path); sn != nil {
		if known(sn) {
			return list()
		}
		s.laterCheck(method, func(context.Context) (any, error) { return without(sn.policy) })
		return nil, nil
	}
	return answer(s, method, s.pin(path), false, func(sn *snapshot) (any, error) {
		if known(sn) {
			return list()
		}
		return without(sn.policy)
	})
}

// identEnd returns the end of the identifier that holds or starts at p.
func identEnd(src []byte, p int) int {
	for p < len(src) && isIdentByte(src[p]) {
		p++
	}
	return p
}

// completeIn is completion's answer at pos of cur (w the start of the
// word there, after no dot) from the scopes of sn, a snapshot in which the
// file parsed if any: record keys and named arguments, names in scope.
func (s *Server) completeIn(sn *snapshot, path string, cur *lang.File, pos, w int, c *completer) (any, error) {
	fn := sn.fileNode(path)
	var old lang.Pos
	if fn != nil {
		old = mapScopePos(fn.File.Src, cur.Src, lang.Pos(pos))
	}
	src := cur.Src
	if atItemStart(src, w) {
		// A key of a record literal: the fields of its record type.
		if fn != nil && src[prevCode(src, w)] != '(' {
			if r := literalRecordAt(sn, fn, old); r != nil {
				for _, f := range r.Fields {
					c.add(f.Name, protocol.CompletionItemKindField, typeString(f.Type), preludeFieldDoc(s.u, r.Name, f.Name))
				}
				return &protocol.CompletionList{Items: c.items}, nil
			}
		}
		// An argument: the callee's parameters, as named arguments.
		if open, _, named, direct, ok := openCall(src, w); ok && direct && named == "" {
			for _, sg := range s.calleeSigs(sn, fn, src, open) {
				for _, fp := range sg.params() {
					c.namedArg(fp)
				}
			}
		}
	}
	c.scopeNames(sn, fn, old)
	return &protocol.CompletionList{Items: c.items}, nil
}

// dotMembers adds to c the members of what ends before the dot at offset
// dot of src (the text being completed, which sn's parse of the file at
// path may predate): a call's or other expression's type, or a chain of
// names resolved. It reports whether sn knows what ends there: an
// expression of its parse with that text, or names it resolves.
func (s *Server) dotMembers(sn *snapshot, path string, src []byte, dot int, c *completer) bool {
	fn := sn.fileNode(path)
	end := codeEnd(src, dot)
	names, start, complex := chainBefore(src, end)
	switch {
	case complex:
		if fn == nil {
			return false
		}
		q := mapPos(fn.File.Src, src, lang.Pos(end))
		e, t := exprEndingAt(sn, fn, q)
		if e == nil {
			return false
		}
		n := int(q - e.Span().Start)
		if n > end || !bytes.Equal(fn.File.Src[e.Span().Start:q], src[end-n:end]) {
			return false // another expression ends there now
		}
		c.members(t)
	case len(names) > 0:
		r, ok := s.resolveChain(sn, fn, mapScopePos(fileSrc(fn), src, lang.Pos(start)), names)
		if !ok {
			return false
		}
		c.resolvedMembers(sn, r)
	}
	return true
}

// checkWithout checks policy with the open documents as they are but
// path's text cur without cur.Src[from:to] (a dot being completed and the
// word after it). The last such check serves again for the same text
// while the other open documents are those it read (a client asking
// again at each letter typed after the dot checked at each).
func (s *Server) checkWithout(policy, path string, cur *lang.File, from, to int) *snapshot {
	src := make([]byte, 0, len(cur.Src)-(to-from))
	src = append(append(src, cur.Src[:from]...), cur.Src[to:]...)
	s.mu.Lock()
	ov := s.overlayLocked()
	last := s.dotCheck
	s.mu.Unlock()
	if last.serves(policy, path, src, ov) {
		return last.sn
	}
	d := &document{path: path, file: lang.NewFile(path, src)}
	if old := ov[path]; old != nil {
		d.uri, d.version = old.uri, old.version
	}
	ov[path] = d
	if h := checkHook.Load(); h != nil {
		(*h)(policy, false)
	}
	sn := s.check(policy, 0, ov)
	s.mu.Lock()
	if s.docs[path] != nil { // not closed meanwhile
		s.dotCheck = &dotCheck{policy: policy, path: path, src: src, ov: ov, sn: sn}
	}
	s.mu.Unlock()
	return sn
}

// dotCheck is a check of checkWithout: of policy, with path's text src
// and the other open documents of ov. Files on disk are not compared: a
// change there is seen once the text or an open document changes.
type dotCheck struct {
	policy, path string
	src          []byte
	ov           overlay
	sn           *snapshot
}

// serves reports whether d is a check of policy with path's text src and
// the other open documents of ov (each change makes a new document).
func (d *dotCheck) serves(policy, path string, src []byte, ov overlay) bool {
	if d == nil || d.policy != policy || d.path != path || !bytes.Equal(d.src, src) || len(d.ov) != len(ov) {
		return false
	}
	for p, doc := range ov {
		if p != path && d.ov[p] != doc {
			return false
		}
	}
	return true
}

// importKeywordRE matches a line up to a word that starts after the
// keyword of an import clause (the keyword, not a name ending in import).
var importKeywordRE = regexp.MustCompile(`^[ \t]*import[ \t]+$`)

// importPathRE matches a line up to a cursor inside the path of an import
// or extends clause.
var importPathRE = regexp.MustCompile(`^[ \t]*(import|extends)[ \t]+"([^"]*)$`)

// importPathAt reports whether the offset p is inside the path string of
// an import or extends clause, and returns the clause's keyword and the
// span of the string's content: from after the opening quote to the
// closing quote, or to p when the string is not closed on the line.
func importPathAt(src []byte, p int) (kw string, start, end int, ok bool) {
	ls := bytes.LastIndexByte(src[:p], '\n') + 1
	m := importPathRE.FindSubmatchIndex(src[ls:p])
	if m == nil {
		return "", 0, 0, false
	}
	end = p
	for end < len(src) && src[end] != '"' && src[end] != '\n' {
		end++
	}
	if end == len(src) || src[end] != '"' {
		end = p
	}
	return string(src[ls+m[2] : ls+m[3]]), ls + m[4], end, true
}

// workspaceModules lists the paths by which the file at path may import
// or extend the other files of the workspace (test files aside): relative
// to its directory, slash-separated, without .rpl, as the checker
// resolves them.
func (s *Server) workspaceModules(path string) []string {
	dir := filepath.Dir(path)
	seen := map[string]bool{}
	var out []string
	for _, p := range s.workspaceFiles() {
		if p == path || p == policyOf(path) || lang.IsTestFile(p) {
			continue
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			continue
		}
		m := strings.TrimSuffix(filepath.ToSlash(rel), ".rpl")
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// completeModules answers a completion with the paths an import (with
// std, the standard modules too) or an extends of the file at path may
// name, each offered by add, listed on a goroutine of its own (laterCheck,
// named method): the workspace's walk, up to 100,000 entries, held the
// messages after it.
func (s *Server) completeModules(method, path string, std bool, c *completer, add func(m, detail string)) (any, error) {
	s.laterCheck(method, func(context.Context) (any, error) {
		for _, m := range s.modulePaths(path, std) {
			add(m.path, m.detail)
		}
		return &protocol.CompletionList{Items: c.items}, nil
	})
	return nil, nil
}

// modulePaths are the paths an import (with std, the standard modules)
// or an extends of the file at path may name, each with its kind.
func (s *Server) modulePaths(path string, std bool) []struct{ path, detail string } {
	var out []struct{ path, detail string }
	if std {
		for _, m := range sortedKeys(s.u.Modules) {
			out = append(out, struct{ path, detail string }{"std/" + m, "standard module"})
		}
	}
	for _, m := range s.workspaceModules(path) {
		out = append(out, struct{ path, detail string }{m, "workspace module"})
	}
	return out
}

// modulePath offers the module path m when it extends what is typed,
// replacing the string's content (r).
func (c *completer) modulePath(m, detail, typed string, r protocol.Range) {
	if !strings.HasPrefix(m, typed) || c.seen[m] {
		return
	}
	c.seen[m] = true
	kind := protocol.CompletionItemKindModule
	c.items = append(c.items, protocol.CompletionItem{Label: m, Kind: &kind, Detail: &detail,
		TextEdit: protocol.TextEdit{Range: r, NewText: m}})
}

// atItemStart reports whether the word at p starts an argument, a list
// element or a literal entry: the code before it, comments aside, ends
// with '(', '{' or ','.
func atItemStart(src []byte, p int) bool {
	if i := prevCode(src, p); i >= 0 {
		switch src[i] {
		case '(', '{', ',':
			return true
		}
	}
	return false
}

// literalRecordAt returns the record type of the innermost brace literal
// at the snapshot offset p, when the checker resolved it to a record.
func literalRecordAt(sn *snapshot, fn *lang.FileNode, p lang.Pos) *lang.Record {
	path := lang.PathEnclosing(fn, p)
	for i := len(path) - 1; i >= 0; i-- {
		switch n := path[i].(type) {
		case *lang.BraceLit:
			r, _ := sn.prog.Info.Lits[n].(*lang.Record)
			return r
		case *lang.CallExpr, *lang.BlockExpr, *lang.ListLit:
			return nil
		}
	}
	return nil
}

// namedArg offers `name: ` for a parameter.
func (c *completer) namedArg(fp *lang.FuncParam) {
	label := fp.Name + ":"
	if c.seen[label] {
		return
	}
	c.seen[label] = true
	kind := protocol.CompletionItemKindProperty
	detail := "argument: " + typeString(fp.Type)
	if fp.Optional {
		detail = "optional " + detail
	}
	insert := fp.Name + ": "
	filter := fp.Name
	sortText := "0" + fp.Name // before the names in scope
	c.items = append(c.items, protocol.CompletionItem{Label: label, Kind: &kind, Detail: &detail,
		InsertText: &insert, FilterText: &filter, SortText: &sortText})
}

func fileSrc(fn *lang.FileNode) []byte {
	if fn == nil {
		return nil
	}
	return fn.File.Src
}

type completer struct {
	s     *Server
	items []protocol.CompletionItem
	seen  map[string]bool
}

// add offers label once: a name in scope shadows those of the scopes
// around it. A method is offered beside a record field of its name (a
// Decision's field pre and the builtin pre(d, extension)): they are
// distinct members, the method's item showing its signature.
func (c *completer) add(label string, kind protocol.CompletionItemKind, detail, doc string) {
	key := label
	if kind == protocol.CompletionItemKindMethod {
		key += "()"
	}
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	it := protocol.CompletionItem{Label: label, Kind: &kind}
	if detail != "" {
		it.Detail = &detail
	}
	if doc != "" {
		it.Documentation = protocol.MarkupContent{Kind: protocol.MarkupKindMarkdown, Value: doc}
	}
	c.items = append(c.items, it)
}

// members adds the fields and methods of a value of type t.
func (c *completer) members(t lang.Type) {
	if r, ok := t.(*lang.Record); ok {
		for _, f := range r.Fields {
			c.add(f.Name, protocol.CompletionItemKindField, typeString(f.Type), preludeFieldDoc(c.s.u, r.Name, f.Name))
		}
	}
	for _, b := range c.s.methods(t) {
		c.builtin(b, protocol.CompletionItemKindMethod)
	}
}

func (c *completer) builtin(b *lang.Builtin, kind protocol.CompletionItemKind) {
	var docs []string
	var o *lang.Object
	if b.Module == "" {
		o = c.s.u.Scope.Lookup(b.Name)
	} else if m := c.s.u.Modules[b.Module]; m != nil {
		o = m.Lookup(b.Name)
	}
	if o != nil && len(o.Overloads) > 1 {
		for _, ob := range o.Overloads {
			docs = append(docs, codeBlock(builtinSig(ob))+"\n\n"+ob.Doc)
		}
	} else {
		docs = append(docs, b.Doc)
	}
	c.add(b.Name, kind, builtinSig(b), strings.Join(docs, "\n\n"))
}

func (c *completer) resolvedMembers(sn *snapshot, r resolved) {
	switch {
	case r.super:
		for sc := sn.prog.Main.Extends.Scope; sc != nil && sc != c.s.u.Scope; sc = sc.Parent {
			for _, n := range sc.Names() {
				if o := sc.Lookup(n); o.Kind == lang.ObjFunc {
					c.object(sn, o)
				}
			}
		}
	case r.enum != nil:
		for _, m := range r.enum.Members {
			c.add(m, protocol.CompletionItemKindEnumMember, r.enum.Name, enumDoc(r.enum.Name))
		}
	case r.module != nil && r.module.StdModule != "":
		for _, b := range c.s.u.Builtins {
			if b.Module == r.module.StdModule {
				c.builtin(b, protocol.CompletionItemKindFunction)
			}
		}
	case r.module != nil && r.module.Module != nil:
		sc := r.module.Module.Scope
		for _, n := range sc.Names() {
			c.object(sn, sc.Lookup(n))
		}
	case r.typ != nil:
		c.members(r.typ)
	}
}

var objKinds = map[lang.ObjKind]protocol.CompletionItemKind{
	lang.ObjConst:   protocol.CompletionItemKindConstant,
	lang.ObjVar:     protocol.CompletionItemKindVariable,
	lang.ObjFunc:    protocol.CompletionItemKindFunction,
	lang.ObjType:    protocol.CompletionItemKindStruct,
	lang.ObjModule:  protocol.CompletionItemKindModule,
	lang.ObjBuiltin: protocol.CompletionItemKindFunction,
	lang.ObjEnum:    protocol.CompletionItemKindEnumMember,
}

// object adds a named object with its type or signature and doc.
func (c *completer) object(sn *snapshot, o *lang.Object) {
	switch o.Kind {
	case lang.ObjBuiltin:
		if len(o.Overloads) > 0 {
			c.builtin(o.Overloads[0], protocol.CompletionItemKindFunction)
		}
		return
	case lang.ObjFunc:
		ft, _ := o.Type.(*lang.Func)
		c.add(o.Name, objKinds[o.Kind], funcSig(o.Name, ft), objDoc(o))
		return
	case lang.ObjModule:
		c.add(o.Name, objKinds[o.Kind], "module", "")
		return
	}
	doc := ""
	if o.Kind != lang.ObjVar {
		doc = objDoc(o)
	}
	c.add(o.Name, objKinds[o.Kind], typeString(o.Type), doc)
}

// scopeNames adds what is visible at the snapshot offset p of fn.
func (c *completer) scopeNames(sn *snapshot, fn *lang.FileNode, p lang.Pos) {
	var scope *lang.Scope
	if fn != nil {
		scope = sn.innermostScope(fn, p)
	}
	if scope == nil {
		scope = c.s.u.Scope
	}
	for sc := scope; sc != nil; sc = sc.Parent {
		for _, n := range sc.Names() {
			o := sc.Lookup(n)
			if o.Kind == lang.ObjVar && !visibleAt(o, p) || o.HiddenFrom(fn) {
				continue
			}
			if n == "_" {
				continue
			}
			c.object(sn, o)
		}
	}
	if scope != c.s.u.Scope {
		for _, n := range c.s.u.Scope.Names() {
			c.object(sn, c.s.u.Scope.Lookup(n))
		}
	}
	for _, n := range sortedKeys(c.s.u.Types) {
		o := c.s.u.Types[n]
		detail := "type"
		if r, ok := o.Type.(*lang.Record); ok {
			detail = r.Literal()
		}
		c.add(n, protocol.CompletionItemKindStruct, detail, enumDoc(n))
	}
	for _, k := range lang.Keywords() {
		c.add(k, protocol.CompletionItemKindKeyword, "", "")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
