package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// readJUnit parses the JUnit report at path with encoding/xml, which
// refuses a document that is not well-formed XML 1.0.
func readJUnit(t *testing.T, path string) junitSuites {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var run junitSuites
	if err := xml.Unmarshal(data, &run); err != nil {
		t.Fatalf("%s does not parse: %v\n%s", path, err, data)
	}
	return run
}

// junitTally counts the report's testcases as the text's summary line
// counts tests, and checks each count attribute against its elements.
func junitTally(t *testing.T, run junitSuites) (passed, failed, skipped, policyErrors int) {
	t.Helper()
	var tests, failures, errs, skips int
	for _, s := range run.Suites {
		var sf, se, ss int
		for _, c := range s.Cases {
			switch {
			case c.Name == junitPolicyErrors && c.Error != nil:
				policyErrors++
				se++
			case c.Failure != nil:
				failed++
				sf++
			case c.Error != nil:
				failed++
				se++
			case c.Skipped != nil:
				skipped++
				ss++
			default:
				passed++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != sf || s.Errors != se || s.Skipped != ss {
			t.Errorf("suite %s: tests=%d failures=%d errors=%d skipped=%d, its testcases say %d, %d, %d, %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), sf, se, ss)
		}
		tests += s.Tests
		failures += s.Failures
		errs += s.Errors
		skips += s.Skipped
	}
	if run.Tests != tests || run.Failures != failures || run.Errors != errs || run.Skipped != skips {
		t.Errorf("testsuites: tests=%d failures=%d errors=%d skipped=%d, its suites add up to %d, %d, %d, %d",
			run.Tests, run.Failures, run.Errors, run.Skipped, tests, failures, errs, skips)
	}
	return
}

var summaryLine = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?(?:, (\d+) polic(?:y|ies) with errors)?$`)

// TestJUnitExamples: the report of the example policies parses, and
// counts what the text's summary line counts, a suite per policy.
func TestJUnitExamples(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.xml")
	var stdout, stderr bytes.Buffer
	code := run([]string{"test", "--junit", out, examplesDir}, nil, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("rplc test --junit: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	m := summaryLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no summary line in\n%s", stdout.String())
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	run := readJUnit(t, out)
	p, f, s, e := junitTally(t, run)
	if p != atoi(m[1]) || f != atoi(m[2]) || s != atoi(m[3]) || e != atoi(m[4]) {
		t.Errorf("report: %d passed, %d failed, %d skipped, %d policies with errors; text: %q", p, f, s, e, m[0])
	}
	if p == 0 {
		t.Error("no test passed in the report")
	}
	policies, _ := filepath.Glob(filepath.Join(examplesDir, "*.rpl"))
	tests, _ := filepath.Glob(filepath.Join(examplesDir, "*_test.rpl"))
	if want := len(policies) - len(tests); len(run.Suites) != want {
		t.Errorf("%d suites, want one per policy, %d", len(run.Suites), want)
	}
}

// TestJUnitControlCharacters: a test's name, a skip's reason and a
// compared string may hold characters XML 1.0 cannot (a string literal
// holds any byte): the report still parses, with them written as
// escapes, where encoding/xml alone made each U+FFFD or refused them.
func TestJUnitControlCharacters(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"p.rpl": "package p\n\nfn route(r: Request) -> Decision = to(\"openai:gpt-4o\")\n",
		"p_test.rpl": `package p

import "std/testing"

test "a\x01b\x1b[2J" {
  expect route({}).target == "x\x02\xff"
}

test "bad\xff" {
  testing.skip("later\x00")
}
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "report.xml")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"test", "--junit", out, dir}, nil, &stdout, &stderr); code != exitFail {
		t.Fatalf("rplc test --junit: exit %d, want %d\n%s%s", code, exitFail, stdout.String(), stderr.String())
	}
	rep := readJUnit(t, out)
	if p, f, s, _ := junitTally(t, rep); p != 0 || f != 1 || s != 1 {
		t.Fatalf("%d passed, %d failed, %d skipped, want 0, 1, 1\n%s", p, f, s, stdout.String())
	}
	cases := rep.Suites[0].Cases
	if got, want := cases[0].Name, `a\u0001b\u001B[2J`; got != want {
		t.Errorf("name %q, want %q", got, want)
	}
	if got, want := cases[1].Name, `bad\xff`; got != want {
		t.Errorf("name %q, want %q", got, want)
	}
	if got, want := cases[1].Skipped.Message, `later\u0000`; got != want {
		t.Errorf("skip message %q, want %q", got, want)
	}
	if f := cases[0].Failure; f == nil || !regexp.MustCompile(`expected "x\\x02\\xff"`).MatchString(f.Text) {
		t.Errorf("failure %+v, want the expected value quoted", f)
	}
}

func TestXMLText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          "plain",
		"tab\tand\nline": "tab\tand\nline",
		"é and \uFFFD":   "é and \uFFFD", // a real U+FFFD stays
		"\x00\x1f\x7f":   `\u0000\u001F` + "\x7f",
		"\xff\xfe":       `\xff\xfe`,
		"\uFFFE":         `\uFFFE`,
		"𝄞 \U0010FFFF":   "𝄞 \U0010FFFF",
		"a\x1b[31mred\r": `a\u001B[31mred` + "\r",
	} {
		if got := xmlText(in); got != want {
			t.Errorf("xmlText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzJUnitText: whatever a test's name or message holds, the report
// parses, and reads back as xmlText wrote it; a string XML can hold
// (valid UTF-8, no character outside XML's Char) is kept as it is.
func FuzzJUnitText(f *testing.F) {
	for _, s := range []string{"", "plain", "a\x00b", "\x1b[2J", "\xff", "\uFFFE", "]]>", "<&\"'>", "\r\n\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		run := &junitSuites{}
		run.add(junitSuite{Name: s, Tests: 1, Failures: 1, Cases: []junitCase{{
			Name: s, Classname: s, Time: junitSeconds(0), Failure: junitProblemOf([]string{s, s}, ""),
		}}}, time.Time{})
		data, err := run.marshal()
		if err != nil {
			t.Fatal(err)
		}
		var back junitSuites
		if err := xml.Unmarshal(data, &back); err != nil {
			t.Fatalf("%q: the report does not parse: %v\n%s", s, err, data)
		}
		want := xmlText(s)
		c := back.Suites[0].Cases[0]
		if c.Name != want || c.Classname != want || c.Failure.Message != want {
			t.Errorf("%q read back as %q, %q, %q, want %q", s, c.Name, c.Classname, c.Failure.Message, want)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return xmlText(string(r)) != string(r) }) && want != s {
			t.Errorf("xmlText(%q) = %q, changed a string XML holds", s, want)
		}
	})
}

// TestJUnitTestFileWithoutPolicy: a test file without its policy (RPL215)
// is a suite named by the test file, which exists and holds the error; it
// was named by the policy file missing, where CI linked its testcase.
func TestJUnitTestFileWithoutPolicy(t *testing.T) {
	dir := t.TempDir()
	ghost := filepath.Join(dir, "ghost_test.rpl")
	os.WriteFile(ghost, []byte("package ghost\n\ntest \"t\" {\n  expect 1 == 1\n}\n"), 0o644)
	out := filepath.Join(dir, "report.xml")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"test", "--junit", out, dir}, nil, &stdout, &stderr); code != exitFail {
		t.Fatalf("rplc test --junit: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	report := readJUnit(t, out)
	if len(report.Suites) != 1 || len(report.Suites[0].Cases) != 1 {
		t.Fatalf("want one suite of one testcase: %+v", report)
	}
	s, c := report.Suites[0], report.Suites[0].Cases[0]
	if s.Name != ghost || c.File != ghost || c.Error == nil || !strings.Contains(c.Error.Message, "RPL215") {
		t.Errorf("suite %q, testcase file %q, error %+v: want %s and its RPL215", s.Name, c.File, c.Error, ghost)
	}
	// Its classname is the id its policy would have, not a path.
	if c.Classname != "ghost" {
		t.Errorf("classname %q, want ghost", c.Classname)
	}
}
