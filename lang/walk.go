package lang

// Inspect traverses the tree rooted at n in source order: it calls f(n)
// and, when f returns true, inspects each child of n. Absent optional
// children (a nil Alias, Result or Else) are skipped, so f never sees a
// nil node. Comments are not visited; FileNode.Comments holds them.
func Inspect(n Node, f func(Node) bool) {
	if isNilNode(n) || !f(n) {
		return
	}
	for _, c := range children(n) {
		Inspect(c, f)
	}
}

// PathEnclosing returns the nodes of the tree rooted at root whose spans
// contain the offset p (end inclusive, as Span.Contains), outermost first;
// the last element is the innermost node at p. Tools (the language server)
// use it to find what is under a cursor. It returns nil when root does not
// contain p.
func PathEnclosing(root Node, p Pos) []Node {
	var path []Node
	Inspect(root, func(n Node) bool {
		if !n.Span().Contains(p) {
			return false
		}
		path = append(path, n)
		return true
	})
	return path
}

// isNilNode reports whether n is nil or a typed nil pointer.
func isNilNode(n Node) bool {
	switch n := n.(type) {
	case nil:
		return true
	case *Ident:
		return n == nil
	case *BasicLit:
		return n == nil
	case *BlockExpr:
		return n == nil
	case *PackageClause:
		return n == nil
	case *ExtendsDecl:
		return n == nil
	}
	return false
}

// children lists the direct children of n in source order.
func children(n Node) []Node {
	var out []Node
	add := func(ns ...Node) {
		for _, c := range ns {
			if !isNilNode(c) {
				out = append(out, c)
			}
		}
	}
	expr := func(e Expr) {
		if e != nil {
			add(e)
		}
	}
	typ := func(t TypeExpr) {
		if t != nil {
			add(t)
		}
	}
	switch n := n.(type) {
	case *FileNode:
		if n.Package != nil {
			add(n.Package)
		}
		// Imports, extends and declarations are kept in source order.
		var decls []Node
		for _, d := range n.Imports {
			decls = append(decls, d)
		}
		if n.Extends != nil {
			decls = append(decls, n.Extends)
		}
		for _, d := range n.Decls {
			decls = append(decls, d)
		}
		sortBySpan(decls)
		add(decls...)
	case *PackageClause:
		add(n.Name)
	case *ImportDecl:
		add(n.Path, n.Alias)
	case *ExtendsDecl:
		add(n.Path)
	case *ConstDecl:
		add(n.Name)
		typ(n.Type)
		expr(n.Value)
	case *TypeDecl:
		add(n.Name)
		typ(n.Type)
	case *Param:
		add(n.Name)
		typ(n.Type)
	case *FuncDecl:
		add(n.Name)
		for _, p := range n.Params {
			add(p)
		}
		typ(n.Result)
		expr(n.Body)
	case *TestDecl:
		add(n.Name, n.Body)
	case *NamedType:
		add(n.Module, n.Name)
	case *ListType:
		typ(n.Elem)
	case *MapType:
		typ(n.Key)
		typ(n.Elem)
	case *FieldType:
		add(n.Name)
		typ(n.Type)
	case *RecordType:
		for _, f := range n.Fields {
			add(f)
		}
	case *OptionalType:
		typ(n.Elem)
	case *FuncType:
		for _, p := range n.Params {
			typ(p)
		}
		typ(n.Result)
	case *ListLit:
		for _, e := range n.Elems {
			expr(e)
		}
	case *Entry:
		expr(n.Key)
		expr(n.Value)
	case *BraceLit:
		for _, e := range n.Entries {
			add(e)
		}
	case *UnaryExpr:
		expr(n.X)
	case *BinaryExpr:
		expr(n.X)
		expr(n.Y)
	case *SelectorExpr:
		expr(n.X)
		add(n.Sel)
	case *IndexExpr:
		expr(n.X)
		expr(n.Index)
	case *Arg:
		add(n.Name)
		expr(n.Value)
	case *CallExpr:
		expr(n.Fun)
		for _, a := range n.Args {
			add(a)
		}
	case *LambdaExpr:
		for _, p := range n.Params {
			add(p)
		}
		expr(n.Body)
	case *ParenExpr:
		expr(n.X)
	case *IfExpr:
		expr(n.Cond)
		add(n.Then)
		expr(n.Else)
	case *MatchArm:
		for _, p := range n.Patterns {
			expr(p)
		}
		expr(n.Guard)
		expr(n.Body)
	case *MatchExpr:
		expr(n.Subject)
		for _, a := range n.Arms {
			add(a)
		}
	case *BlockExpr:
		for _, s := range n.Stmts {
			if s != nil {
				add(s)
			}
		}
	case *LetStmt:
		add(n.Name)
		typ(n.Type)
		expr(n.Value)
	case *ReturnStmt:
		expr(n.Value)
	case *ExpectStmt:
		expr(n.Cond)
		expr(n.Message)
	case *ExprStmt:
		expr(n.X)
	}
	return out
}

func sortBySpan(ns []Node) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].Span().Start < ns[j-1].Span().Start; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}
