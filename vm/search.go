package vm

import "strings"

// Substring search (the in operator, contains, replace, split) takes
// time linear in the bytes it scans, as its fuel is: strings.Index is used for patterns of
// at most longPattern bytes only. For a longer one it compares the
// pattern at every candidate position, and its worst case is about
// len(s)·len(pattern)/16 byte comparisons: contains of a 1 MB periodic
// string and a 512 KB pattern that almost occurs in it ran 250 ms on
// 98k fuel (and 4 s for 4 MB and 2 MB). A longer pattern is searched
// with Knuth–Morris–Pratt, which reads each byte of s at most twice.
const longPattern = 64

// Finder finds a pattern, the empty one too, in time linear in the
// bytes it reads.
type Finder struct {
	pat  string
	fail []int32 // KMP failure function when longPattern < len(pat) ≤ len(s), else nil
}

// NewFinder is a Finder of pat in s (or in parts of it): a pat longer
// than s is not looked for (strings.Index answers at once), and its
// table, built in time linear in pat, is not built: the callers charge
// the bytes of s.
func NewFinder(pat, s string) Finder {
	f := Finder{pat: pat}
	if len(pat) <= longPattern || len(pat) > len(s) {
		return f
	}
	f.fail = make([]int32, len(pat))
	k := int32(0)
	for i := 1; i < len(pat); i++ {
		for k > 0 && pat[i] != pat[k] {
			k = f.fail[k-1]
		}
		if pat[i] == pat[k] {
			k++
		}
		f.fail[i] = k
	}
	return f
}

// FinderBytes is the memory NewFinder(pat, s) allocates: the table of a
// pattern of more than longPattern bytes it looks for, 4 bytes a byte of
// pat; 0 when it makes none. The run accounts it before the search (the
// interpreter's alloc, a builtin's Call.Alloc): a search for an 8 MB
// pattern made a table of 32 MB that no memory limit counted, and one
// for a pattern of 1 GiB one of 4 GiB, past MaxAlloc.
func FinderBytes(pat, s string) int64 {
	if len(pat) <= longPattern || len(pat) > len(s) {
		return 0
	}
	return 4 * int64(len(pat))
}

// Index is strings.Index(s, pat).
func (f Finder) Index(s string) int {
	if f.fail == nil {
		return strings.Index(s, f.pat)
	}
	p, k := f.pat, int32(0)
	for i := 0; i < len(s); i++ {
		if k == 0 { // skip to the next candidate
			j := strings.IndexByte(s[i:], p[0])
			if j < 0 {
				return -1
			}
			i += j
		}
		for k > 0 && s[i] != p[k] {
			k = f.fail[k-1]
		}
		if s[i] == p[k] {
			if k++; int(k) == len(p) {
				return i + 1 - len(p)
			}
		}
	}
	return -1
}

// Count is strings.Count(s, pat).
func (f Finder) Count(s string) int {
	if f.fail == nil {
		return strings.Count(s, f.pat)
	}
	n := 0
	for {
		i := f.Index(s)
		if i < 0 {
			return n
		}
		n++
		s = s[i+len(f.pat):]
	}
}

// ReplaceAll is strings.ReplaceAll(s, pat, repl); size is the result's
// length, which the caller has counted (Count) to charge it.
func (f Finder) ReplaceAll(s, repl string, size int) string {
	if f.fail == nil {
		return strings.ReplaceAll(s, f.pat, repl)
	}
	var b strings.Builder
	b.Grow(size)
	for {
		i := f.Index(s)
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s = s[i+len(f.pat):]
	}
	b.WriteString(s)
	return b.String()
}

// Contains is strings.Contains(s, sub), in time linear in len(s).
func Contains(s, sub string) bool { return NewFinder(sub, s).Index(s) >= 0 }
