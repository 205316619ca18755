package stdlib

import (
	"bytes"
	"fmt"
	"strings"
)

// ModuleDoc describes a group of builtins: the universal ones (Path "") or
// a std module.
type ModuleDoc struct {
	Path string // "" for the universal builtins, else the import path ("std/cost")
	Name string // the module's member prefix ("cost"), "" for universal
	Doc  string
}

// Modules lists the builtin groups in documentation order.
var Modules = []ModuleDoc{
	{Path: "", Doc: "Universal builtins need no import. `filter`, `map`, `any`, `all`, `count`, " +
		"`min_by`, `max_by` and `len` are compiled to bytecode (no closure exists at run time); the others " +
		"are Go functions bound by their link name (`len(string)`, `cost.month_spend(Tenant)`). " +
		"String builtins charge 1 fuel per 16 bytes they scan on top of their cost (`contains`, `replace` and " +
		"`split` the bytes of s and of the pattern they search for, and `replace` 1 more per occurrence it " +
		"replaces and `split` 1 per element it makes; `upper` and `lower` 1 more per byte of s " +
		"that is not ASCII past the ASCII start of s they leave as it is, whose case they look up in " +
		"Unicode's tables), list and map builtins " +
		"1 per 8 elements (`sort` 1 per 2 of n·log2(n), to compare and move them; and so do `fallback`, `pre`, `validate` and `post`, which copy a decision's " +
		"list), `matches` " + fmt.Sprintf("1 per %d bytes of the pattern", 1<<reParseShift) + " and 1 per 8 runes of the table of each Unicode " +
		"class it names (`\\pL` 187, `\\p{Greek}` 10) and, when it folds case (`(?i)`), per 8 runes of " +
		"U+0041–U+1E943 in each range of its classes that does not hold them all, to parse it, " +
		fmt.Sprintf("%d·n to compile it and n·len(s)/%d to match ", reCompileFuel, 1<<reMatchShift) +
		"(n is the size of the pattern's program, about its instructions: a counted repeat multiplies its " +
		"operand) and `json_get` 1 per 4 bytes of doc; the strings that `sort`, `contains` of a list, " +
		"`min_by` and `max_by` compare cost 1 per 64 bytes compared, as the operators' do (language.md " +
		"§11.2), and so do the keys that `keys` and `values` compare to order them and the key and values " +
		"`tag` compares (the keys of the tags map it builds cost what a map literal's do); a draw from a " +
		"split (`weighted`, `ab.arm`, " +
		"`sticky`) costs, to order its n targets, 1 per 8 of n·log2(n) (per 2 past 16 targets) and 1 per 64 bytes of the targets' " +
		"names times log2(n) (n/2, up to 16 targets; log2(n) plus 3, beyond), and `weighted`'s and " +
		"`sticky`'s 1 per 64 bytes of the names once more, to hash them; every " +
		"string, list, map and record a builtin creates counts against the memory limit, and so does the table of a " +
		"search (`contains`, `replace`, `split`) for a pattern of more than 64 bytes, 4 bytes a byte of it, unless the pattern is " +
		"a constant of the program or a string in one, whose table is built once for all its runs. The builtins that " +
		"order values (`sort`, `min`, `max`, and `min_by` and `max_by` by their keys, of any type) use one " +
		"order, whatever the values' positions: none before any value; numbers, durations, money and times " +
		"numerically; strings and enum members bytewise; false before true; lists element by element, a " +
		"prefix first; records field by field in the order of the field names; maps by size, then entry by " +
		"entry in ascending key order; and floats as Go's `cmp.Compare`, NaN before every other float (−Inf " +
		"included) and equal to another NaN, −0.0 equal to 0.0, so that `min` and `min_by` return a NaN if " +
		"there is one, `max` and `max_by` only if every value is NaN. Of equal values the first is kept " +
		"(`sort` is stable). The operators `<`, `<=`, `>` and `>=` keep IEEE-754's answers, false for NaN " +
		"(language.md §6.3). Decision " +
		"builders return a new decision and never change their argument; a fresh decision has action " +
		"\"route\", priority 50, empty strings, lists and maps and a sticky_ttl of 0s."},
	{Path: "std/cost", Name: "cost", Doc: "Spend and prices from the router's cost ledger and price catalogue. " +
		"Without a ledger (a router or test that provides none) every spend is $0 and every price unknown. " +
		"The tenant's id or the target looked up costs 1 fuel per 64 bytes, as a map's key does, with a ledger or without."},
	{Path: "std/ab", Name: "ab", Doc: "Experiments. Assignment is a stable hash, so it needs no state and is " +
		"the same on every router; the router would provide promoted winners from an experiment service, which it " +
		"does not have yet: on the router ab.winner is none and ab.arm follows the split (rplc test and rplc eval " +
		"take winners from testing.set_winner and --state). ab.winner's experiment costs 1 fuel per 64 bytes, as a map's key does."},
	{Path: "std/health", Name: "health", Doc: "Provider health from feedback: circuit breakers, latency and " +
		"error statistics. Without a health service every target is healthy, with latency 1s and error rate 0. " +
		"The target looked up costs 1 fuel per 64 bytes, as a map's key does, with a health service or without."},
	{Path: "std/testing", Name: "testing", Doc: "The state a test runs against. Only test files (`*_test.rpl`) may import it. " +
		"Each test starts with empty state (no spend, no prices, no winners, every target healthy), the clock at " +
		"2025-06-02T12:00:00Z (a Monday) and seed 1; these builtins change them for the rest of the test, so that policies " +
		"reading budgets, experiments, health or time are testable. A `Request` brace literal that leaves out `arrival`, in a test block or a " +
		"function of a test file, arrives at the test's clock, now() when it is built (as a router gives a request without an arrival the " +
		"time it received it), so `route({})` sees r.arrival and now() agree. `rplc eval --state FILE` takes the same state as JSON."},
}

// Markdown renders the reference of the standard library (spec/stdlib.md):
// the builtins module by module, the enums and the prelude.
func Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("<!-- Generated from stdlib/decls.go by `go test ./stdlib -run TestStdlibDoc -update`. Do not edit. -->\n\n")
	b.WriteString("# RPL standard library\n\n")
	b.WriteString("Builtins are declared as data in `stdlib/decls.go` (name, typed signature, doc, fuel cost, purity); " +
		"this file, the checker, `rplc doc` and the language server all read that table. " +
		"In a signature, single capitals are type variables and `name?:` marks an optional parameter, " +
		"which may only be given by name (`ttl: 10m`) and defaults as the doc says. " +
		"A builtin whose first parameter accepts `x` may be called as a method: `x.f(args)`. " +
		"**Cost** is the fuel charged per call before any size-proportional work. " +
		"**Pure** builtins depend on their arguments only; the others read the request's seed or time, " +
		"or router state.\n\n")
	b.WriteString("## Contents\n\n")
	for _, m := range Modules {
		fmt.Fprintf(&b, "- [%s](#%s)\n", moduleTitle(m), anchor(moduleTitle(m)))
	}
	b.WriteString("- [Enums](#enums)\n- [Prelude](#prelude)\n\n")

	defs := Defs()
	for _, m := range Modules {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", moduleTitle(m), m.Doc)
		if m.Path != "" {
			fmt.Fprintf(&b, "```rpl\nimport %q\n```\n\n", m.Path)
		}
		last := ""
		for _, d := range defs {
			if d.Decl.Module != m.Name {
				continue
			}
			name := d.Decl.Name
			if m.Name != "" {
				name = m.Name + "." + name
			}
			if name != last {
				fmt.Fprintf(&b, "### %s\n\n", name)
				last = name
			}
			pure := "no"
			if d.Decl.Pure {
				pure = "yes"
			}
			fmt.Fprintf(&b, "```rpl\n%s%s\n```\n\n%s\n\n", name, d.Decl.Sig, d.Decl.Doc)
			fmt.Fprintf(&b, "Cost %d · pure: %s", d.Decl.Cost, pure)
			if d.Fn == nil {
				b.WriteString(" · compiled to bytecode")
			}
			b.WriteString("\n\n")
		}
	}

	b.WriteString("## Enums\n\nEnum members are predeclared constants; at run time they are strings.\n\n")
	for _, e := range Enums {
		fmt.Fprintf(&b, "### %s\n\n```rpl\n%s\n```\n\n%s\n\n", e.Name, strings.Join(e.Members, ", "), e.Doc)
	}

	b.WriteString("## Prelude\n\nThe request schema and the decision type, visible in every file " +
		"(`stdlib/prelude.rpl`, verbatim):\n\n```rpl\n")
	b.Write(bytes.TrimRight(prelude, "\n"))
	b.WriteString("\n```\n")
	return b.Bytes()
}

func moduleTitle(m ModuleDoc) string {
	if m.Path == "" {
		return "Universal builtins"
	}
	return m.Path
}

// anchor is the GitHub heading anchor of a title.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}
