package compiler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

// TestNoArmOutcome: with coverage, a statement match has a "no arm"
// outcome only when some value of its subject has no arm
// (lang.Program.Exhaustive), read with the composed policy's constants,
// the ones compiled: t's match covers true and false and has none (it
// had one, which no test could take); u's leaves none of a bool? without
// an arm; the parent's s covered every value with its own constant, which
// the child's replaces, leaving true without an arm.
func TestNoArmOutcome(t *testing.T) {
	u, err := stdlib.Universe()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"/p/team.rpl": `package team

extends "org"

const on = false

fn t(b: bool) -> int {
  match b {
    true => { return 1 }
    false => { return 2 }
  }
  0
}

fn u(b: bool?) -> int {
  match b {
    true => { return 1 }
    false => { return 2 }
  }
  0
}

fn route(r: Request) -> Decision = to("a:" + string(t(r.model == "x") + u(r.model == "y") + s(r.model == "z")))
`,
		"/p/org.rpl": `package org

const on = true

fn s(b: bool) -> int {
  match b {
    on => { return 1 }
    false => { return 2 }
  }
  0
}
`,
	}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	prog, diags := lang.Check(&lang.Config{Universe: u, ReadFile: read, Policy: true}, "/p/team.rpl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, err := compiler.Compile(prog, compiler.Options{Builtins: builtinTable(t), NoTests: true, Cover: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range out.Counters {
		if k.Outcome == "no arm" {
			got = append(got, fmt.Sprintf("%s:%d", filepath.Base(k.File), k.Line))
		}
	}
	slices.Sort(got)
	if want := "org.rpl:9, team.rpl:19"; strings.Join(got, ", ") != want {
		t.Errorf("no arm outcomes at %v, want %s", got, want)
	}
}
