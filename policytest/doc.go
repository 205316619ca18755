// Package policytest runs the test blocks of RPL policies: it finds the
// policies under a set of paths, checks and compiles each with its test
// file, runs the selected tests against a fresh in-memory router state,
// and measures statement and branch coverage. It is the library behind
// `rplc test`; the language server reuses it.
//
// Contract:
//   - A policy is a file x.rpl; its tests are the test blocks of x.rpl and
//     of its test file x_test.rpl. Naming either selects the policy.
//   - RunTree tests the policies of one policy tree, a directory as rplc
//     build and a router load it, and holds them to the tree's rules as
//     rplc check, rplc build and a router do (lang.Trees): distinct ids
//     (RPL216), a policy whose id an earlier one of the tree has fails
//     with that error and its tests do not run; and RunTrees tests several
//     trees so, and fails a file with neither route nor tests that no
//     file of the trees imports or extends (RPL212: a library must be
//     imported by a policy). A test module is run, not refused.
//   - Each test runs in its own evaluation with a fresh stdlib.MemState as
//     host (empty: no spend, no prices, no winners, every target healthy;
//     naming the policy, so that sticky draws as a router does),
//     the clock at stdlib.TestNow (a fixed instant, so tests are repeatable) and seed DefaultSeed (as `rplc build` runs them); test blocks change them through
//     std/testing. A Request a test writes without its arrival arrives at
//     that clock (route({}) sees r.arrival and now() agree).
//     Tests are independent and deterministic.
//   - A failed expect does not stop its test: every failed expectation of
//     a run is reported, each with its position. A run that hits a limit
//     (fuel, memory, depth, deadline) or a run-time error fails with that
//     error and its policy call stack.
//   - With Config.Cover the policy is compiled with coverage counters
//     (compiler.Options.Cover). Coverage is reported per policy over its
//     own code (not its test blocks, wherever declared, nor its test
//     file, imports or parents): a
//     statement is covered when it ran, a branch outcome (then/else, each
//     match arm, both outcomes of &&, || and ??) when it was taken.
//     WriteProfile writes Go's cover profile format.
//   - ReadState decodes the JSON form of the state (rplc eval --state),
//     which mirrors the std/testing builtins.
package policytest
