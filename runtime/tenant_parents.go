package runtime

import "github.com/rpl-lang/rpl/vm"

// chainOf is the list value of id followed by parents.
func chainOf(id string, parents []string) vm.Value {
	l := make([]vm.Value, 1, 1+len(parents))
	l[0] = vm.Str(id)
	for _, p := range parents {
		l = append(l, vm.Str(p))
	}
	return vm.NewList(l)
}

// completeParents returns the parents ps that an unregistered tenant's
// request names completed along the registry of s, as the policy is
// to see them and the selection walks them: each named parent followed
// by its registered ancestors (Tenant.Parents), without repeats, nearest
// first; and whether that differs from ps. A single named parent, the
// common case, allocates nothing (Tenant.chain); several allocate when the
// registry adds to them or they repeat one (rare: a client names its
// tenant's nearest parent, or its whole chain already).
func completeParents(s *Snapshot, ps []vm.Value) (vm.Value, bool) {
	if len(ps) == 1 {
		if t, ok := s.tenants[ps[0].Str()]; ok && len(t.Parents) > 0 {
			return t.chain, true
		}
		return vm.Value{}, false
	}
	c := completion{ps: ps}
	for _, p := range ps {
		id := p.Str()
		c.add(id, p)
		if t, ok := s.tenants[id]; ok {
			for _, anc := range t.Parents {
				c.add(anc, vm.Str(anc))
			}
		}
	}
	switch {
	case c.out != nil:
		return vm.NewList(c.out), true
	case c.n != len(ps): // ps repeated a parent
		return vm.NewList(ps[:c.n:c.n]), true
	}
	return vm.Value{}, false
}

// completion is the list completeParents builds: ps[:n] while it is a
// prefix of ps, which needs no copy, out once it departs from ps.
type completion struct {
	ps   []vm.Value
	n    int
	out  []vm.Value
	seen map[string]struct{} // the ids in it, once it is long
}

// longCompletion is the length past which a completion's ids are looked
// up in a map rather than by a scan: a request may name many parents.
const longCompletion = 32

func (c *completion) list() []vm.Value {
	if c.out != nil {
		return c.out
	}
	return c.ps[:c.n]
}

// add appends id, whose value is v, unless it is in the list already.
func (c *completion) add(id string, v vm.Value) {
	if c.seen != nil {
		if _, ok := c.seen[id]; ok {
			return
		}
		c.seen[id] = struct{}{}
	} else {
		for _, x := range c.list() {
			if x.Str() == id {
				return
			}
		}
	}
	switch {
	case c.out == nil && c.n < len(c.ps) && c.ps[c.n].Str() == id:
		c.n++
	case c.out == nil:
		c.out = make([]vm.Value, c.n, len(c.ps)+8)
		copy(c.out, c.ps[:c.n])
		fallthrough
	default:
		c.out = append(c.out, v)
	}
	if l := c.list(); c.seen == nil && len(l) > longCompletion {
		c.seen = make(map[string]struct{}, 2*len(l))
		for _, x := range l {
			c.seen[x.Str()] = struct{}{}
		}
	}
}
