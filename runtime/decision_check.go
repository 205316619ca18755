package runtime

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/internal/textcut"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// decisionProblem is why the engine does not answer v, what a policy's
// route returned, "" when it does (layout.decisionProblem, with the
// engine's Decision shape). Nothing is allocated for a decision it
// answers.
func (e *Engine) decisionProblem(v vm.Value, untyped, builds bool, exp, arm string) string {
	return e.lay.decisionProblem(e.decShape, v, untyped, builds, exp, arm)
}

// decisionProblem is why a router does not answer v, what a policy's
// route returned, naming the field; "" when it does. A decision the
// router could not follow (a record literal's, or anything an untyped
// policy's bytecode returns: an int, a record of another type, a
// Decision whose priority is a string; every part's kind is checked
// against dec, the Decision type's shape, when untyped or when v is not
// a record of a Decision's fields) is the policy's failure, not an
// answer; so is an action other than route or deny, a route to no
// target without a split, what the builtins refuse to build when the
// policy builds Decision records of its own (builds:
// stdlib.DecisionProblem; a policy whose route only builds its
// decisions with the builtins is not checked again, whatever its tests
// build), and text its answer would not hold as it is (textProblem:
// exp and arm are the run's experiment assignment, answered in place of
// the decision's when exp is not "").
func (l *layout) decisionProblem(dec *shape, v vm.Value, untyped, builds bool, exp, arm string) string {
	d := v.Record()
	if untyped || len(d) != l.dec.n {
		if why := dec.problem(v, 0); why != "" {
			if rest, ok := strings.CutPrefix(why, " is "); ok {
				// not a Decision at all: an int, a record of 1 field
				return "route returned " + rest
			}
			return "decision" + why
		}
	}
	act := d[l.dec.action].Str()
	if act != "route" && act != "deny" {
		return fmt.Sprintf("the decision's action is %q, not route or deny", act)
	}
	if builds {
		if why := stdlib.DecisionProblem(v); why != "" {
			return why
		}
	}
	if act == "route" && d[l.dec.target].Str() == "" && d[l.dec.split].Len() == 0 {
		return "the decision routes to no target"
	}
	return l.textProblem(d, exp, arm)
}

// textProblem is why the names in the decision d (its slots) are not
// text its answer holds as they are, "" when they are: a tag's key or
// value, the sticky key, the experiment or arm (exp and arm when exp is
// not "", which the answer holds in place of d's), an extension's name
// (pre, validators, post) that is not UTF-8. The answer's JSON, and the
// decision log's, holds such a byte as U+FFFD, so two names that differ
// there would be read as one: the tags "k\xfe" and "k\xff" would be
// answered as one key twice, which a consumer keeps once. The targets
// are UTF-8 already (lang.TargetProblem, which the builtins and
// stdlib.DecisionProblem keep); the reason and the deny reason, text
// for people, are answered with U+FFFD for such a byte.
func (l *layout) textProblem(d []vm.Value, exp, arm string) string {
	tags := d[l.dec.tags].Map()
	vals := tags.Values()
	for i, k := range tags.Keys() {
		if !utf8.ValidString(k.Str()) {
			return notText("tags: key ", k.Str(), "keys")
		}
		if !utf8.ValidString(vals[i].Str()) {
			return notText(fmt.Sprintf("tags[%s]: value ", quoteCut(k.Str())), vals[i].Str(), "values")
		}
	}
	if k := d[l.dec.stickyKey].Str(); !utf8.ValidString(k) {
		return notText("sticky_key ", k, "keys")
	}
	if exp == "" {
		exp, arm = d[l.dec.experiment].Str(), d[l.dec.arm].Str()
	}
	if !utf8.ValidString(exp) {
		return notText("experiment ", exp, "experiments")
	}
	if !utf8.ValidString(arm) {
		return notText("arm ", arm, "arms")
	}
	for _, ext := range [...]struct {
		name string
		slot int
	}{{"pre", l.dec.pre}, {"validators", l.dec.validators}, {"post", l.dec.post}} {
		for i, x := range d[ext.slot].List() {
			if !utf8.ValidString(x.Str()) {
				return notText(fmt.Sprintf("%s[%d]: ", ext.name, i), x.Str(), "names")
			}
		}
	}
	return ""
}

// notText is textProblem's message of s, the text at what, which is not
// UTF-8, as the request decoder words text it refuses: `tags: key
// "k\xfe" is not UTF-8 (two keys that differ there would be read as
// one)`.
func notText(what, s, plural string) string {
	return fmt.Sprintf("%s%s is not UTF-8 (two %s that differ there would be read as one)", what, quoteCut(s), plural)
}

// quoteCut is s quoted as Go quotes it, its bytes that are not UTF-8
// escaped ("k\xfe"), cut to 80 bytes first.
func quoteCut(s string) string { return fmt.Sprintf("%q", textcut.Cut(s, 80)) }

// CheckDecision reports what a router refuses in v, what a policy's
// route returned (req and dec are the prelude's Request and Decision):
// a *vm.Error of CodeInvalidDecision whose message names the field, the
// vm_code and message of the router's decision_failed answer. It checks
// v as a router checks the decisions of a policy it cannot trust to
// build its decisions with the builtins (every part's kind, the
// builtins' rules): what it refuses, a router refuses from any policy,
// and the decisions the builtins build keep those rules. The experiment
// and arm checked are v's, where rplc eval writes the run's assignment
// as a router answers it.
func CheckDecision(req, dec *lang.Record, v vm.Value) error {
	var l layout
	if err := l.init(req, dec); err != nil {
		return err
	}
	if why := l.decisionProblem(compileShape(dec), v, true, true, "", ""); why != "" {
		return &vm.Error{Code: CodeInvalidDecision, Msg: why}
	}
	return nil
}
