package compiler

import (
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

// A Decision or Fallback record literal builds a record whose targets no
// builtin checks (to, weighted and fallback check theirs,
// lang.TargetProblem). The engine checks the decisions of a program that
// builds Decision records of its own, which it tells from the code
// (vm.Program.MakesRecords: MAKE_RECORD of the Decision's size), and
// trusts the constant ones, which builtins made or the compiler folded:
// so the compiler folds no constant Decision or Fallback literal that
// names a target the router does not take. Built at run time instead, as
// to("x y") is, it makes the decision the policy's failure
// (invalid_decision) rather than an answer.

// foldsTargets reports whether the record literal of type lt whose
// fields are slots may be a constant: true unless lt is the Decision type
// or its Fallback type and one of the targets the record names (a
// decision's target when not empty, its split's targets, its fallbacks'
// targets; a fallback's target) is not a target.
func (c *compiler) foldsTargets(lt *lang.Record, slots []vm.Value) bool {
	dec := c.out.Decision
	if dec == nil {
		return true
	}
	fbType := fallbackType(dec)
	switch {
	case len(lt.Fields) == len(dec.Fields) && lang.Identical(lt, dec):
		return decisionTargetsOK(dec, fbType, slots)
	case fbType != nil && len(lt.Fields) == len(fbType.Fields) && lang.Identical(lt, fbType):
		return fallbackTargetOK(fbType, slots)
	}
	return true
}

// fallbackType is the record type of dec's fallbacks, nil if none.
func fallbackType(dec *lang.Record) *lang.Record {
	i := dec.FieldIndex("fallbacks")
	if i < 0 {
		return nil
	}
	l, ok := lang.Unwrap(dec.Fields[i].Type).(*lang.List)
	if !ok {
		return nil
	}
	r, _ := lang.Unwrap(l.Elem).(*lang.Record)
	return r
}

func isTarget(v vm.Value) bool {
	return v.Kind() == vm.KindString && lang.TargetProblem(v.Str()) == ""
}

// decisionTargetsOK reports whether every target of the Decision slots
// is one: an empty target is a denial's or a split's (the engine says
// when it is no route).
func decisionTargetsOK(dec, fbType *lang.Record, slots []vm.Value) bool {
	if i := dec.FieldIndex("target"); i >= 0 && slots[i].Len() > 0 && !isTarget(slots[i]) {
		return false
	}
	if i := dec.FieldIndex("split"); i >= 0 && slots[i].Kind() == vm.KindMap {
		for _, k := range slots[i].Map().Keys() {
			if !isTarget(k) {
				return false
			}
		}
	}
	if i := dec.FieldIndex("fallbacks"); i >= 0 && fbType != nil && slots[i].Kind() == vm.KindList {
		for _, fb := range slots[i].List() {
			if r := fb.Record(); len(r) != len(fbType.Fields) || !fallbackTargetOK(fbType, r) {
				return false
			}
		}
	}
	return true
}

func fallbackTargetOK(fbType *lang.Record, slots []vm.Value) bool {
	i := fbType.FieldIndex("target")
	return i < 0 || isTarget(slots[i])
}
