package vm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// strSetProbeBound is the most slots buildStrSet may probe for n distinct
// strings: each of its attempts (seeds × hash widths) inserts each string
// once, probing at most maxStrRun slots.
func strSetProbeBound(n int) int { return 2 * len(strSeeds) * maxStrRun * n }

// Sets the cheap hash cannot spread (members equal but where it does not
// read, or only in the middle, or with long common ends) build in a
// number of probes linear in their size. Before an insert gave up after
// maxStrRun probes, each attempt probed the one growing run of colliding
// members: "blind" (300,000 members, 8 attempts) took some 3.6·10^11
// probes, minutes (40,000 members took 4.6 s), where it now takes at most
// 2·10^7.
func TestStrSetBuildAdversarial(t *testing.T) {
	x := strings.Repeat("x", 1000)
	cases := []struct {
		name    string
		n       int
		f       func(i int) string
		refused bool // all collide whatever the seed and width
		every   int  // check every every-th member (and its near misses)
	}{
		// differ at bytes 10-15 of 46: neither end nor the middle.
		{"blind", 300_000, func(i int) string { return x[:10] + fmt.Sprintf("%06d", i) + x[:30] }, true, 97},
		// differ in the middle only: the wide hash tells them apart.
		{"middle", 20_000, func(i int) string { return x[:20] + fmt.Sprintf("%06d", i) + x[:20] }, false, 3},
		// the reproduction of the report: ends equal in the first width.
		{"model", 100_000, func(i int) string { return fmt.Sprintf("model-%07d-xxxxxxxx", i) }, false, 7},
		{"long prefix", 5000, func(i int) string { return x + fmt.Sprintf("%06d", i) }, false, 1},
		{"long suffix", 5000, func(i int) string { return fmt.Sprintf("%06d", i) + x }, false, 1},
		{"long ends", 5000, func(i int) string { return x[:500] + fmt.Sprintf("%06d", i) + x[:500] }, false, 1},
		{"lengths", 3000, func(i int) string { return x[:i%1000] + strings.Repeat("y", i/1000) }, false, 1},
	}
	for _, c := range cases {
		members := gen(c.n, c.f)
		s, probes := buildStrSetProbes(members)
		if probes > strSetProbeBound(c.n) {
			t.Errorf("%s: %d probes for %d members, more than %d", c.name, probes, c.n, strSetProbeBound(c.n))
		}
		if (s == nil) != c.refused {
			t.Errorf("%s: refused = %v, want %v", c.name, s == nil, c.refused)
		}
		checkStrSetSample(t, c.name, members, 200, c.every)
	}
}

// Members equal except for a window of 2 bytes at any one position,
// every position in turn: each set builds in linear probes and answers
// exactly, through strSet or the Go map it falls back to.
func TestStrSetBuildSinglePosition(t *testing.T) {
	const n, width = 4096, 40
	base := strings.Repeat("q", width)
	for pos := 0; pos+2 <= width; pos++ {
		members := gen(n, func(i int) string {
			return base[:pos] + string([]byte{byte(i), byte(i >> 8)}) + base[pos+2:]
		})
		s, probes := buildStrSetProbes(members)
		if probes > strSetProbeBound(n) {
			t.Errorf("pos %d: %d probes for %d members, more than %d", pos, probes, n, strSetProbeBound(n))
		}
		if s != nil && s.longestRun() > maxStrRun {
			t.Errorf("pos %d: longest run %d", pos, s.longestRun())
		}
		checkStrSetExact(t, fmt.Sprint("pos ", pos), members, 50)
	}
}

// Random sets, of random and of adversarial shapes, answer membership
// exactly.
func TestStrSetMembershipRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randStr := func(n int, alphabet string) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for iter := range 300 {
		n := 1 + r.IntN(600)
		var members []string
		switch iter % 4 {
		case 0: // random strings of random lengths, duplicates likely
			for range n {
				members = append(members, randStr(r.IntN(40), "ab\x00\xff"))
			}
		case 1: // a template, varied at one random position
			tmpl := randStr(1+r.IntN(64), "abcdefgh")
			pos := r.IntN(len(tmpl))
			for range n {
				b := []byte(tmpl)
				b[pos] = byte(r.IntN(256))
				if pos+1 < len(b) {
					b[pos+1] = byte(r.IntN(256))
				}
				members = append(members, string(b))
			}
		case 2: // long common prefix and suffix, random middles of random lengths
			pre, suf := randStr(r.IntN(100), "p"), randStr(r.IntN(100), "s")
			for range n {
				members = append(members, pre+randStr(r.IntN(6), "0123456789")+suf)
			}
		case 3: // only lengths differ
			c := randStr(1, "abc")
			for range n {
				members = append(members, strings.Repeat(c, r.IntN(3*n)))
			}
		}
		s, probes := buildStrSetProbes(members)
		if probes > strSetProbeBound(len(members)) {
			t.Fatalf("iter %d: %d probes for %d members", iter, probes, len(members))
		}
		if s != nil && s.longestRun() > maxStrRun {
			t.Fatalf("iter %d: longest run %d", iter, s.longestRun())
		}
		checkStrSetExact(t, fmt.Sprint("iter ", iter), members, 100)
	}
}

// FuzzStrSetMembership builds a set from pieces of data (split at 0
// bytes) and from a template varied at one position, and checks that it
// answers membership exactly.
func FuzzStrSetMembership(f *testing.F) {
	f.Add([]byte("a\x00b\x00abc\x00"), "tenant-0000-xxxxxxxxxxxxxxxxxxxxx", uint8(7), uint16(500))
	f.Add([]byte(""), strings.Repeat("z", 50), uint8(12), uint16(3000))
	f.Add([]byte("\x00\x00x"), "", uint8(0), uint16(9))
	f.Add([]byte("model-0000001-xxxxxxxx\x00model-0000002-xxxxxxxx"), "model-0000000-xxxxxxxx", uint8(11), uint16(2000))
	f.Fuzz(func(t *testing.T, data []byte, tmpl string, pos uint8, count uint16) {
		members := strings.Split(string(data), "\x00")
		if len(tmpl) > 0 {
			p := int(pos) % len(tmpl)
			for i := range int(count % 4096) {
				b := []byte(tmpl)
				b[p] = byte(i)
				if p+1 < len(b) {
					b[p+1] = byte(i >> 8)
				}
				members = append(members, string(b))
			}
		}
		s, probes := buildStrSetProbes(members)
		if probes > strSetProbeBound(len(members)) {
			t.Fatalf("%d probes for %d members", probes, len(members))
		}
		if s != nil && s.longestRun() > maxStrRun {
			t.Fatalf("longest run %d", s.longestRun())
		}
		checkStrSetExact(t, "fuzz", members, 100)
	})
}

// checkStrSetExact checks that the strSet of members (when buildStrSet
// accepts them) and the constSet of members (strSet, Go map or slice)
// find every member and no near miss: a member with a byte changed (at
// every position, for the first mutateAll members of at most 64 bytes;
// at both ends and the middle for the others), or one added or removed at either end.
func checkStrSetExact(t testing.TB, name string, members []string, mutateAll int) {
	checkStrSetSample(t, name, members, mutateAll, 1)
}

// checkStrSetSample is checkStrSetExact for every every-th member and its
// near misses only.
func checkStrSetSample(t testing.TB, name string, members []string, mutateAll, every int) {
	t.Helper()
	ref := make(map[string]bool, len(members))
	elems := make([]Value, len(members))
	for i, m := range members {
		ref[m] = true
		elems[i] = Str(m)
	}
	fast := buildStrSet(members)
	cs, err := buildSet(SetSpec{Elems: elems})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	bad := 0
	check := func(str string) {
		str = string([]byte(str)) // not the member's pointer
		want := ref[str]
		if fast != nil && fast.has(str) != want {
			t.Errorf("%s: strSet.has(%q) = %v", name, str, !want)
			bad++
		}
		if cs.has(Str(str)) != want {
			t.Errorf("%s: constSet.has(%q) = %v", name, str, !want)
			bad++
		}
		if bad > 10 {
			t.FailNow()
		}
	}
	check("")
	for i, m := range members {
		if i%every != 0 {
			continue
		}
		check(m)
		check(m + "\x00")
		check("\x00" + m)
		if m != "" {
			check(m[1:])
			check(m[:len(m)-1])
		}
		b := []byte(m)
		for j := range b {
			if (i >= mutateAll || len(b) > 64) && j != 0 && j != len(b)/2 && j != len(b)-1 {
				continue
			}
			b[j] ^= 0x20
			check(string(b))
			b[j] ^= 0x20
		}
	}
}
