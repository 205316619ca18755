package runtime

// ChecksDecisions reports whether the engine checks p's decisions by the
// builtins' rules (stdlib.DecisionProblem) when it decides with it.
func (p *Policy) ChecksDecisions() bool { return p.builds }

// Kept is what the arrays of the engine's history and rolled-back
// snapshots hold, past their lengths too (to their capacities).
func (e *Engine) Kept() (history, undone []*Snapshot) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.history[:cap(e.history)], e.undone[:cap(e.undone)]
}
