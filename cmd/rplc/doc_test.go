package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestDocAmbiguousName: an unqualified NAME that two modules have is a
// NAME to change, a wrong command line (exit 2) that names the choices,
// as one that names nothing is; it was exit 1. No two modules of the
// standard library share a name today, so the entries are made up.
func TestDocAmbiguousName(t *testing.T) {
	all := []docEntry{
		{Kind: "builtin", Module: "std/a", Name: "a.spend", Sig: "() -> money"},
		{Kind: "builtin", Module: "std/b", Name: "b.spend", Sig: "() -> money"},
		{Kind: "builtin", Module: "std/b", Name: "b.only", Sig: "() -> int"},
	}
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb}
	err := runDoc(e, newDocCmd(e), "spend", "text", all)
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != exitUsage {
		t.Fatalf("doc spend: %v, want a wrong command line (exit %d)", err, exitUsage)
	}
	if msg := ex.err.Error(); !strings.Contains(msg, "a.spend, b.spend") {
		t.Errorf("doc spend: %q does not name the choices", msg)
	}
	// The unambiguous one is found unqualified.
	out.Reset()
	if err := runDoc(e, newDocCmd(e), "only", "text", all); err != nil {
		t.Fatalf("doc only: %v", err)
	}
	if !strings.HasPrefix(out.String(), "b.only() -> int") {
		t.Errorf("doc only printed %q", out.String())
	}
}
