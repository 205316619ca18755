package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// deepList is a list literal nested so that more than vm.MaxStackDepth
// values wait on the operand stack at once: 17 levels of 4,096 elements,
// each level's last element the next, the innermost of strings s. typ is
// its type.
func deepList() (lit, typ string) {
	const n = 4096
	lit, typ = "["+strings.Repeat("s, ", n-1)+"s]", "list[string]"
	for range 16 {
		lit = "[" + strings.Repeat("[], ", n-1) + lit + "]"
		typ = "list[" + typ + "]"
	}
	return lit, typ
}

// TestCheckStackTooDeep: code that type-checks but needs too deep an
// operand stack is an error RPL322 of rplc check, at the position rplc
// build refuses it at, in the file that holds it (here a library the
// policy imports); before, check passed what build refused.
func TestCheckStackTooDeep(t *testing.T) {
	dir := t.TempDir()
	lit, typ := deepList()
	lib := "package deep\n\nfn xs(s: string) -> " + typ + " = " + lit + "\n"
	policy := "package p\n\nimport \"deep.rpl\"\n\nfn route(r: Request) -> Decision = deny(string(len(deep.xs(r.id))))\n"
	for name, src := range map[string]string{"deep.rpl": lib, "p.rpl": policy} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := checkOne(t, dir)
	// At an element of the innermost list, which the stack passes the
	// limit on, as build says.
	line := strings.Split(lib, "\n")[2]
	if d.Code != "RPL322" || d.Severity != "error" || filepath.Base(d.File) != "deep.rpl" || d.Line != 3 ||
		!strings.Contains(d.Message, "needs more than 65536 values on the operand stack") {
		t.Fatalf("diagnostic %+v", d)
	}
	if innermost := strings.LastIndex(line, "[s, "); d.Col <= innermost || d.Col > len(line) || line[d.Col-1] != 's' {
		t.Errorf("at column %d, want an element of the innermost list, from column %d", d.Col, innermost+2)
	}

	var out, errs bytes.Buffer
	if code := run([]string{"build", dir, "-o", filepath.Join(dir, "out.rplb")}, strings.NewReader(""), &out, &errs); code != exitFail {
		t.Fatalf("build exited %d, want %d", code, exitFail)
	}
	if want := "deep.rpl:3:" + strconv.Itoa(d.Col) + ": " + d.Message; !strings.Contains(errs.String(), want) {
		t.Errorf("build said %.300q, want it to contain %.200q", errs.String(), want)
	}
}

// TestCheckTooManyConstants: a program with more distinct constants than
// an instruction can name is RPL322 of rplc check too, at the code that
// passes the limit; check passed it, and build said "compile f: asm:
// CONST: operand 65536 out of range".
func TestCheckTooManyConstants(t *testing.T) {
	dir := manyConstants(t)
	d := checkOne(t, dir)
	if d.Code != "RPL322" || filepath.Base(d.File) != "k.rpl" || d.Line != 3 || !strings.HasPrefix(d.Message, "this program needs more than 65536 distinct constants") {
		t.Errorf("diagnostic %+v", d)
	}
}

// checkOne runs rplc check --format json on dir, which must fail with
// one diagnostic, and returns it.
func checkOne(t *testing.T, dir string) jsonDiag {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run([]string{"check", "--format", "json", dir}, strings.NewReader(""), &out, &errs); code != exitFail {
		t.Fatalf("check exited %d, want %d; stderr: %s", code, exitFail, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d diagnostics, want 1:\n%.500s", len(lines), out.String())
	}
	var d jsonDiag
	if err := json.Unmarshal([]byte(lines[0]), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTestReportsLimits: rplc test reports what a build would refuse of
// a policy (RPL322) as check does, with or without tests; a policy
// without tests was never compiled, and passed.
func TestTestReportsLimits(t *testing.T) {
	dir := manyConstants(t)
	for _, withTest := range []bool{false, true} {
		if withTest {
			if err := os.WriteFile(filepath.Join(dir, "k_test.rpl"), []byte("package k\n\ntest \"t\" {\n  expect f(\"\") > 0\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var out, errs bytes.Buffer
		if code := run([]string{"test", dir}, strings.NewReader(""), &out, &errs); code != exitFail || !strings.Contains(out.String(), "k.rpl:3:") || !strings.Contains(out.String(), "error[RPL322]: this program needs more than 65536 distinct constants") {
			t.Errorf("with a test %v: exit %d\n%.600s", withTest, code, out.String())
		}
	}
}

// manyConstants is a directory holding k.rpl, whose f (line 3) needs
// 70,000 distinct constants, more than an instruction can name.
func manyConstants(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("package k\n\nfn f(x: string) -> int = len([")
	for i := range 70000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("x + \"s" + strconv.Itoa(i) + "\"")
	}
	b.WriteString("])\n\nfn route(r: Request) -> Decision = deny(string(f(r.id)))\n")
	if err := os.WriteFile(filepath.Join(dir, "k.rpl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
