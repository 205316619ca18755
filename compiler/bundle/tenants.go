package bundle

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
)

// TenantsFile is the name of the tenant registry in a build directory (the
// router's runtime.TenantsFile).
const TenantsFile = "tenants.json"

// Tenants is the tenant registry a bundle carries: tenants.json as it was
// in the build directory, and its entries. The router parses Data itself,
// as it does a directory's tenants.json (spec/bundle.md §4), so a bundle
// and its directory decide alike. Its JSON form:
//
//	{"tenants": [
//	  {"id": "acme-research-1", "tier": "gold", "parents": ["team_acme_research", "org_acme"]},
//	  {"id": "vip", "tier": "platinum", "policy": "premium", "budget": {"monthly": "$500", "daily": "25"}}]}
type Tenants struct {
	// Data is the section: tenants.json, byte for byte.
	Data []byte
	// Tenants in file order.
	Tenants []Tenant
}

// Tenant is one registry entry, as written, and its completed chain.
type Tenant struct {
	ID, Tier string
	// Parents, nearest first.
	Parents []string
	// Chain is Parents completed with the registered parents' own
	// chains, nearest first, without repeats (alice [team] and team
	// [org] make alice's chain [team, org]): the parents the router
	// gives the policies.
	Chain []string
	// Policy decides for the tenant; "" means the policy named like it.
	Policy string
	// Monthly and Daily are the budgets as written ("" for none).
	Monthly, Daily string
}

// ParseTenants reads and validates a tenant registry: the documented
// shape (unknown fields are errors), non-empty unique ids, ids and
// parents of at most MaxTenantLen bytes, policies that can be policy ids
// (package names), budgets that
// are money, no tenant its own ancestor and none with more than
// MaxTenantDepth ancestors; it completes each tenant's Chain. Errors name the JSON path:
// `tenants[1].budget.monthly: want money ("$500" or "500"), have "lots"`,
// and repeat at most jsonx.MaxEcho bytes of any one value (jsonx.Echo).
// Whether each tenant's policy exists is CheckPolicies'.
func ParseTenants(data []byte) (*Tenants, error) {
	ts := &Tenants{Data: data}
	seen := map[string]string{}
	// The parents list is bounded before it is decoded far above the
	// ancestors a tenant may have, which the check below names.
	err := decodeList(data, "tenants.json", "tenants", []string{"id", "tier", "parents", "policy", "budget"}, map[string]int{"parents": 16 * MaxTenantDepth}, func(at string, m map[string]any) error {
		var t Tenant
		var err error
		if t.ID, err = str(m, "id", at, true); err != nil {
			return err
		}
		if err := tenantLen(at+".id", t.ID); err != nil {
			return err
		}
		if prev, dup := seen[t.ID]; dup {
			return pathErrorf(at+".id", "tenant %s is already listed at %s", jsonx.QuoteEcho(t.ID), prev)
		}
		seen[t.ID] = at
		if t.Tier, err = str(m, "tier", at, false); err != nil {
			return err
		}
		if t.Policy, err = str(m, "policy", at, false); err != nil {
			return err
		}
		if t.Policy != "" && !lang.IsIdent(t.Policy) {
			return pathErrorf(at+".policy", "want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have %s", jsonx.QuoteEcho(t.Policy))
		}
		if px, ok := m["parents"]; ok {
			ps, ok := px.([]any)
			if !ok {
				return pathErrorf(at+".parents", "want a list of tenant ids, have %s", jsonx.Kind(px))
			}
			if len(ps) > MaxTenantDepth {
				return pathErrorf(at+".parents", "tenant %s lists %d parents, more than the %d ancestors a tenant may have", jsonx.QuoteEcho(t.ID), len(ps), MaxTenantDepth)
			}
			for j, p := range ps {
				s, ok := p.(string)
				if !ok {
					return pathErrorf(fmt.Sprintf("%s.parents[%d]", at, j), "want a string, have %s", jsonx.Kind(p))
				}
				if s == "" {
					return pathErrorf(fmt.Sprintf("%s.parents[%d]", at, j), "want a tenant id, have \"\"")
				}
				if err := tenantLen(fmt.Sprintf("%s.parents[%d]", at, j), s); err != nil {
					return err
				}
				if slices.Contains(t.Parents, s) {
					return pathErrorf(fmt.Sprintf("%s.parents[%d]", at, j), "%s is listed twice", jsonx.QuoteEcho(s))
				}
				t.Parents = append(t.Parents, s)
			}
		}
		if bx, ok := m["budget"]; ok {
			bat := at + ".budget"
			b, ok := bx.(map[string]any)
			if !ok {
				return pathErrorf(bat, "want an object, have %s", jsonx.Kind(bx))
			}
			if _, err := object(b, bat, "monthly", "daily"); err != nil {
				return err
			}
			if t.Monthly, err = budget(b, "monthly", bat); err != nil {
				return err
			}
			if t.Daily, err = budget(b, "daily", bat); err != nil {
				return err
			}
		}
		ts.Tenants = append(ts.Tenants, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ts.complete(); err != nil {
		return nil, err
	}
	return ts, nil
}

// MaxTenantLen is the longest tenant id, registered or a parent: the
// router refuses a longer one in a decide request or feedback
// (runtime.MaxTenantLen), so a tenant so named could never be decided
// for nor charged.
const MaxTenantLen = 256

// tenantLen refuses id, the tenant id at path, when it is longer than
// MaxTenantLen, repeating at most jsonx.MaxEcho bytes of it.
func tenantLen(path, id string) error {
	if len(id) > MaxTenantLen {
		return pathErrorf(path, "want a tenant id of at most %d bytes, have %s", MaxTenantLen, jsonx.QuoteEcho(id))
	}
	return nil
}

// str reads the optional string field k of m (required and non-empty when
// must is set).
func str(m map[string]any, k, at string, must bool) (string, error) {
	v, ok := m[k]
	switch {
	case !ok && !must:
		return "", nil
	case !ok:
		return "", required(m, k, at, "a non-empty string")
	}
	s, ok := v.(string)
	if !ok {
		what := "a string"
		if must {
			what = "a non-empty string"
		}
		return "", pathErrorf(at+"."+k, "want %s, have %s", what, jsonx.Kind(v))
	}
	if must && s == "" {
		return "", pathErrorf(at+"."+k, "want a non-empty string, have \"\"")
	}
	return s, nil
}

// budget reads a budget: money as a string, "" for none (as the router
// reads it).
func budget(m map[string]any, k, at string) (string, error) {
	v, ok := m[k]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", pathErrorf(at+"."+k, "want money as a string (\"$500\" or \"500\"), have %s", jsonx.Kind(v))
	}
	if strings.TrimSpace(s) != "" {
		if n, err := jsonx.ParseMoney(s); errors.Is(err, jsonx.ErrMoneySyntax) {
			return "", pathErrorf(at+"."+k, "want money (\"$500\" or \"500\"), have %s", jsonx.QuoteEcho(s))
		} else if err != nil {
			return "", pathErrorf(at+"."+k, "%v", err)
		} else if n < 0 {
			return "", pathErrorf(at+"."+k, "a budget cannot be negative, have %s", jsonx.QuoteEcho(s))
		}
	}
	return s, nil
}

// MaxTenantDepth is the most ancestors a tenant may have: the tenants
// of its completed parent chain (Tenant.Chain), which every decision for
// it may walk and a load builds for every tenant.
const MaxTenantDepth = 64

// complete completes each tenant's parent chain (Tenant.Chain), refusing
// a tenant that is its own ancestor through registered parents, as the
// router does (`tenant a is its own ancestor: a → b → a`), at the parent
// that closes the cycle (tenants[1].parents[0], b's "a"), and one with
// more than MaxTenantDepth ancestors, at its parents. Each tenant is
// visited once, after its registered parents; path is the visit in
// progress, the tenants waiting for the chain of the last, at their index
// in onPath.
func (ts *Tenants) complete() error {
	index := make(map[string]int, len(ts.Tenants)) // a tenant's place in the list
	for i, t := range ts.Tenants {
		index[t.ID] = i
	}
	// byID is the tenant registered as id, nil for a parent not registered.
	byID := func(id string) *Tenant {
		if i, ok := index[id]; ok {
			return &ts.Tenants[i]
		}
		return nil
	}
	done := make(map[string]bool, len(index))
	onPath := map[string]int{}
	var path []string
	// seen marks the ancestors already in the chain being built, by the
	// stamp of that build: one map for all of them.
	seen := map[string]int{}
	stamp := 0
	tooDeep := func(id string) error {
		return pathErrorf(fmt.Sprintf("tenants[%d].parents", index[id]), "tenant %s has more than %d ancestors (its parents, theirs, and so on), the most a tenant may have", jsonx.QuoteEcho(id), MaxTenantDepth)
	}
	var visit func(t *Tenant) error
	visit = func(t *Tenant) error {
		if i, ok := onPath[t.ID]; ok {
			cycle := make([]string, 0, len(path)-i+1)
			for _, id := range append(path[i:], t.ID) {
				cycle = append(cycle, jsonx.QuoteEcho(id))
			}
			// At the parent that closes the cycle: t, listed by the
			// last tenant of the path.
			k := index[path[len(path)-1]]
			at := fmt.Sprintf("tenants[%d].parents[%d]", k, slices.Index(ts.Tenants[k].Parents, t.ID))
			return pathErrorf(at, "tenant %s is its own ancestor: %s", jsonx.QuoteEcho(t.ID), strings.Join(cycle, " → "))
		}
		if len(path) > MaxTenantDepth { // path[1:] and t are path[0]'s ancestors
			return tooDeep(path[0])
		}
		onPath[t.ID] = len(path)
		path = append(path, t.ID)
		for _, p := range t.Parents {
			if q := byID(p); q != nil && !done[p] {
				if err := visit(q); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		delete(onPath, t.ID)
		stamp++
		seen[t.ID] = stamp
		add := func(a string) {
			if seen[a] != stamp {
				seen[a] = stamp
				t.Chain = append(t.Chain, a)
			}
		}
		for _, p := range t.Parents {
			add(p)
			if q := byID(p); q != nil {
				for _, a := range q.Chain {
					add(a)
				}
			}
		}
		if len(t.Chain) > MaxTenantDepth {
			return tooDeep(t.ID)
		}
		done[t.ID] = true
		return nil
	}
	for i := range ts.Tenants {
		if t := &ts.Tenants[i]; !done[t.ID] {
			if err := visit(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckPolicies checks that every tenant naming a policy names one that
// has (a policy id of the bundle).
func (ts *Tenants) CheckPolicies(has func(id string) bool) error {
	for i, t := range ts.Tenants {
		if t.Policy != "" && !has(t.Policy) {
			return pathErrorf(fmt.Sprintf("tenants[%d].policy", i), "tenant %s names policy %s, which does not exist", jsonx.QuoteEcho(t.ID), jsonx.QuoteEcho(t.Policy))
		}
	}
	return nil
}
