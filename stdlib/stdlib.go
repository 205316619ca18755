// Package stdlib is RPL's standard library: builtins declared as data
// (name, typed signature, doc, cost, purity) together with the request
// schema (prelude.rpl) and the enums policies use. The checker, `rplc doc`,
// the language server and spec/stdlib.md all read these declarations; there
// is no registry filled at init time.
//
// Universal builtins (strings, math, lists, maps, time, decisions) need no
// import; modules such as std/cost, std/ab and std/health are imported by
// path and reach router state only through the interfaces the runtime
// provides.
//
// Each declaration is paired with its Go implementation (Defs); Table
// binds them by link name (lang.Builtin.Key) for vm.NewProgram. The state
// contract is CostState, ExperimentState, HealthState and ArmRecorder,
// found by type assertion on the run's host value (vm.Input.Host), with
// neutral defaults when the host lacks them; MemState is an in-memory
// implementation for tests. Markdown renders spec/stdlib.md.
package stdlib

import (
	_ "embed"
	"sync"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/vm"
)

//go:embed prelude.rpl
var prelude []byte

// Prelude is the RPL source of the schema types (Request, Decision, …).
func Prelude() []byte { return prelude }

// Enums are the predeclared enum types.
var Enums = []lang.EnumDecl{
	{Name: "Trigger", Members: []string{"timeout", "http_5xx", "http_429", "connection_error", "any_error"},
		Doc: "A failure that sends a request to its fallback target: a timeout, a 5xx answer, a 429 (rate limited), a connection error, or any of them."},
}

// Decls returns every builtin declaration, in a stable order.
func Decls() []lang.BuiltinDecl {
	defs := Defs()
	all := make([]lang.BuiltinDecl, len(defs))
	for i, d := range defs {
		all[i] = d.Decl
	}
	return all
}

// Def is a builtin declaration with its implementation. Fn is nil for the
// builtins the compiler lowers to bytecode (filter, map, any, all, count,
// min_by, max_by): they take lambdas, and no closure exists at run time.
type Def struct {
	Decl lang.BuiltinDecl
	Fn   vm.BuiltinFunc
}

// Defs returns every builtin definition, in the order of Decls.
func Defs() []Def {
	var all []Def
	all = append(all, coreDefs...)
	all = append(all, routingDefs...)
	all = append(all, testingDefs...)
	return all
}

var (
	universeOnce sync.Once
	universe     *lang.Universe
	universeErr  error
)

// Universe returns the checker's universe for the standard library, built
// once and shared (it is read-only).
func Universe() (*lang.Universe, error) {
	universeOnce.Do(func() {
		universe, universeErr = lang.NewUniverse(lang.UniverseConfig{
			Builtins:    Decls(),
			Enums:       Enums,
			PreludeName: "std/prelude.rpl",
			Prelude:     prelude,
			Fold:        foldConst,
		})
	})
	return universe, universeErr
}
