package runtime

// ChecksDecisions reports whether the engine checks p's decisions by the
// builtins' rules (stdlib.DecisionProblem) when it decides with it.
func (p *Policy) ChecksDecisions() bool { return p.builds }
