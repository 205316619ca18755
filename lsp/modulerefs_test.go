package lsp_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// A module imported without as is declared by its import's path: the
// definition of its name is the path (it was a range of the name's length
// from the opening quote, `"sha` for limits), references with the
// declaration include it (they had the uses alone), and references on
// the path are those of the module (there were none).
func TestModuleDeclaredByPath(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "shared", "limits.rpl"), "package limits\n\nconst long = 10\n")
	lines := []string{
		"package p",
		"",
		`import "shared/limits"`,
		"",
		"fn route(r: Request) -> Decision {",
		"  if r.estimate.input_tokens > limits.long {",
		`    return deny("long").tag("max", string(limits.long))`,
		"  }",
		`  to("a:b")`,
		"}",
	}
	write(t, filepath.Join(dir, "p.rpl"), strings.Join(lines, "\n")+"\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	rng := func(line int, pat string) protocol.Range { return lineRange(lines, line, pat) }
	path := rng(2, `"shared/limits"`)
	use1, use2 := rng(5, "limits"), rng(6, "limits")

	var defs []protocol.Location
	c.call("textDocument/definition", docPos(u, use1.Start), &defs)
	if len(defs) != 1 || defs[0].Range != path {
		t.Errorf("definition of limits: %+v, want the import's path %+v", defs, path)
	}
	for _, tc := range []struct {
		name string
		at   protocol.Position
		decl bool
		want []protocol.Range
	}{
		{"at a use, with the declaration", use2.Start, true, []protocol.Range{path, use1, use2}},
		{"at a use, without", use2.Start, false, []protocol.Range{use1, use2}},
		{"at the path", pos(2, 12), true, []protocol.Range{path, use1, use2}},
	} {
		if got := refRanges(c, u, tc.at, tc.decl); !slices.Equal(got, tc.want) {
			t.Errorf("references %s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// References on the path of each of several imports without as are those
// of its own module, and none for a module that is not used; an import
// with as is found by its name, not its path.
func TestModuleRefsSeveralImports(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "shared", "limits.rpl"), "package limits\n\nconst long = 10\n")
	write(t, filepath.Join(dir, "shared", "names.rpl"), "package names\n\nconst big = \"a:b\"\n")
	write(t, filepath.Join(dir, "shared", "idle.rpl"), "package idle\n\nconst x = 1\n")
	write(t, filepath.Join(dir, "shared", "aliased.rpl"), "package aliased\n\nconst y = 2\n")
	lines := []string{
		"package p",
		"",
		`import "shared/limits"`,
		`import "shared/idle"`,
		`import "shared/names"`,
		`import "shared/aliased" as al`,
		"",
		"fn route(r: Request) -> Decision {",
		"  if r.estimate.input_tokens > limits.long + al.y {",
		`    return to(names.big)`,
		"  }",
		`  to(names.big)`,
		"}",
	}
	write(t, filepath.Join(dir, "p.rpl"), strings.Join(lines, "\n")+"\n")
	c := newClient(t, dir, lsp.Options{})
	u := c.open("p.rpl")
	c.waitDiags(u, 1)
	rng := func(line int, pat string) protocol.Range { return lineRange(lines, line, pat) }
	for _, tc := range []struct {
		name string
		at   protocol.Position
		want []protocol.Range
	}{
		{"limits", pos(2, 12), []protocol.Range{rng(2, `"shared/limits"`), rng(8, "limits")}},
		{"names", pos(4, 12), []protocol.Range{rng(4, `"shared/names"`), rng(9, "names"), {Start: pos(11, 5), End: pos(11, 10)}}},
		{"idle, unused", pos(3, 12), nil},
		{"aliased, at its path", pos(5, 12), nil},
	} {
		if got := refRanges(c, u, tc.at, true); !slices.Equal(got, tc.want) {
			t.Errorf("references at %s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// refRanges is the ranges of the references at in the document u, with
// the declaration or not.
func refRanges(c *client, u string, at protocol.Position, decl bool) []protocol.Range {
	params := docPos(u, at)
	params["context"] = map[string]any{"includeDeclaration": decl}
	var locs []protocol.Location
	c.call("textDocument/references", params, &locs)
	var out []protocol.Range
	for _, l := range locs {
		out = append(out, l.Range)
	}
	return out
}

// lineRange is the range of the first pat in lines[line].
func lineRange(lines []string, line int, pat string) protocol.Range {
	i := strings.Index(lines[line], pat)
	return protocol.Range{Start: pos(line, i), End: pos(line, i+len(pat))}
}
