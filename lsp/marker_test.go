package lsp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/scanner"
	"unicode/utf16"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
	"golang.org/x/tools/txtar"
)

// Marker tests. Each testdata/*.txtar archive is a workspace; its files
// are written to a temporary folder and opened in a server. Expectations
// are comments in the sources, in the manner of gopls's marker tests:
//
//	#@name(arg, ...)
//
// A marker applies to the line it ends, or, when it stands on a line of
// its own, to the line above. Arguments are Go-syntax strings, integers
// and bare names. A location is a string found in the code of the marker's
// line; a ^ in it marks the exact offset (else the match's start):
// "r.ten^" is just after "r.ten".
//
//	#@loc(name, "pat")                  names a location, for def and refs
//	#@diag("pat", "RPL200", "text")     a diagnostic starts at pat with that
//	                                    code and message text; every
//	                                    diagnostic of an archive must be
//	                                    declared by one
//	#@hover("pat", "text"...)           hover at pat shows each text
//	#@def("pat", name)                  definition at pat is location name;
//	#@def("pat")                        there is none
//	#@refs("pat", name...)              references at pat (declaration
//	                                    included) are exactly those locations
//	#@complete("pat", "item", "!item")  completion at pat offers each item
//	                                    and not the !items
//	#@sig("pat", "label text", n)       signature help at pat shows a
//	                                    signature containing the text, with
//	                                    parameter n active
//	#@rename("pat", "new", n)           renaming at pat makes n edits;
//	#@rename("pat", "new", "text")      or is refused with a reason
//	                                    containing text
//	#@fix("pat", "title")               a quick fix at pat has that title
//
// Positions are compared in LSP's UTF-16 columns, computed here
// independently of the server.

type marker struct {
	name string
	args []any  // string, int or name
	file string // relative path
	line int    // 0-based target line
	code string // the target line's code (before any marker)
	at   string // file:line for messages
}

type name string

type location struct {
	uri string
	pos protocol.Position
}

func TestMarkers(t *testing.T) {
	archives, _ := filepath.Glob("testdata/*.txtar")
	if len(archives) == 0 {
		t.Fatal("no testdata")
	}
	for _, a := range archives {
		t.Run(strings.TrimSuffix(filepath.Base(a), ".txtar"), func(t *testing.T) { runArchive(t, a) })
	}
}

func runArchive(t *testing.T, archive string) {
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var markers []*marker
	for _, f := range ar.Files {
		path := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		markers = append(markers, parseMarkers(t, f.Name, string(f.Data))...)
	}
	if strings.Contains(string(ar.Comment), "read-only: ") {
		for _, l := range strings.Split(string(ar.Comment), "\n") {
			if ro, ok := strings.CutPrefix(l, "read-only: "); ok {
				os.Chmod(filepath.Join(dir, ro), 0o444)
			}
		}
	}
	c := newClient(t, dir, lsp.Options{})
	texts := map[string]string{}
	uris := map[string]string{}
	for _, f := range ar.Files {
		if strings.HasSuffix(f.Name, ".rpl") {
			uris[f.Name] = c.open(f.Name)
			texts[f.Name] = string(f.Data)
		}
	}
	locOf := func(m *marker, pat string) location {
		t.Helper()
		cursor := strings.Index(pat, "^")
		plain := strings.Replace(pat, "^", "", 1)
		i := strings.Index(m.code, plain)
		if i < 0 {
			t.Fatalf("%s: %q not found in %q", m.at, plain, m.code)
		}
		if cursor >= 0 {
			i += cursor
		}
		return location{uri: uris[m.file], pos: protocol.Position{Line: uint32(m.line), Character: uint32(len(utf16.Encode([]rune(m.code[:i]))))}}
	}
	locs := map[string]location{}
	for _, m := range markers {
		if m.name == "loc" {
			locs[string(m.args[0].(name))] = locOf(m, m.args[1].(string))
		}
	}

	// Diagnostics: every one declared, every declaration met.
	declared := map[*marker]bool{}
	for _, f := range ar.Files {
		if !strings.HasSuffix(f.Name, ".rpl") {
			continue
		}
		for _, d := range c.waitDiags(uris[f.Name], 1) {
			found := false
			for _, m := range markers {
				if m.name != "diag" || m.file != f.Name || declared[m] {
					continue
				}
				l := locOf(m, m.args[0].(string))
				if l.pos == d.Range.Start && fmt.Sprint(d.Code) == m.args[1].(string) && strings.Contains(d.Message, m.args[2].(string)) {
					declared[m], found = true, true
					break
				}
			}
			if !found {
				t.Errorf("%s:%d:%d: unexpected diagnostic %v: %s", f.Name, d.Range.Start.Line+1, d.Range.Start.Character+1, d.Code, d.Message)
			}
		}
	}
	for _, m := range markers {
		if m.name == "diag" && !declared[m] {
			t.Errorf("%s: no diagnostic %v", m.at, m.args)
		}
	}

	for _, m := range markers {
		switch m.name {
		case "loc", "diag":
		case "hover":
			l := locOf(m, m.args[0].(string))
			var h *protocol.Hover
			var raw struct {
				Contents protocol.MarkupContent `json:"contents"`
			}
			c.call("textDocument/hover", docPos(l.uri, l.pos), &raw)
			_ = h
			for _, want := range m.args[1:] {
				if !strings.Contains(raw.Contents.Value, want.(string)) {
					t.Errorf("%s: hover %q lacks %q", m.at, raw.Contents.Value, want)
				}
			}
		case "def":
			l := locOf(m, m.args[0].(string))
			var got []protocol.Location
			c.call("textDocument/definition", docPos(l.uri, l.pos), &got)
			if len(m.args) == 1 {
				if len(got) != 0 {
					t.Errorf("%s: definition %v, want none", m.at, got)
				}
				continue
			}
			want := locs[string(m.args[1].(name))]
			if len(got) != 1 || got[0].URI != want.uri || got[0].Range.Start != want.pos {
				t.Errorf("%s: definition %v, want %v", m.at, got, want)
			}
		case "refs":
			l := locOf(m, m.args[0].(string))
			var got []protocol.Location
			params := docPos(l.uri, l.pos)
			params["context"] = map[string]any{"includeDeclaration": true}
			c.call("textDocument/references", params, &got)
			var gs, ws []string
			for _, g := range got {
				gs = append(gs, fmt.Sprintf("%s:%d:%d", filepath.Base(g.URI), g.Range.Start.Line+1, g.Range.Start.Character))
			}
			for _, a := range m.args[1:] {
				w := locs[string(a.(name))]
				ws = append(ws, fmt.Sprintf("%s:%d:%d", filepath.Base(w.uri), w.pos.Line+1, w.pos.Character))
			}
			sort.Strings(gs)
			sort.Strings(ws)
			if !slices.Equal(gs, ws) {
				t.Errorf("%s: references\n got %v\nwant %v", m.at, gs, ws)
			}
		case "complete":
			l := locOf(m, m.args[0].(string))
			var got protocol.CompletionList
			c.call("textDocument/completion", docPos(l.uri, l.pos), &got)
			labels := map[string]bool{}
			for _, it := range got.Items {
				labels[it.Label] = true
			}
			for _, a := range m.args[1:] {
				w := a.(string)
				if not, ok := strings.CutPrefix(w, "!"); ok {
					if labels[not] {
						t.Errorf("%s: completion offers %s", m.at, not)
					}
				} else if !labels[w] {
					t.Errorf("%s: completion lacks %s (has %d items)", m.at, w, len(got.Items))
				}
			}
		case "sig":
			l := locOf(m, m.args[0].(string))
			var got protocol.SignatureHelp
			c.call("textDocument/signatureHelp", docPos(l.uri, l.pos), &got)
			ok := false
			for _, s := range got.Signatures {
				if strings.Contains(s.Label, m.args[1].(string)) && s.ActiveParameter != nil && int(*s.ActiveParameter) == m.args[2].(int) {
					ok = true
				}
			}
			if !ok {
				b, _ := jsonString(got)
				t.Errorf("%s: signature help %s, want %q with parameter %d active", m.at, b, m.args[1], m.args[2])
			}
		case "rename":
			l := locOf(m, m.args[0].(string))
			params := docPos(l.uri, l.pos)
			params["newName"] = m.args[1].(string)
			var got protocol.WorkspaceEdit
			err := c.call("textDocument/rename", params, &got)
			switch want := m.args[2].(type) {
			case int:
				n := 0
				for _, es := range got.Changes {
					n += len(es)
				}
				if err != nil || n != want {
					t.Errorf("%s: rename made %d edits (err %v), want %d", m.at, n, err, want)
				}
			case string:
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: rename error %v, want %q", m.at, err, want)
				}
			}
		case "fix":
			l := locOf(m, m.args[0].(string))
			var got []protocol.CodeAction
			c.call("textDocument/codeAction", map[string]any{
				"textDocument": map[string]any{"uri": l.uri},
				"range":        protocol.Range{Start: l.pos, End: l.pos},
				"context":      map[string]any{"diagnostics": []any{}},
			}, &got)
			ok := false
			for _, a := range got {
				ok = ok || strings.Contains(a.Title, m.args[1].(string))
			}
			if !ok {
				t.Errorf("%s: no quick fix %q among %v", m.at, m.args[1], got)
			}
		default:
			t.Errorf("%s: unknown marker %s", m.at, m.name)
		}
	}
}

// parseMarkers finds the markers of one file.
func parseMarkers(t *testing.T, file, src string) []*marker {
	var out []*marker
	lines := strings.Split(src, "\n")
	target := -1
	for i, line := range lines {
		j := strings.Index(line, "#@")
		if j < 0 {
			target = i
			continue
		}
		code := line[:j]
		at := i
		if strings.TrimSpace(code) == "" {
			at = target
			code = lines[at]
			if k := strings.Index(code, "#@"); k >= 0 {
				code = code[:k]
			}
		} else {
			target = i
		}
		for _, m := range scanMarkers(t, fmt.Sprintf("%s:%d", file, i+1), line[j:]) {
			m.file, m.line, m.code = file, at, code
			out = append(out, m)
		}
	}
	return out
}

// scanMarkers reads `#@name(args) #@name(args)...`.
func scanMarkers(t *testing.T, at, text string) []*marker {
	var out []*marker
	var s scanner.Scanner
	s.Init(strings.NewReader(text))
	s.Mode = scanner.ScanIdents | scanner.ScanInts | scanner.ScanStrings
	s.Error = func(_ *scanner.Scanner, msg string) { t.Fatalf("%s: %s", at, msg) }
	for {
		tok := s.Scan()
		if tok == scanner.EOF {
			return out
		}
		if tok != '#' || s.Scan() != '@' || s.Scan() != scanner.Ident {
			t.Fatalf("%s: malformed marker %q", at, text)
		}
		m := &marker{name: s.TokenText(), at: at}
		if s.Scan() != '(' {
			t.Fatalf("%s: want ( after %s", at, m.name)
		}
		for {
			tok := s.Scan()
			switch tok {
			case ')':
			case ',':
				continue
			case scanner.String:
				v, err := strconv.Unquote(s.TokenText())
				if err != nil {
					t.Fatalf("%s: %v", at, err)
				}
				m.args = append(m.args, v)
				continue
			case scanner.Int:
				v, _ := strconv.Atoi(s.TokenText())
				m.args = append(m.args, v)
				continue
			case scanner.Ident:
				m.args = append(m.args, name(s.TokenText()))
				continue
			default:
				t.Fatalf("%s: unexpected %q in marker", at, s.TokenText())
			}
			break
		}
		out = append(out, m)
	}
}
