package lang

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// formatCorpus returns the policies the property tests below run over: the
// examples, the conformance programs and the CP1 translations, by path
// from the module root.
func formatCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{"examples/policies", "testdata/conformance", "testdata/cp1"} {
		files, err := filepath.Glob(filepath.Join("..", dir, "*.rpl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.ToSlash(filepath.Join(dir, filepath.Base(f)))] = src
		}
	}
	if len(out) == 0 {
		t.Skip("no policies found")
	}
	return out
}

// countComments counts the comments of a source that parses.
func countComments(t *testing.T, name string, src []byte) int {
	t.Helper()
	f, diags := Parse(name, src)
	if err := diags.Err(); err != nil {
		t.Fatalf("%s does not parse: %v\n%s", name, err, src)
	}
	return len(f.Comments)
}

// TestFormatCorpusProperties formats every example, conformance and CP1
// policy and checks that the output is idempotent, parses to the same tree
// and has as many comments; and that changes of layout alone (CRLF line
// ends, a byte order mark, tabs for indentation, trailing blanks, runs of
// blank lines, no final newline) give the same output as the original.
func TestFormatCorpusProperties(t *testing.T) {
	for name, src := range formatCorpus(t) {
		t.Run(name, func(t *testing.T) {
			checkFormatted(t, name, src)
			want, err := FormatSource(name, src)
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, want)
			if a, b := countComments(t, name, src), countComments(t, name, want); a != b {
				t.Errorf("%d comments before formatting, %d after", a, b)
			}
			variants := map[string][]byte{
				"crlf":             bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n")),
				"bom":              append([]byte("\uFEFF"), src...),
				"tabs":             retab(src),
				"trailing blanks":  bytes.ReplaceAll(src, []byte("\n"), []byte(" \t \n")),
				"blank runs":       bytes.ReplaceAll(src, []byte("\n\n"), []byte("\n\n\n\n")),
				"no final newline": bytes.TrimRight(src, "\n"),
			}
			for what, v := range variants {
				got, err := FormatSource(name, v)
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: output differs from the original's (-original +%s):\n%s", what, what, cmp.Diff(string(want), string(got)))
				}
			}
		})
	}
}

// retab replaces each line's indentation of spaces with tabs, one per two
// spaces.
func retab(src []byte) []byte {
	lines := strings.Split(string(src), "\n")
	for i, l := range lines {
		body := strings.TrimLeft(l, " ")
		n := len(l) - len(body)
		lines[i] = strings.Repeat("\t", n/2) + strings.Repeat(" ", n%2) + body
	}
	return []byte(strings.Join(lines, "\n"))
}

// TestFormatCorpusCommentInEveryGap puts a comment in the gaps between the
// tokens of every example, conformance and CP1 policy (every third gap,
// every 13th in -short mode): one ending the line of the token before it
// and one on a line of its own. Each variant must keep all its comments
// and format idempotently to the same tree.
func TestFormatCorpusCommentInEveryGap(t *testing.T) {
	step := 3
	if testing.Short() {
		step = 13
	}
	for name, src := range formatCorpus(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			toks, _ := scanTokens(name, src, true)
			k := 0
			for _, tok := range toks {
				if tokenType(tok.Type) == tokWhitespace || tokenType(tok.Type) == tokComment {
					continue
				}
				k++
				if k%step != 0 {
					continue
				}
				end := tok.Pos.Offset + len(tok.Value)
				for _, ins := range []string{" # gap\n ", "\n # gap\n\n "} {
					v := []byte(string(src[:end]) + ins + string(src[end:]))
					tree, diags := Parse(name, v)
					if diags.Err() != nil {
						continue // a newline where the parser reads on
					}
					checkFormattedTree(t, name, tree)
					out, err := Format(tree)
					if err == nil && countComments(t, name, out) != len(tree.Comments) {
						t.Errorf("comments lost")
					}
					if t.Failed() {
						t.Fatalf("input:\n%s", v)
					}
				}
			}
		})
	}
}
