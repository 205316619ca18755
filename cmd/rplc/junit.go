package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/policytest"
	"github.com/rpl-lang/rpl/vm"
)

// The JUnit XML report of a test run (rplc test --junit), as CI systems
// read it (GitLab's junit report, Jenkins, GitHub's test reporters) and
// go-junit-report and gotestsum write it: a testsuite per policy, as the
// text report groups its results, a testcase per test.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
		seconds  time.Duration
	}
	junitSuite struct {
		Name      string      `xml:"name,attr"`
		Tests     int         `xml:"tests,attr"`
		Failures  int         `xml:"failures,attr"`
		Errors    int         `xml:"errors,attr"`
		Skipped   int         `xml:"skipped,attr"`
		Time      string      `xml:"time,attr"`
		Timestamp string      `xml:"timestamp,attr"`
		Cases     []junitCase `xml:"testcase"`
		seconds   time.Duration
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		File      string        `xml:"file,attr,omitempty"`
		Line      int           `xml:"line,attr,omitempty"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
	}
	// junitProblem is a failure (failed expectations) or an error (a
	// test ended at run time, a policy or file with errors): the first
	// line as its message, every line in its text.
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr,omitempty"`
	}
)

// junitPolicyErrors is the name of the testcase that stands for the tests
// of a policy with errors, which did not run: a suite of no testcase
// reads as a pass.
const junitPolicyErrors = "(policy with errors)"

// junitReport builds the report of results, the diagnostics of the trees'
// tenants.json and catalogue.json (data) and of the paths (paths: a
// directory holding no .rpl file, RPL218), each file with errors a suite
// of one testcase in error. start is when the run began, each suite's
// timestamp.
func junitReport(results []*policytest.Result, data, paths lang.DiagList, names *pathNamer, start time.Time) *junitSuites {
	run := &junitSuites{Time: junitSeconds(0)}
	for _, ds := range [...]lang.DiagList{paths, data} {
		for _, s := range junitDiagSuites(ds) {
			run.add(s, start)
		}
	}
	ro := policytest.ReportOptions{Name: names.name, NoCover: true}
	for _, r := range results {
		name := names.name(r.Policy)
		class := r.ID
		if class == "" {
			// No policy read (a test file without its policy): the id its
			// file would declare, not a path (classname="orphan/ghost").
			class = strings.TrimSuffix(filepath.Base(r.Policy), ".rpl")
		}
		if f := presentFile(r); f != "" {
			name = names.name(f)
		}
		s := junitSuite{Name: name}
		if r.Err != nil || r.Diags.HasErrors() {
			var lines []string
			if r.Err != nil {
				lines = append(lines, fmt.Sprintf("%s: %v", name, r.Err))
			}
			for _, d := range r.Diags {
				lines = append(lines, names.display(d).Error())
			}
			s.Tests, s.Errors = 1, 1
			s.Cases = append(s.Cases, junitCase{Name: junitPolicyErrors, Classname: class, File: name, Time: junitSeconds(0),
				Error: junitProblemOf(lines, "")})
		}
		for _, t := range r.Tests {
			c := junitCase{Name: t.Name, Classname: class, File: names.name(t.File), Line: t.Line, Time: junitSeconds(t.Duration)}
			if t.Name == "" {
				c.Name = vm.TestLabel("", c.File, t.Line)
			}
			s.Tests++
			s.seconds += t.Duration
			switch t.Status {
			case policytest.Fail:
				// The lines the text report prints for this test, the
				// stack of an error at run time among them.
				var b bytes.Buffer
				policytest.WriteResult(&b, &policytest.Result{Policy: r.Policy, Tests: []policytest.Test{t}}, ro)
				lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
				if t.Reason != "" {
					lines = append(lines, "then skipped: "+policytest.Printable(t.Reason))
				}
				// An error at run time (fuel, memory, a runtime error),
				// failed expectations before it or not, is an error;
				// failed expectations alone, a failure.
				code := ""
				for _, f := range t.Failures {
					if f.Code != vm.CodeAssertionFailed {
						code = string(f.Code)
						break
					}
				}
				if code != "" {
					c.Error = junitProblemOf(lines, code)
					s.Errors++
				} else {
					c.Failure = junitProblemOf(lines, string(vm.CodeAssertionFailed))
					s.Failures++
				}
			case policytest.Skip:
				c.Skipped = &junitSkipped{Message: t.Reason}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		run.add(s, start)
	}
	return run
}

// add adds suite s, run at start, counting its tests.
func (run *junitSuites) add(s junitSuite, start time.Time) {
	s.Timestamp = start.UTC().Format(time.RFC3339)
	s.Time = junitSeconds(s.seconds)
	run.Tests += s.Tests
	run.Failures += s.Failures
	run.Errors += s.Errors
	run.Skipped += s.Skipped
	run.seconds += s.seconds
	run.Time = junitSeconds(run.seconds)
	run.Suites = append(run.Suites, s)
}

// presentFile is the file that r's suite is named by instead of its
// policy, when the policy file does not exist: the file of its first
// error (a test file without its policy, RPL215, is named by the test
// file, where the error is; CI links a testcase to its file). Empty
// otherwise.
func presentFile(r *policytest.Result) string {
	if _, err := os.Stat(r.Policy); err == nil {
		return ""
	}
	for _, d := range r.Diags {
		if d.Severity == lang.SevError && d.File != nil {
			return d.File.Name
		}
	}
	return ""
}

// junitDiagSuites is a suite for each file of ds that has errors, of one
// testcase in error carrying its diagnostics (its warnings too).
func junitDiagSuites(ds lang.DiagList) []junitSuite {
	var files []string
	byFile := map[string][]string{}
	bad := map[string]bool{}
	for _, d := range ds {
		f := d.Position().Filename
		if d.File != nil {
			f = d.File.Name
		}
		if _, ok := byFile[f]; !ok {
			files = append(files, f)
		}
		byFile[f] = append(byFile[f], d.Error())
		bad[f] = bad[f] || d.Severity == lang.SevError
	}
	var out []junitSuite
	for _, f := range files {
		if bad[f] {
			out = append(out, junitErrorSuite(f, byFile[f]))
		}
	}
	return out
}

// junitErrorSuite is the suite of name, of one testcase in error with
// these lines: a file with errors, a run that found no test to run.
func junitErrorSuite(name string, lines []string) junitSuite {
	return junitSuite{Name: name, Tests: 1, Errors: 1, Cases: []junitCase{{
		Name: name, Classname: name, File: name, Time: junitSeconds(0), Error: junitProblemOf(lines, ""),
	}}}
}

// junitProblemOf is a failure or an error of these lines: the first is
// its message.
func junitProblemOf(lines []string, typ string) *junitProblem {
	p := &junitProblem{Type: typ, Text: strings.Join(lines, "\n")}
	if len(lines) > 0 {
		p.Message = lines[0]
	}
	return p
}

// junitSeconds is d in seconds with 3 decimals, as JUnit's time is.
func junitSeconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}

// xmlText is s with what XML 1.0 cannot hold written as Go's escapes: a
// character outside its Char production (most C0 controls, U+FFFE,
// U+FFFF, surrogates) as \uXXXX, and a byte that is not UTF-8 as \xNN,
// which encoding/xml would each have made U+FFFD, or a test's name
// ("a\x00b", "\x1b[2J", a string literal) made a report that no parser
// reads.
func xmlText(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	}
	clean := true
	for i, r := range s {
		if !ok(r) || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !ok(r):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// clean makes every string of the report one XML holds (xmlText).
func (run *junitSuites) clean() {
	for i := range run.Suites {
		s := &run.Suites[i]
		s.Name = xmlText(s.Name)
		for j := range s.Cases {
			c := &s.Cases[j]
			c.Name, c.Classname, c.File = xmlText(c.Name), xmlText(c.Classname), xmlText(c.File)
			for _, p := range []*junitProblem{c.Failure, c.Error} {
				if p != nil {
					p.Message, p.Text = xmlText(p.Message), xmlText(p.Text)
				}
			}
			if c.Skipped != nil {
				c.Skipped.Message = xmlText(c.Skipped.Message)
			}
		}
	}
}

// marshal is the report as an XML document.
func (run *junitSuites) marshal() ([]byte, error) {
	run.clean()
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(run); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// writeJUnit writes the report to path whole (writeOutput).
func writeJUnit(path string, run *junitSuites) error {
	data, err := run.marshal()
	if err != nil {
		return err
	}
	return writeOutput(path, data)
}
