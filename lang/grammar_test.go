package lang

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

const grammarSpecPath = "../spec/grammar.ebnf"

// parseTreeName matches the name of a parse-tree struct in participle's
// EBNF: GExpr, GFieldName, ... (the structs are gExpr, gFieldName).
var parseTreeName = regexp.MustCompile(`\bG([A-Z][A-Za-z]*)\b`)

// grammarEBNF renders the grammar that the parser accepts: a header, the
// token classes from the lexer rules, then participle's EBNF of the
// parse-tree structs with their G prefix removed (GExpr → Expr).
func grammarEBNF() string {
	var b strings.Builder
	b.WriteString(`(* The grammar of RPL, as lang/grammar.go defines it. The parser (the
   recursive descent in lang/parse.go) accepts exactly this language:
   TestDescentMatchesGrammar and FuzzParse compare it with a parser that
   participle generates from this grammar.
   Generated: go test ./lang -run TestGrammarMatchesSpec -update
   The language specification (language.md) explains each production.

   Notation: participle's EBNF. "x" matches a token whose text is x,
   <class> a token of a class below, ( ) groups, | separates
   alternatives, ? * + repeat, (?= x) and (?! x) are positive and
   negative lookahead (they consume nothing), and a production ends
   with a period.

   Token classes: the lexer tries these rules in order at each position
   and the first that matches makes the token (so a keyword is never an
   <ident>, and "5min" is one <number> token that the parser then
   rejects as a malformed duration). <comment> and <whitespace> are
   skipped; <badstring> and <invalid> only exist to produce precise
   errors (RPL102, RPL101). *)

`)
	rules := rplLexer.Rules()["Root"]
	width := 0
	for _, r := range rules {
		width = max(width, len(r.Name)+2)
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "%-*s = /%s/ .\n", width, "<"+strings.ToLower(r.Name)+">", r.Pattern)
	}
	b.WriteString("\n")
	b.WriteString(parseTreeName.ReplaceAllString(rplParser.String(), "$1"))
	b.WriteString("\n")
	return b.String()
}

// TestGrammarMatchesSpec keeps spec/grammar.ebnf equal to the grammar the
// parser accepts. Run with -update after changing lang/grammar.go.
func TestGrammarMatchesSpec(t *testing.T) {
	got := grammarEBNF()
	if updating() {
		if err := os.WriteFile(grammarSpecPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(grammarSpecPath)
	if err != nil {
		t.Fatalf("%v (run go test ./lang -run TestGrammarMatchesSpec -update)", err)
	}
	if string(want) != got {
		t.Errorf("spec/grammar.ebnf differs from the parser's grammar (run go test ./lang -run TestGrammarMatchesSpec -update and review the diff):\n%s", lineDiff(string(want), got))
	}
}

// TestGrammarProductionsDocumented checks that every production of the
// grammar is named in spec/language.md, so the prose covers the grammar.
func TestGrammarProductionsDocumented(t *testing.T) {
	spec, err := os.ReadFile("../spec/language.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(parseTreeName.ReplaceAllString(rplParser.String(), "$1"), "\n") {
		name, _, ok := strings.Cut(line, " = ")
		if !ok {
			continue
		}
		if !regexp.MustCompile(`\b` + name + `\b`).Match(spec) {
			t.Errorf("production %s is not mentioned in spec/language.md", name)
		}
	}
}
