// Package vm is the sandboxed bytecode virtual machine that runs compiled
// RPL routing policies on the router's hot path.
//
// # Role
//
// The compiler lowers a checked policy to a ProgramSpec (functions of
// bytecode with line tables, constants, constant sets, builtin names, entry
// points) and calls NewProgram, which verifies it and returns an immutable
// *Program. Programs travel as bytes (MarshalBinary, Load; the format is
// specified in spec/bytecode.md). The router runs a program with a pooled
// Machine:
//
//	p, err := vm.Load(data, builtins)        // once per policy version
//	route, _ := p.Entry("route")
//	m := vm.Get()
//	defer vm.Put(m)
//	v, stats, err := m.Run(ctx, p, route, []vm.Value{req}, limits, vm.Input{Now: t, Seed: s})
//
// vm imports nothing from this repository: stdlib provides builtins through
// a BuiltinTable, compiler produces ProgramSpecs.
//
// # Invariants
//
//   - Only verified programs run. The verifier (NewProgram, Load) checks
//     every opcode, operand and index, that jumps land on instructions, that
//     the operand stack has one height at each instruction and never
//     underflows, that calls pass the right number of arguments, and it
//     computes each function's maximum stack depth. Malformed input gives
//     an *InvalidProgramError, never a panic.
//   - Kinds are not verified: the compiler emits typed instructions
//     (ADD_INT, LT_STR, ...). Instructions that only read a value's number
//     bits are harmless on any kind; every instruction that dereferences a
//     value checks its kind and fails with code internal when ill-typed
//     code reaches it. A policy cannot corrupt memory.
//   - A Program is immutable and safe for concurrent use. A Machine is not
//     goroutine-safe: use one per goroutine (Get/Put pool them). Builtins
//     must not call back into the machine that runs them.
//   - Values are immutable once a policy can see them. Lists, maps and
//     records passed in by the host must not be modified while a run may
//     read them.
//   - Determinism: a run observes only its arguments, Input.Now,
//     Input.Seed and builtins; the same inputs give the same result.
//   - A run that builds no strings or collections does not allocate; nor
//     does a warm machine's run whose filter/map lists are temporaries
//     (they are reused, see recycle.go). A run given an Arena
//     (Input.Arena) makes its records, maps and lists there, and the
//     host resets it between decisions: once warm, such runs allocate
//     only the strings they build.
//
// # Limits
//
// Every run is bounded (Limits; zero fields take defaults):
//
//   - Fuel: each instruction costs 1; builtins cost their declared Cost plus
//     what they Charge; CONCAT, IN_LIST, IN_STR and MAKE_MAP charge extra in
//     proportion to their size, and CALL, LIST_CAP and a growing APPEND in
//     proportion to the slots they clear (CallFuel, ListCapFuel), each
//     before the work it pays for, so that a run stops at the instruction
//     that would take it past the limit.
//   - Memory: bytes of strings, lists, maps and records created by the run.
//   - MaxDepth: call depth. Whatever the limits, the deep comparisons go
//     at most MaxCompareDepth levels down, and an error's call stack keeps
//     its innermost MaxBacktrace frames.
//   - Deadline, and the context's deadline and cancellation, checked every
//     CheckEvery fuel of work by a counter (no clock read per instruction,
//     none at all in a shorter run): by the interpreter, by Call.Charge
//     when a builtin's charge crosses a multiple of CheckEvery of the fuel
//     left, by Call.Pace and Call.PaceBy in the steps of work a builtin
//     charged first (a sort's comparisons, a search's blocks of bytes),
//     counted from zero at each call, and by MAKE_MAP (and Call.MapOf)
//     every CheckEvery keys of the map it builds after its charge. A
//     builtin that does its work in one call of a Go library after its
//     charge (matches, json_get) is not checked inside it: under the
//     default fuel such a call took up to 12 ms (matches over 655 KB,
//     983,246 fuel) and 26 ms (json_get of 3.9 MB, 983,054 fuel), that
//     long past the deadline at worst.
//
// # Errors
//
// A failed run returns an *Error with a stable Code, a message and the
// policy call stack (function, file:line:col from the line tables).
// Error() is one line ("policy.rpl:12:5: fuel exhausted (limit 10000)");
// Backtrace() adds one line per frame. The codes:
//
//	fuel_exhausted      the fuel limit was reached
//	memory_exhausted    the memory limit was reached
//	stack_overflow      the call depth limit was reached, the value stack
//	                    outgrew the memory limit, or a comparison went
//	                    MaxCompareDepth levels down
//	deadline_exceeded   Limits.Deadline or the context's deadline passed
//	canceled            the context was canceled
//	division_by_zero    integer, money, duration or float division by zero
//	int_overflow        int64 arithmetic overflowed (int, money, duration, time)
//	index_out_of_range  list index outside [0, len)
//	assertion_failed    FAIL (expect, assertions); the message is the policy's
//	builtin_error       a builtin returned an error (Unwrap gives it)
//	internal            ill-typed code, a bad entry call, or a recovered panic
package vm
