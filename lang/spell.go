package lang

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// suggest returns " (did you mean X?)" for the candidate closest to name,
// or "" when none is close. prefix is prepended to the suggestion.
func suggest(name string, candidates []string, prefix string) string {
	if best := Nearest(name, candidates); best != "" {
		return " (did you mean " + prefix + best + "?)"
	}
	return ""
}

// errSuggest reports an error at n whose message ends with a "did you
// mean" suggestion when a candidate is close to name; the suggestion also
// becomes a Fix that replaces n, for editors' quick fixes.
func (c *checker) errSuggest(n Node, code Code, name string, cands []string, format string, args ...any) *Diagnostic {
	return c.errBest(n, code, name, Nearest(name, cands), format, args...)
}

// errBest is errSuggest with the suggestion, best, already chosen ("" for
// none).
func (c *checker) errBest(n Node, code Code, name, best string, format string, args ...any) *Diagnostic {
	d := c.errAt(n, code, format, args...)
	if best != "" {
		d.Message += " (did you mean " + best + "?)"
		d.Fixes = append(d.Fixes, Fix{Title: "change " + name + " to " + best, Span: n.Span(), NewText: best})
	}
	return d
}

// Nearest returns the candidate closest to name by edit distance, if it is
// close enough to be a plausible typo, else "". A candidate whose length
// alone puts it too far is passed by without computing the distance, so
// that a name of a megabyte (a client's unknown field) costs time in
// proportion to its length, not to its length times the candidates'.
func Nearest(name string, candidates []string) string {
	best, bestD := "", 1+len(name)/3
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	lower := strings.ToLower(name)
	runes := utf8.RuneCountInString(lower)
	for _, c := range sorted {
		if c == name || c == "" || c == "_" {
			continue
		}
		lc := strings.ToLower(c)
		if diff := runes - utf8.RuneCountInString(lc); diff >= bestD || -diff >= bestD {
			continue // the distance is at least the difference in length
		}
		d := editDistance(lower, lc)
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// nearestField is Nearest for a field name, or else the one candidate
// that name, of two characters or more, begins: a name half typed
// (r.task.ty, type being two edits away, which is too far for a name of
// two). A prefix of two candidates or more suggests neither.
func nearestField(name string, candidates []string) string {
	if best := Nearest(name, candidates); best != "" || utf8.RuneCountInString(name) < 2 {
		return best
	}
	lower, best := strings.ToLower(name), ""
	for _, c := range candidates {
		if c == name || c == best || !strings.HasPrefix(strings.ToLower(c), lower) {
			continue
		}
		if best != "" {
			return ""
		}
		best = c
	}
	return best
}

// editDistance is the Damerau-Levenshtein (optimal string alignment) distance.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
