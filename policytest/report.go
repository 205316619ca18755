package policytest

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/vm"
)

// ReportOptions tune the text report.
type ReportOptions struct {
	Verbose bool                     // list every test, and with coverage every outcome never taken
	Name    func(path string) string // display name of a file; nil keeps paths
	// NoCover leaves coverage out of the report, of results that have it
	// too (measured for a cover profile only).
	NoCover bool
}

func (o ReportOptions) name(p string) string {
	if o.Name == nil || p == "" {
		return p
	}
	return o.Name(p)
}

func (o ReportOptions) pos(f vm.Frame) string {
	f.File = o.name(f.File)
	return f.Pos()
}

// Printable is s as a report line shows it: as it is, or quoted (Go
// syntax) when it holds a character that is not printable, a line end
// or a terminal's escape, which would break the line or reach the
// terminal (a test name is any string literal: "a\nb", "\x1b[2J", and
// so are a skip's reason and an expect's message). A build's report of
// failed tests shows an expect's message with it, as rplc test does.
func Printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// listName is how the verbose list names test t: its name (Printable),
// or for the empty name where it is declared (vm.TestLabel).
func (o ReportOptions) listName(t Test) string {
	if t.Name == "" {
		return vm.TestLabel("", o.name(t.File), t.Line)
	}
	return Printable(t.Name)
}

// WriteResult writes one policy's test results like go test: a line per
// failure, `file:line:col: test "name" failed: message`, followed for
// errors other than failed expectations by the policy call stack; with
// Verbose, `--- PASS: name (time)` for every test, and a header naming the
// policy. It does not print check diagnostics (Result.Diags).
func WriteResult(w io.Writer, r *Result, o ReportOptions) {
	if r.Err != nil { // a limit of the machine is a diagnostic (RPL322), in Diags
		fmt.Fprintf(w, "%s: %v\n", o.name(r.Policy), r.Err)
	}
	if o.Verbose && (len(r.Tests) > 0 || r.NoTests) {
		fmt.Fprintf(w, "=== %s\n", o.name(r.Policy))
		if len(r.Tests) == 0 {
			fmt.Fprintln(w, "    no tests") // go test's [no test files]
		}
	}
	for _, t := range r.Tests {
		indent := ""
		if o.Verbose {
			fmt.Fprintf(w, "--- %s: %s (%s)\n", t.Status, o.listName(t), duration(t.Duration))
			indent = "    "
		}
		switch t.Status {
		case Fail:
			for _, f := range t.Failures {
				fmt.Fprintf(w, "%s%s: %s failed: %s%s\n", indent, o.pos(f.Pos), vm.TestLabel(t.Name, o.name(t.File), t.Line), Printable(f.Message), vm.CodeSuffix(f.Code))
				vm.WriteStack(w, indent+"    ", f.Stack, o.Name)
			}
			// Beside its failures, which are printed verbose or not, as
			// testing.skip's doc says: it was printed verbose only.
			if t.Reason != "" {
				fmt.Fprintf(w, "%sthen skipped: %s\n", indent, Printable(t.Reason))
			}
		case Skip:
			// Without a reason, the SKIP line alone, as the JSON has no
			// reason then: "skipped: " said nothing, with a space after.
			if o.Verbose && t.Reason != "" {
				fmt.Fprintf(w, "%sskipped: %s\n", indent, Printable(t.Reason))
			}
		}
	}
	if c := r.Coverage; c != nil && !o.NoCover && (c.Stmts > 0 || c.Outcomes > 0) {
		fmt.Fprintf(w, "coverage: %s: %s\n", o.name(r.Policy), coverLine(c.StmtsCovered, c.Stmts, c.OutcomesCovered, c.Outcomes))
		if o.Verbose {
			for _, k := range c.Uncovered() {
				fmt.Fprintf(w, "    not taken: %s: %s\n", o.pos(vm.Frame{File: k.File, Line: k.Line, Col: k.Col}), describeOutcome(c, k))
			}
		}
	}
}

func describeOutcome(c *Coverage, k compiler.Counter) string {
	if k.Branch >= 0 && k.Branch < len(c.Branches) {
		b := c.Branches[k.Branch]
		return fmt.Sprintf("%s of %s %s", k.Outcome, b.Kind, short(b.Text))
	}
	return k.Outcome
}

// coverLine is the coverage of stmts statements and outcomes branch
// outcomes, of which stmtsCovered and outcomesCovered ran: "no branches"
// for none (as go test says "[no statements]"), where "100.0% of
// branches (0/0)" claimed a coverage there was nothing to measure.
func coverLine(stmtsCovered, stmts, outcomesCovered, outcomes int) string {
	s, b := "no statements", "no branches"
	if stmts > 0 {
		s = fmt.Sprintf("%.1f%% of statements (%d/%d)", percent(stmtsCovered, stmts), stmtsCovered, stmts)
	}
	if outcomes > 0 {
		b = fmt.Sprintf("%.1f%% of branches (%d/%d)", percent(outcomesCovered, outcomes), outcomesCovered, outcomes)
	}
	return s + ", " + b
}

// WriteSummary writes the closing lines of a run: the coverage total
// (with coverage of several policies, unless o.NoCover) and SummaryLine.
func WriteSummary(w io.Writer, results []*Result, o ReportOptions) {
	if t, n := Total(results); n > 1 && !o.NoCover {
		fmt.Fprintf(w, "coverage: total: %s\n", coverLine(t.StmtsCovered, t.Stmts, t.OutcomesCovered, t.Outcomes))
	}
	fmt.Fprintln(w, SummaryLine(results))
}

// SummaryLine is `N passed, N failed`, with `, N skipped` when any,
// `, N policies with errors` when some policies did not run their tests
// (PoliciesWithErrors): "0 passed, 0 failed" alone would read as a pass;
// and `, N policies without tests` when some declare none
// (Result.NoTests): a test file forgotten, which "1 passed" alone did not
// tell.
func SummaryLine(results []*Result) string {
	p, f, s := Totals(results)
	line := fmt.Sprintf("%d passed, %d failed", p, f)
	if s > 0 {
		line += fmt.Sprintf(", %d skipped", s)
	}
	switch n := PoliciesWithErrors(results); n {
	case 0:
	case 1:
		line += ", 1 policy with errors"
	default:
		line += fmt.Sprintf(", %d policies with errors", n)
	}
	n := 0
	for _, r := range results {
		if r.NoTests {
			n++
		}
	}
	switch n {
	case 0:
	case 1:
		line += ", 1 policy without tests"
	default:
		line += fmt.Sprintf(", %d policies without tests", n)
	}
	return line
}

func duration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func short(s string) string {
	return textcut.Cut(strings.Join(strings.Fields(s), " "), 60)
}
