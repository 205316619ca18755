package policytest

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
)

// Coverage is the coverage of one policy by its tests, over the policy's
// own source files.
type Coverage struct {
	Policy   string
	Counters []compiler.Counter // the policy's counters, statements and outcomes (Branch indexes Branches)
	Counts   []uint64           // Counts[i] is how often Counters[i] ran
	Branches []BranchCoverage

	Stmts, StmtsCovered       int
	Outcomes, OutcomesCovered int
}

// BranchCoverage is one branch point and how often each outcome ran.
type BranchCoverage struct {
	compiler.Branch
	Outcomes []string
	Counts   []uint64
}

// StmtPercent is the share of statements covered, 0–100 (100 without
// statements).
func (c *Coverage) StmtPercent() float64 { return percent(c.StmtsCovered, c.Stmts) }

// BranchPercent is the share of branch outcomes taken, 0–100 (100 without
// branches).
func (c *Coverage) BranchPercent() float64 { return percent(c.OutcomesCovered, c.Outcomes) }

func percent(n, total int) float64 {
	if total == 0 {
		return 100
	}
	return 100 * float64(n) / float64(total)
}

// Uncovered returns the branch outcomes never taken, in source order.
func (c *Coverage) Uncovered() []compiler.Counter {
	var out []compiler.Counter
	for i, k := range c.Counters {
		if k.Kind == compiler.CountBranch && c.Counts[i] == 0 {
			out = append(out, k)
		}
	}
	// Counters are in the order functions compiled, route's callees after it.
	slices.SortStableFunc(out, func(a, b compiler.Counter) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return out
}

// ownCode reports whether code of function fn in file is the policy's
// own: in one of its files (own), and not in a test block, which may be
// declared in the policy file itself.
func ownCode(own map[string]bool, file, fn string) bool {
	return own[file] && !strings.HasPrefix(fn, compiler.TestPrefix)
}

func newCoverage(policy string, main *lang.Package, out *compiler.Output, counts []uint64) *Coverage {
	own := map[string]bool{}
	for _, f := range main.Files {
		if !lang.IsTestFile(f.File.Name) {
			own[f.File.Name] = true
		}
	}
	c := &Coverage{Policy: policy}
	branch := map[int]int{} // branch index in out → in c.Branches
	for i, b := range out.Branches {
		if !ownCode(own, b.File, b.Func) {
			continue
		}
		branch[i] = len(c.Branches)
		bc := BranchCoverage{Branch: b}
		for _, k := range b.Outcomes {
			bc.Outcomes = append(bc.Outcomes, out.Counters[k].Outcome)
			bc.Counts = append(bc.Counts, counts[k])
		}
		c.Branches = append(c.Branches, bc)
	}
	for i, k := range out.Counters {
		if !ownCode(own, k.File, k.Func) {
			continue
		}
		if k.Branch >= 0 {
			k.Branch = branch[k.Branch]
		}
		c.Counters = append(c.Counters, k)
		c.Counts = append(c.Counts, counts[i])
		switch k.Kind {
		case compiler.CountStmt:
			c.Stmts++
			if counts[i] > 0 {
				c.StmtsCovered++
			}
		case compiler.CountBranch:
			c.Outcomes++
			if counts[i] > 0 {
				c.OutcomesCovered++
			}
		}
	}
	return c
}

// Total is the coverage of the policies of results together (its counts,
// for StmtPercent and BranchPercent), and how many had a coverage.
func Total(results []*Result) (total Coverage, n int) {
	for _, r := range results {
		if c := r.Coverage; c != nil {
			total.Stmts += c.Stmts
			total.StmtsCovered += c.StmtsCovered
			total.Outcomes += c.Outcomes
			total.OutcomesCovered += c.OutcomesCovered
			n++
		}
	}
	return total, n
}

// ProfileMode is the mode of a cover profile: "set" (covered or not) or
// "count" (how often).
type ProfileMode string

// Profile modes.
const (
	ModeSet   ProfileMode = "set"
	ModeCount ProfileMode = "count"
)

// WriteProfile writes the statement coverage of covs in Go's cover profile
// format:
//
//	mode: set
//	./policies/acme.rpl:12.3,12.40 1 1
//
// one line per statement (file:startLine.startCol,endLine.endCol
// numStatements count), sorted by file and position. File names are
// relative to dir with a leading "./" when they lie below it, absolute
// otherwise, as `go tool cover` expects of files outside Go packages. A
// statement counted by several policies (a shared file) adds up.
func WriteProfile(w io.Writer, mode ProfileMode, dir string, covs []*Coverage) error {
	type key struct {
		file                       string
		line, col, endLine, endCol int
	}
	counts := map[key]uint64{}
	for _, c := range covs {
		for i, k := range c.Counters {
			if k.Kind != compiler.CountStmt {
				continue
			}
			counts[key{k.File, k.Line, k.Col, k.EndLine, k.EndCol}] += c.Counts[i]
		}
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(strings.Compare(a.file, b.file), cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col),
			cmp.Compare(a.endLine, b.endLine), cmp.Compare(a.endCol, b.endCol))
	})
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "mode: %s\n", mode)
	for _, k := range keys {
		n := counts[k]
		if mode == ModeSet && n > 0 {
			n = 1
		}
		fmt.Fprintf(bw, "%s:%d.%d,%d.%d 1 %d\n", profileName(dir, k.file), k.line, k.col, k.endLine, k.endCol, n)
	}
	return bw.Flush()
}

func profileName(dir, file string) string {
	if dir == "" {
		return file
	}
	rel, err := filepath.Rel(dir, file)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(file)
	}
	return "./" + filepath.ToSlash(rel)
}
