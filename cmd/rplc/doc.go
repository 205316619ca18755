package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/spf13/cobra"
)

func newDocCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "doc [NAME]",
		Short: "Show the standard library reference",
		Long: `Doc prints the reference of the standard library, generated from the
builtin declarations (the same source as spec/stdlib.md and the language
server's hover).

Without NAME it lists the modules and every builtin with the first sentence
of its doc. NAME is a builtin (lower, len, cost.month_spend, or month_spend
when unambiguous), a module (std/cost, cost, or "universal" for the
builtins that need no import) or an enum (Trigger); doc prints every
overload with its signature, full doc, fuel cost and purity.

With --format json the entries are a JSON array of {kind, module, name,
sig, doc, cost, pure, compiled}, whatever NAME names; kind is "builtin",
"enum" or "module". An enum is an entry too, with its members (members)
and sig "enum Trigger = timeout, ...", listed without NAME as the text
lists it. So is a module, named by its import path ("universal" for the
builtins that need no import), its sig the import ("import \"std/cost\""),
its doc the overview the text prints: first for a module NAME, and
without NAME before its builtins, module after module, as the text lists
them.

Exit status: 0 on success, 2 for a wrong command line, a NAME that names
nothing among it (with the nearest name, if one is close) or, unqualified,
a builtin of two modules (naming both) among it.`,
		Example: `  rplc doc
  rplc doc lower
  rplc doc std/testing
  rplc doc cost.month_spend --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf(cmd, "doc: accepts at most 1 arg (one NAME), have %d", len(args))
			}
			// An empty NAME ("$NAME" unset) names nothing: it listed
			// everything, exit 0, as no NAME does.
			if len(args) == 1 && strings.TrimSpace(args[0]) == "" {
				return usageErrorf(cmd, "doc: an empty NAME names nothing (omit NAME to list everything)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return runDoc(e, cmd, name, format, entries())
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// docEntry is a builtin, an enum or a module in the JSON form.
type docEntry struct {
	// Kind is "builtin", "enum" or "module": a module's entry carries
	// its overview (doc), which the text prints above its builtins.
	Kind     string `json:"kind"`
	Module   string `json:"module"` // "" for universal builtins, else the import path
	Name     string `json:"name"`   // qualified: cost.month_spend
	Sig      string `json:"sig"`
	Doc      string `json:"doc"`
	Cost     int64  `json:"cost"`
	Pure     bool   `json:"pure"`
	Compiled bool   `json:"compiled"` // lowered to bytecode by the compiler
	// Members are an enum's members (an enum's entry only).
	Members []string `json:"members,omitempty"`
}

// enumEntry is the JSON entry of an enum: its members are predeclared
// constants, costing nothing.
func enumEntry(en lang.EnumDecl) docEntry {
	return docEntry{Kind: "enum", Name: en.Name, Sig: "enum " + en.Name + " = " + strings.Join(en.Members, ", "),
		Doc: en.Doc, Pure: true, Members: en.Members}
}

func entries() []docEntry {
	var out []docEntry
	for _, d := range stdlib.Defs() {
		en := docEntry{Kind: "builtin", Name: d.Decl.Name, Sig: d.Decl.Sig, Doc: d.Decl.Doc, Cost: d.Decl.Cost, Pure: d.Decl.Pure, Compiled: d.Fn == nil}
		if d.Decl.Module != "" {
			en.Module = "std/" + d.Decl.Module
			en.Name = d.Decl.Module + "." + d.Decl.Name
		}
		out = append(out, en)
	}
	return out
}

// moduleEntry is the JSON entry of a module: its overview, named by its
// import path ("universal" for the builtins that need no import, as NAME
// names them), its sig the import that brings it in.
func moduleEntry(m stdlib.ModuleDoc) docEntry {
	en := docEntry{Kind: "module", Module: m.Path, Name: m.Path, Sig: fmt.Sprintf("import %q", m.Path), Doc: m.Doc}
	if m.Path == "" {
		en.Name, en.Sig = "universal", ""
	}
	return en
}

// byModule is all, each module's entry followed by its builtins, module
// after module in documentation order, as the text lists them.
func byModule(all []docEntry) []docEntry {
	var out []docEntry
	done := map[string]bool{}
	for _, m := range stdlib.Modules {
		out = append(out, moduleEntry(m))
		for _, en := range all {
			if en.Module == m.Path {
				out = append(out, en)
			}
		}
		done[m.Path] = true
	}
	for _, en := range all {
		if !done[en.Module] {
			out = append(out, en)
		}
	}
	return out
}

// runDoc prints the reference of name (all of it for ""), among the
// builtins all (entries()).
func runDoc(e *env, cmd *cobra.Command, name, format string, all []docEntry) error {
	if name == "" {
		if format == "json" {
			// The modules' overviews and the enums too, as the text
			// lists them.
			all = byModule(all)
			for _, en := range stdlib.Enums {
				all = append(all, enumEntry(en))
			}
			return writeDocJSON(e.stdout, all)
		}
		for _, m := range stdlib.Modules {
			title := m.Path
			if title == "" {
				title = "universal builtins (no import)"
			}
			fmt.Fprintf(e.stdout, "%s\n    %s\n", title, firstSentence(m.Doc))
			seen := map[string]bool{}
			for _, en := range all {
				if en.Module != m.Path || seen[en.Name] {
					continue
				}
				seen[en.Name] = true
				fmt.Fprintf(e.stdout, "  %-22s %s\n", en.Name, firstSentence(en.Doc))
			}
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintln(e.stdout, "enums")
		for _, en := range stdlib.Enums {
			fmt.Fprintf(e.stdout, "  %-22s %s\n", en.Name, firstSentence(en.Doc))
		}
		return nil
	}

	// A module?
	for _, m := range stdlib.Modules {
		if name == m.Path || (m.Name != "" && name == m.Name) || (m.Path == "" && name == "universal") {
			sel := []docEntry{moduleEntry(m)} // its overview, as the text's heading
			for _, en := range all {
				if en.Module == m.Path {
					sel = append(sel, en)
				}
			}
			if format == "json" {
				return writeDocJSON(e.stdout, sel)
			}
			title := m.Path
			if title == "" {
				title = "universal builtins"
			} else {
				title = fmt.Sprintf("import %q", m.Path)
			}
			fmt.Fprintf(e.stdout, "%s\n\n%s\n\n", title, wrap(m.Doc, "", 76))
			writeEntries(e.stdout, sel[1:])
			return nil
		}
	}
	// An enum?
	for _, en := range stdlib.Enums {
		if name == en.Name {
			if format == "json" {
				// An array of one entry, as for a builtin: it was an
				// object {enum, members, doc}, which the help did not
				// describe and a consumer of entries could not read.
				return writeDocJSON(e.stdout, []docEntry{enumEntry(en)})
			}
			fmt.Fprintf(e.stdout, "enum %s = %s\n%s\n", en.Name, strings.Join(en.Members, ", "), wrap(en.Doc, "    ", 76))
			return nil
		}
	}
	// A builtin: qualified, or unqualified when one module has it.
	var sel []docEntry
	for _, en := range all {
		if en.Name == name {
			sel = append(sel, en)
		}
	}
	if len(sel) == 0 {
		mods := map[string]bool{}
		for _, en := range all {
			if i := strings.LastIndexByte(en.Name, '.'); i >= 0 && en.Name[i+1:] == name {
				sel = append(sel, en)
				mods[en.Module] = true
			}
		}
		if len(mods) > 1 {
			var names []string
			for _, en := range sel {
				names = append(names, en.Name)
			}
			sort.Strings(names)
			// A NAME to change, as one naming nothing: a wrong command
			// line (exit 2, as the help says), not a failure (1).
			return usageErrorf(cmd, "doc: %s is ambiguous: name one of %s", name, strings.Join(dedup(names), ", "))
		}
	}
	if len(sel) == 0 {
		// Every name doc takes: the builtins, qualified and not, the
		// modules by path and by name, "universal" and the enums (only
		// the qualified builtins and the module paths were offered:
		// doc Triger, month_spnd or testng suggested nothing).
		names := []string{"universal"}
		for _, en := range all {
			names = append(names, en.Name)
			if i := strings.LastIndexByte(en.Name, '.'); i >= 0 {
				names = append(names, en.Name[i+1:])
			}
		}
		for _, m := range stdlib.Modules {
			if m.Path != "" {
				names = append(names, m.Path, m.Name)
			}
		}
		for _, en := range stdlib.Enums {
			names = append(names, en.Name)
		}
		hint := ""
		if n := lang.Nearest(name, names); n != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", n)
		}
		return usageErrorf(cmd, "doc: no builtin, module or enum named %s%s", name, hint)
	}
	if format == "json" {
		return writeDocJSON(e.stdout, sel)
	}
	writeEntries(e.stdout, sel)
	return nil
}

func writeEntries(w io.Writer, sel []docEntry) {
	for i, en := range sel {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s%s\n", en.Name, en.Sig)
		fmt.Fprintln(w, wrap(en.Doc, "    ", 76))
		pure := "no"
		if en.Pure {
			pure = "yes"
		}
		extra := ""
		if en.Compiled {
			extra = " · compiled to bytecode"
		}
		fmt.Fprintf(w, "    Cost %d · pure: %s%s\n", en.Cost, pure, extra)
	}
}

func writeDocJSON(w io.Writer, sel []docEntry) error {
	if sel == nil {
		sel = []docEntry{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sel); err != nil {
		return writeError(err)
	}
	return nil
}

// firstSentence is the doc up to its first ". " (or all of it).
func firstSentence(doc string) string {
	if i := strings.Index(doc, ". "); i >= 0 {
		return doc[:i+1]
	}
	return doc
}

// wrap fills text to width columns, each line starting with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(w) > width {
			b.WriteString(line)
			b.WriteByte('\n')
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}

func dedup(xs []string) []string {
	var out []string
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
