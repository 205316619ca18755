package compiler

import "github.com/rpl-lang/rpl/lang"

// A Decision or Fallback record literal builds a record that no builtin
// checked (to, weighted and fallback check what they are given: a
// target, a split's weights, a fallback's triggers, retries and backoff).
// The engine checks the decisions of a program that builds Decision
// records of its own, which it tells from the code (vm.Program.
// MakesRecords: MAKE_RECORD of the Decision's size), and trusts the
// constant ones, which builtins made. So the compiler folds no Decision
// or Fallback literal into a constant: built at run time, it is checked
// then by the same rules as the builtins' (stdlib.DecisionProblem), a
// decision that breaks them being the policy's failure
// (invalid_decision) rather than an answer.

// folds reports whether a constant record literal of type lt may be
// folded: not a Decision's or a Fallback's.
func (c *compiler) folds(lt *lang.Record) bool {
	dec := c.out.Decision
	if dec == nil {
		return true
	}
	if len(lt.Fields) == len(dec.Fields) && lang.Identical(lt, dec) {
		return false
	}
	fb := fallbackType(dec)
	return fb == nil || len(lt.Fields) != len(fb.Fields) || !lang.Identical(lt, fb)
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
