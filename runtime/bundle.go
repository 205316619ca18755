package runtime

import (
	"context"
	"sort"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
)

// BuildBundle builds a snapshot from an encoded .rplb bundle: Read
// verifies its format, hashes, signature (per opts) and bytecode; then
// every policy's tests run, under bundle.TestLimits as a directory's and
// rplc build's do (not the engine's limits, which bound decisions),
// before the snapshot is returned. The version is
// the bundle hash. The bundle's tenant registry (tenants.json, carried as
// is) is read as BuildFiles reads a directory's, so that a bundle and its
// directory decide alike.
func (e *Engine) BuildBundle(ctx context.Context, source string, data []byte, opts bundle.ReadOptions) (*Snapshot, error) {
	lerr := &LoadError{Source: source}
	if opts.Builtins == nil {
		opts.Builtins = e.env.Builtins()
	}
	b, err := bundle.Read(data, opts)
	if err != nil {
		lerr.Problems = append(lerr.Problems, err.Error())
		return nil, lerr
	}
	progs, err := b.Programs(e.env)
	if err != nil {
		lerr.Problems = append(lerr.Problems, err.Error())
		return nil, lerr
	}
	fails, err := b.RunTests(ctx, e.env, bundle.TestLimits)
	if err != nil {
		lerr.Problems = append(lerr.Problems, err.Error())
		return nil, lerr
	}
	for _, f := range fails {
		lerr.Problems = append(lerr.Problems, testFailed(f.Test, f.Err, "")...)
	}
	if len(b.Policies) == 0 {
		lerr.Problems = append(lerr.Problems, "no policies")
	}
	if len(lerr.Problems) > 0 {
		return nil, lerr
	}
	s := &Snapshot{
		Version:   b.Version(),
		Source:    source,
		Built:     time.Now(),
		policies:  map[string]*Policy{},
		tenants:   map[string]*Tenant{},
		catalogue: b.Catalogue,
		bundle:    data,
	}
	for _, p := range b.Policies {
		pol := e.newPolicy(p.ID, p.File, progs[p.ID], s.Version)
		pol.Tests, pol.CostBound, pol.Bounded = len(p.Tests), p.CostBound, p.Bounded
		pol.untyped = !b.Verified
		s.policies[p.ID] = pol
		s.ids = append(s.ids, p.ID)
	}
	sort.Strings(s.ids)
	if b.Tenants != nil {
		if err := e.parseTenants(s, b.Tenants.Data); err != nil {
			lerr.Problems = append(lerr.Problems, dataProblem(TenantsFile, b.Tenants.Data, err))
		}
		lerr.Problems = append(lerr.Problems, s.missingTenantPolicies()...)
	}
	if len(lerr.Problems) > 0 {
		sort.Strings(lerr.Problems)
		return nil, lerr
	}
	return s, nil
}

// Bundle returns the encoded bundle of a snapshot built from one, else nil.
func (s *Snapshot) Bundle() []byte { return s.bundle }

// LoadBundle builds the bundle data (from source, for messages) and
// activates it, as LoadDir does a directory: a failure keeps the running
// version and is recorded in Status and reported to the Observer.
func (e *Engine) LoadBundle(ctx context.Context, source string, data []byte, opts bundle.ReadOptions) (*Snapshot, error) {
	s, err := e.BuildBundle(ctx, source, data, opts)
	if err != nil {
		e.LoadFailed(err)
		return nil, err
	}
	e.Activate(s)
	return s, nil
}
