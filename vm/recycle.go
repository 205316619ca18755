package vm

import "unsafe"

// Lists that a run makes for the lowered filter and map (LIST_CAP) are
// usually temporaries: a policy filters its candidates, picks one, and
// returns a decision that holds none of them. A machine keeps such lists
// after the run and reuses them in its next runs, so a policy that filters
// or maps on every decision allocates nothing once warm.
//
// A made list is reused only when nothing outside the machine can see it:
//   - the run succeeded, with no probes and no failed expectations (which
//     keep values);
//   - it called only pure builtins (Builtin.Pure: they keep nothing of
//     their arguments);
//   - no list, map or record reachable from the result was made by the
//     run or shares memory with a made list. The walk is bounded: past
//     maxEscapeWalk values, nothing is reused.

const (
	maxSpare      = 4                              // lists a machine keeps
	maxSpareBytes = 16 << 10                       // the largest backing array kept
	maxEscapeWalk = 256                            // values the escape walk visits
	maxSpareElems = int(maxSpareBytes / valueSize) // in elements
)

// newList returns an empty list with room for n elements, owned by the
// current run: a spare one when one is large enough. A spare list may have
// more room than n, which the run did not pay for: its room is n all the
// same, and appends past it are charged as a new list's growth would be
// (appendTo), so that what a run is charged does not depend on the lists
// its machine kept.
func (m *Machine) newList(n int) *listObj {
	for i, lo := range m.spare {
		if cap(lo.elems) >= n {
			last := len(m.spare) - 1
			m.spare[i], m.spare[last] = m.spare[last], nil
			m.spare = m.spare[:last]
			lo.owner, lo.gen, lo.room = m, m.gen, n
			m.made = append(m.made, lo)
			return lo
		}
	}
	lo := &listObj{elems: make([]Value, 0, n), owner: m, gen: m.gen, room: n}
	if n <= maxSpareElems {
		m.made = append(m.made, lo)
	}
	return lo
}

// recycle ends a run that returned result (ok: without error): it keeps
// the lists the run made for later runs when none can be seen any more.
func (m *Machine) recycle(result Value, ok bool) {
	if len(m.made) == 0 {
		return
	}
	if ok && !m.impure && m.in.Probes == nil && len(m.fails) == 0 {
		w := escapeWalk{m: m, budget: maxEscapeWalk}
		if !w.reaches(result) {
			for _, lo := range m.made {
				if len(m.spare) == maxSpare || cap(lo.elems) > maxSpareElems {
					continue
				}
				clear(lo.elems[:cap(lo.elems)])
				lo.elems = lo.elems[:0]
				lo.owner = nil // owned again when reused
				m.spare = append(m.spare, lo)
			}
		}
	}
	clear(m.made)
	m.made = m.made[:0]
}

// escapeWalk looks for a way from a value to the lists of the current run.
type escapeWalk struct {
	m      *Machine
	budget int
}

// reaches reports whether v is, contains or shares memory with a list the
// run made (conservatively: true when the walk runs out of budget).
func (w *escapeWalk) reaches(v Value) bool {
	if (v.k != KindList && v.k != KindMap && v.k != KindRecord) || v.p == nil {
		return false
	}
	if w.budget--; w.budget < 0 {
		return true
	}
	var parts [2][]Value
	switch v.k {
	case KindList:
		lo := (*listObj)(v.p)
		if lo.owner == w.m && lo.gen == w.m.gen {
			return true
		}
		parts[0] = lo.elems
	case KindMap:
		mo := (*mapObj)(v.p)
		parts[0], parts[1] = mo.keys, mo.vals
	case KindRecord:
		parts[0] = unsafe.Slice((*Value)(v.p), v.n)
	}
	for _, s := range parts {
		if w.shares(s) {
			return true
		}
		for _, x := range s {
			if w.reaches(x) {
				return true
			}
		}
	}
	return false
}

// shares reports whether s lies in the backing array of a made list (a
// pure builtin may return a slice of its argument).
func (w *escapeWalk) shares(s []Value) bool {
	if cap(s) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	for _, lo := range w.m.made {
		if c := cap(lo.elems); c > 0 {
			b := uintptr(unsafe.Pointer(unsafe.SliceData(lo.elems)))
			if p >= b && p < b+uintptr(c)*uintptr(valueSize) {
				return true
			}
		}
	}
	return false
}
