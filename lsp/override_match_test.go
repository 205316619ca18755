package lsp_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/lsp"
	protocol "github.com/tliron/glsp/protocol_3_16"
)

// A child's constant that leaves a match of its parent without an arm for
// a value is RPL305 in the editor as in rplc check: on the child's
// constant, the parent's match a related location. The parent, checked as
// its own policy, has none; a child whose constant keeps the match
// exhaustive has none either.
func TestOverrideBreaksParentMatch(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "parent.rpl"), "package parent\n\nconst PREMIUM = true\n\n"+
		"fn label(b: bool) -> string = match b { PREMIUM => \"premium\", false => \"basic\" }\n\n"+
		"fn route(r: Request) -> Decision = to(\"p:\" + label(r.model == \"x\"))\n")
	write(t, filepath.Join(dir, "child.rpl"), "package child\n\nextends \"parent\"\n\nconst PREMIUM = false\n")
	c := newClient(t, dir, lsp.Options{})
	pu := c.open("parent.rpl")
	cu := c.open("child.rpl")
	c.settle(pu, "parent.rpl", none)
	ds := c.settle(cu, "child.rpl", hasCode("RPL305"))
	d := ds[0]
	if want := (protocol.Range{Start: pos(4, 6), End: pos(4, 13)}); d.Range != want {
		t.Errorf("RPL305 at %+v, want %+v (the child's PREMIUM)", d.Range, want)
	}
	if !strings.Contains(d.Message, "PREMIUM overrides parent.PREMIUM, and the match at parent.rpl:5:31 no longer covers true") {
		t.Errorf("message %q", d.Message)
	}
	if len(d.RelatedInformation) != 1 || d.RelatedInformation[0].Location.URI != uri(filepath.Join(dir, "parent.rpl")) ||
		d.RelatedInformation[0].Location.Range.Start != pos(4, 30) {
		t.Errorf("related %+v, want the match at parent.rpl:5:31", d.RelatedInformation)
	}
	c.change(cu, "package child\n\nextends \"parent\"\n\nconst PREMIUM = true\n")
	c.settle(cu, "child.rpl with PREMIUM = true", none)
}
