package vm

// LeastSteps is the fewest instructions a run of entry executes from its
// start to a RETURN or FAIL, every jump taken or not whatever its
// condition (a loop's body skipped) and a call counted as one
// instruction: a floor under the fuel any run of entry takes, each
// instruction costing at least 1. 0 when there is no such entry.
func (p *Program) LeastSteps(entry string) int64 {
	fi, ok := p.entries[entry]
	if !ok {
		return 0
	}
	ins := p.funcs[fi].ins
	if len(ins) == 0 {
		return 0
	}
	// Breadth first from the first instruction: dist[i] is 1 + the
	// instructions before i on the shortest way there (0: not reached).
	dist := make([]int32, len(ins))
	queue := make([]int32, 1, len(ins))
	dist[0] = 1
	for k := 0; k < len(queue); k++ {
		i := queue[k]
		info := ins[i].op.Info()
		falls, branches := info.FallsThrough(), info.Branches()
		if !falls && !branches {
			return int64(dist[i]) // RETURN or FAIL: the nearest end
		}
		next := func(j int) {
			if j < len(ins) && dist[j] == 0 {
				dist[j] = dist[i] + 1
				queue = append(queue, int32(j))
			}
		}
		if branches {
			next(int(ins[i].c))
		}
		if falls {
			next(int(i) + 1)
		}
	}
	return 0
}
