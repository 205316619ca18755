package vm

import (
	"strings"
	"sync/atomic"
	"unsafe"
)

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
	if FinderBytes(pat, s) != 0 {
		f.fail = failTable(pat)
	}
	return f
}

// failTable is the Knuth–Morris–Pratt failure function of pat.
func failTable(pat string) []int32 {
	fail := make([]int32, len(pat))
	k := int32(0)
	for i := 1; i < len(pat); i++ {
		for k > 0 && pat[i] != pat[k] {
			k = fail[k-1]
		}
		if pat[i] == pat[k] {
			k++
		}
		fail[i] = k
	}
	return fail
}

// strKey names a string by its bytes' address and length: two strings of
// one key hold the same bytes.
type strKey struct {
	p *byte
	n int
}

// patternTables holds, for each string of more than longPattern bytes
// in a program's constants (an element of a constant list, map or record
// too), the table of a search for it, built the first time a run needs
// it and then shared by every run of the program, on any goroutine: the
// map is made with the program and only read, and a table, once stored,
// never changes. The strings taken, in the constants' order, hold
// maxSharedPatterns bytes in all at most, their tables 4 times that: a
// search for another (a 60 MB constant in a bundle, whose table of 240
// MB would be kept for the program's life, charged to no run) builds its
// table and charges it to the run at each search, as for any pattern.
type patternTables map[strKey]*atomic.Pointer[[]int32]

// maxSharedPatterns bounds the bytes of the constants a program keeps
// search tables for.
const maxSharedPatterns = 4 << 20

// patternCollector makes a program's patternTables of its constants'
// strings, told to add in the constants' order (checkConst).
type patternCollector struct {
	t    patternTables
	kept int
}

func (c *patternCollector) add(v Value) {
	key := strKey{(*byte)(v.p), int(v.n)}
	if v.n > longPattern && c.kept+key.n <= maxSharedPatterns && c.t[key] == nil {
		if c.t == nil {
			c.t = make(patternTables)
		}
		c.t[key] = new(atomic.Pointer[[]int32])
		c.kept += key.n
	}
}

// table returns the table of a search for pat if pat is one of the
// program's constants it keeps a table for (the same bytes, not a copy
// of them), building it the first time; nil if it is not.
func (t patternTables) table(pat string) []int32 {
	slot := t[strKey{unsafe.StringData(pat), len(pat)}]
	if slot == nil {
		return nil
	}
	if f := slot.Load(); f != nil {
		return *f
	}
	f := failTable(pat)
	if !slot.CompareAndSwap(nil, &f) {
		return *slot.Load() // another run's, the same
	}
	return f
}

// finder is NewFinder(pat, s) for a search of the run. The table of a
// pattern that is one of the program's constants (contains(s, "…") and
// "…" in s) is the program's, built once and charged to no run, as the
// constant itself is not; that of any other pattern of more than
// longPattern bytes is built for this search, and accounted to the run's
// memory first (FinderBytes). Charging a constant's at each search made a
// loop over contains(x, LONG_CONSTANT) run out of memory.
func (m *Machine) finder(pat, s string) (Finder, error) {
	n := FinderBytes(pat, s)
	if n == 0 {
		return Finder{pat: pat}, nil
	}
	if m.prog != nil {
		if fail := m.prog.patterns.table(pat); fail != nil {
			return Finder{pat: pat, fail: fail}, nil
		}
	}
	if err := m.alloc(n); err != nil {
		return Finder{}, err
	}
	return NewFinder(pat, s), nil
}

// FinderBytes is the memory NewFinder(pat, s) allocates: the table of a
// pattern of more than longPattern bytes it looks for, 4 bytes a byte of
// pat; 0 when it makes none. The run accounts it before the search
// (Call.Finder, and the interpreter's) unless pat is one of the program's
// constants: a search for an 8 MB pattern made a table of 32 MB that no
// memory limit counted, and one for a pattern of 1 GiB one of 4 GiB, past
// MaxAlloc.
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

// SearchBlock is the bytes of CheckEvery fuel of a search (1 per 16), which
// a search of a long string reads between two checks of the deadline and
// the context (Finder.IndexBlocks).
const SearchBlock = CheckEvery << 4

// IndexBlocks is f.Index(s), s read a block at a time, pace told after
// each block the bytes it read (up to the end of the occurrence found, in
// the last): pace checks the deadline and the context (a builtin's
// Call.PaceBy, the interpreter's check), and its error ends the search. A
// block overlaps the next by len(pat)-1 bytes, so that an occurrence
// across their boundary is found, and is at least SearchBlock and twice
// as long as the pattern, so that the overlaps read at most half as much
// again.
func (f Finder) IndexBlocks(s string, pace func(read int) error) (int, error) {
	w := max(SearchBlock, 2*len(f.pat))
	for from := 0; ; from += w {
		end := min(from+w+len(f.pat)-1, len(s))
		i := f.Index(s[from:end])
		read := end - from
		if i >= 0 {
			read = i + len(f.pat)
		}
		if err := pace(read); err != nil {
			return -1, err
		}
		if i >= 0 {
			return from + i, nil
		}
		if end == len(s) {
			return -1, nil
		}
	}
}

// index is f.Index(s) for the interpreter's searches (IN_STR, and
// STR_TEST_CONST's and JMP_UNLESS_STR_CONST's contains), which charge the
// whole search at once: a string longer than SearchBlock is searched a
// block at a time (IndexBlocks), the deadline and the context checked
// after each, as every CheckEvery fuel of other work. It searched the
// whole string at once: a 15 MB string for a 101-byte pattern took 40
// ms, after one check.
func (m *Machine) index(f Finder, s string) (int, error) {
	if len(s) <= SearchBlock {
		return f.Index(s), nil
	}
	return f.IndexBlocks(s, func(int) error { return m.interrupted() })
}

// Contains is strings.Contains(s, sub), in time linear in len(s).
func Contains(s, sub string) bool { return NewFinder(sub, s).Index(s) >= 0 }
