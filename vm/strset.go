package vm

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// strSet is an open-addressing hash set of constant strings, built once
// when a program is loaded. Its hash reads at most 24 bytes of a string
// (both ends, and the middle when the ends do not tell the members
// apart) instead of all of them, which makes a lookup a few loads, one
// multiply and one comparison: several times cheaper than a Go map with
// its general-purpose string hash.
//
// A cheap hash could be defeated by members that differ only where it
// does not look, or by a request crafted to probe a long run of
// occupied slots. buildStrSet therefore measures the longest run of
// occupied slots (which bounds every lookup, hit or miss) for a few
// seeds and hash widths, and refuses (returns nil) when none keeps it
// short; the caller then uses a Go map.
type strSet struct {
	slots []strSlot // power-of-two length, at most half full
	seed  uint64
	shift uint8 // 64 - log2(len(slots))
	mid   bool  // the hash also reads the middle of long strings
}

type strSlot struct {
	a, b uint64         // the member's hash words
	p    unsafe.Pointer // its bytes; nil: an empty slot
	n    int
}

// maxStrRun is the longest run of occupied slots a strSet accepts.
const maxStrRun = 8

var strSeeds = [...]uint64{0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9, 0x94d049bb133111eb, 0xd6e8feb86659fd93}

func load64(p unsafe.Pointer) uint64 { return binary.LittleEndian.Uint64(unsafe.Slice((*byte)(p), 8)) }
func load32(p unsafe.Pointer) uint64 {
	return uint64(binary.LittleEndian.Uint32(unsafe.Slice((*byte)(p), 4)))
}

// words returns the hash words of the n bytes at p: for n <= 16 they
// and n determine the bytes, so a lookup compares them instead of the
// strings.
func (s *strSet) words(p unsafe.Pointer, n int) (a, b uint64) {
	switch {
	case n >= 8:
		a, b = load64(p), load64(unsafe.Add(p, n-8))
		if s.mid && n > 16 {
			a ^= bits.RotateLeft64(load64(unsafe.Add(p, n/2-4)), 31)
		}
	case n >= 4:
		a, b = load32(p), load32(unsafe.Add(p, n-4))
	case n > 0:
		a = uint64(*(*byte)(p)) | uint64(*(*byte)(unsafe.Add(p, n/2)))<<8 | uint64(*(*byte)(unsafe.Add(p, n-1)))<<16
	}
	return a, b
}

// home returns the first slot to probe for the words a, b of an n-byte
// string.
func (s *strSet) home(a, b uint64, n int) uint64 {
	return (a + bits.RotateLeft64(b, 29) + uint64(n)) * s.seed >> s.shift
}

// has reports whether str is a member.
func (s *strSet) has(str string) bool {
	p, n := unsafe.Pointer(unsafe.StringData(str)), len(str)
	var a, b uint64
	if n >= 8 && n <= 16 { // the common case, inline
		a, b = load64(p), load64(unsafe.Add(p, n-8))
	} else {
		a, b = s.words(p, n)
	}
	mask := uint64(len(s.slots) - 1)
	for i := s.home(a, b, n); ; i = (i + 1) & mask {
		e := &s.slots[i]
		if e.p == nil {
			return false
		}
		if e.a == a && e.b == b && e.n == n && (n <= 16 || unsafe.String((*byte)(e.p), n) == str) {
			return true
		}
	}
}

// buildStrSet returns a set of the distinct strings of elems, or nil when
// no seed keeps lookups short (see strSet).
func buildStrSet(elems []string) *strSet {
	s, _ := buildStrSetProbes(elems)
	return s
}

// buildStrSetProbes is buildStrSet, and also returns the number of slots
// its inserts probed. An attempt (a seed and hash width) is abandoned as
// soon as one insert finds maxStrRun occupied slots from its home, a run
// the set would refuse anyway: each insert probes at most maxStrRun
// slots, so building costs O(len(elems)) for any strings, however badly
// the cheap hash spreads them (strings equal but in the bytes it does not
// read would otherwise all probe one growing run: quadratic).
func buildStrSetProbes(elems []string) (*strSet, int) {
	seen := make(map[string]struct{}, len(elems))
	uniq := make([]string, 0, len(elems)) // in the order of elems: a deterministic build
	for _, e := range elems {
		if _, ok := seen[e]; !ok {
			seen[e] = struct{}{}
			uniq = append(uniq, e)
		}
	}
	size := 8
	for size < 2*len(uniq) {
		size *= 2
	}
	probes := 0
	slots := make([]strSlot, size) // reused by each attempt
	for _, mid := range []bool{false, true} {
	seeds:
		for _, seed := range strSeeds {
			clear(slots)
			s := &strSet{slots: slots, seed: seed, shift: uint8(64 - bits.TrailingZeros(uint(size))), mid: mid}
			for _, e := range uniq {
				n, ok := s.insert(e)
				probes += n
				if !ok {
					continue seeds
				}
			}
			// Short probes may still have joined into a long run.
			if s.longestRun() <= maxStrRun {
				return s, probes
			}
		}
	}
	return nil, probes
}

// insert adds str, unless the maxStrRun slots from its home are all
// occupied (str would make a run longer than maxStrRun). It returns the
// number of slots it probed, at most maxStrRun, and whether it added str.
func (s *strSet) insert(str string) (probes int, ok bool) {
	// An empty string has a nil data pointer; point it at a byte so that
	// its slot reads as occupied. Lookups of "" compare lengths only.
	p := unsafe.Pointer(unsafe.StringData(str))
	if p == nil {
		p = unsafe.Pointer(&emptyByte)
	}
	a, b := s.words(p, len(str))
	mask := uint64(len(s.slots) - 1)
	i := s.home(a, b, len(str))
	for probes = 1; s.slots[i].p != nil; probes++ {
		if probes == maxStrRun {
			return probes, false
		}
		i = (i + 1) & mask
	}
	s.slots[i] = strSlot{a: a, b: b, p: p, n: len(str)}
	return probes, true
}

var emptyByte byte

// longestRun returns the longest run of occupied slots, wrapping around.
func (s *strSet) longestRun() int {
	longest, run := 0, 0
	for i := range 2 * len(s.slots) {
		if s.slots[i&(len(s.slots)-1)].p != nil {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return min(longest, len(s.slots))
}
