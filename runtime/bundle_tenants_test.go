package runtime_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/compiler/bundle"
	"github.com/rpl-lang/rpl/runtime"
)

// TestBundleTenants: a bundle built from a directory with tenants.json
// carries the registry and decides like the directory: a registered
// tenant's own policy and tier, a parent's and a grandparent's policy,
// and with RequireKnownTenant a registered tenant is served and an
// unregistered one is unauthorized. The snapshot's bundle bytes (the last
// good copy the router persists) carry the registry too.
func TestBundleTenants(t *testing.T) {
	dir := copyDir(t, examples, map[string]string{"tenants.json": `{"tenants": [
		{"id": "acme-research-1", "tier": "gold", "parents": ["team_acme_research", "org_acme"]},
		{"id": "acme-sales", "parents": ["org_acme"]},
		{"id": "vip", "tier": "platinum", "policy": "premium", "budget": {"monthly": "$500"}},
		{"id": "alice", "parents": ["team"]},
		{"id": "team", "parents": ["org"]},
		{"id": "org", "policy": "org_acme"}
	]}`})
	res, err := bundle.Build(dir, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fromBundle := func(t *testing.T, cfg runtime.Config, data []byte) (*runtime.Engine, *runtime.Snapshot) {
		t.Helper()
		e := newEngine(t, cfg)
		s, err := e.LoadBundle(ctx, "tenants.rplb", data, bundle.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return e, s
	}
	for _, strict := range []bool{false, true} {
		cfg := runtime.Config{RequireKnownTenant: strict}
		de := newEngine(t, cfg)
		load(t, de, dir)
		be, bs := fromBundle(t, cfg, res.Data)
		// The last good copy: the snapshot's bundle bytes, loaded again.
		le, _ := fromBundle(t, cfg, bs.Bundle())
		if alice, _ := bs.Tenant("alice"); alice == nil || !slices.Equal(alice.Parents, []string{"team", "org"}) || alice.Policy != "" {
			t.Errorf("bundle: alice %+v, want the parents chain [team org]", alice)
		}
		if vip, _ := bs.Tenant("vip"); vip == nil || vip.Tier != "platinum" || vip.Policy != "premium" || vip.Budget.Monthly != "$500" {
			t.Errorf("bundle: vip %+v", vip)
		}
		cases := []struct {
			name, req, wantPolicy, wantTarget string
			wantCode                          runtime.Code
		}{
			{"own policy and tier", `{"id": "r1", "tenant": {"id": "vip"}, "estimate": {"input_tokens": 10000}}`, "premium", "anthropic:claude-sonnet", ""},
			{"parent's policy", `{"id": "r2", "tenant": {"id": "acme-sales"}, "task": {"type": "chat"}}`, "org_acme", "openai:gpt-4o-mini", ""},
			{"nearest parent first", `{"id": "r3", "tenant": {"id": "acme-research-1"}, "task": {"type": "chat"}}`, "team_acme_research", "anthropic:claude-sonnet", ""},
			{"grandparent's policy", `{"id": "r4", "tenant": {"id": "alice"}, "task": {"type": "chat"}}`, "org_acme", "openai:gpt-4o-mini", ""},
			{"unregistered", `{"id": "r5", "tenant": {"id": "t-9"}, "task": {"type": "chat"}}`, "default", "openai:gpt-4o-mini", ""},
		}
		if strict {
			cases[len(cases)-1].wantCode = runtime.CodeUnauthorized
		}
		for _, c := range cases {
			for _, x := range []struct {
				name string
				e    *runtime.Engine
			}{{"directory", de}, {"bundle", be}, {"last good bundle", le}} {
				o := x.e.Decide(ctx, "", request(t, x.e, c.req), time.Time{})
				if c.wantCode != "" {
					if o.Err == nil || o.Err.Code != c.wantCode {
						t.Errorf("strict=%v %s, %s: err %v, want %s", strict, c.name, x.name, o.Err, c.wantCode)
					}
					continue
				}
				if o.Err != nil {
					t.Errorf("strict=%v %s, %s: %v", strict, c.name, x.name, o.Err)
					continue
				}
				if got := x.e.View(o.Decision).Target(); o.PolicyID() != c.wantPolicy || got != c.wantTarget {
					t.Errorf("strict=%v %s, %s: %s → %s, want %s → %s", strict, c.name, x.name, o.PolicyID(), got, c.wantPolicy, c.wantTarget)
				}
			}
		}
	}
}

// deepTenants is a tenants.json whose tenants form one chain n deep
// (t0's parent t1, …), the last one on the default policy's tenant.
func deepTenants(n int) string {
	var b strings.Builder
	b.WriteString(`{"tenants": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id": "t%d", "parents": ["t%d"]}`, i, i+1)
	}
	fmt.Fprintf(&b, `, {"id": "t%d", "policy": "premium"}]}`, n)
	return b.String()
}

// TestDeepTenantChain: a tenant at the bottom of a 300-deep chain is
// decided by the policy at its top, and the snapshot loads.
func TestDeepTenantChain(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, copyDir(t, examples, map[string]string{"tenants.json": deepTenants(300)}))
	var o runtime.Outcome
	out, code, _ := e.HandleV2(context.Background(), []byte(`{"request": {"id": "r", "tenant": {"id": "t0"}, "task": {"type": "chat"}}}`), time.Now(), nil, &o)
	if code != "" || o.PolicyID() != "premium" {
		t.Fatalf("%s %s: policy %q", code, out, o.PolicyID())
	}
}

// BenchmarkLoadDeepTenants: loading a registry whose tenants form a chain
// 2,000 deep (each tenant's chain was built by searching the chain so
// far: cubic in the depth).
func BenchmarkLoadDeepTenants(b *testing.B) {
	dir := copyDir(b, examples, map[string]string{"tenants.json": deepTenants(2000)})
	e := newEngine(b, runtime.Config{})
	for b.Loop() {
		if _, err := e.LoadDir(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
}
