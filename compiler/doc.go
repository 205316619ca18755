// Package compiler lowers a checked RPL program (lang.Program with its
// Info side tables) to bytecode for package vm.
//
// Contract:
//   - Input is a program that checked without errors; Compile refuses
//     anything else.
//   - Output is a vm.ProgramSpec plus metadata (entry points, tests,
//     builtins referenced by link key, static cost bound), which
//     vm.NewProgram verifies. The compiler never produces a program the
//     verifier rejects; a rejection is a compiler bug reported as an error.
//   - Every decision-time lookup by name is resolved here: record fields
//     become slot indexes, calls become function or builtin indexes,
//     overridden functions of an extended policy resolve to the most
//     derived version, `x in [constants]` becomes a set lookup.
//   - Constant expressions are folded into the constant pool, branches on
//     constant conditions keep only the taken side, and the higher-order
//     builtins (filter, map, any, all, count, min_by, max_by) are lowered
//     to loops, so no closures exist at run time.
//   - Each function carries a pc → source position table so that run-time
//     errors point at policy source.
//
// The compiler knows nothing of NATS, HTTP or tenants.
package compiler
