package vm

import "fmt"

// The value stack of a run (the locals and operands of every active call,
// valueSize bytes a slot) may not outgrow the run's memory limit, nor
// maxStackSlots: a call that would need more fails with stack_overflow.
// It is not charged to the memory budget, which counts the values a run
// makes: a machine keeps its stack between runs, and a run's charges must
// not depend on the machine's past. The limit is checked at every call
// (and for the entry function), so whether a run fits does not either.

// maxPooledStack is the most value slots (and frames) a pooled machine
// keeps (Put): a run that needed more does not make the pool hold it.
const maxPooledStack = 1 << 12

// stackFits reports whether a value stack of n slots fits the run's limits.
func (m *Machine) stackFits(n int) bool {
	return n <= maxStackSlots && int64(n)*valueSize <= m.lim.Memory
}

// stackError is the error of a run whose value stack would need n slots.
func (m *Machine) stackError(n int) *Error {
	if n > maxStackSlots {
		return &Error{Code: CodeStackOverflow, Msg: fmt.Sprintf("stack overflow (%d value slots)", n)}
	}
	return &Error{Code: CodeStackOverflow,
		Msg: fmt.Sprintf("stack overflow (%d value slots, %d bytes: more than the memory limit of %d)", n, int64(n)*valueSize, m.lim.Memory)}
}
