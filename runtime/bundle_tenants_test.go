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
	"github.com/rpl-lang/rpl/runtime/state"
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

// deepTenants is a tenants.json whose tenants form chains chains, each
// depth deep: chain c's tenant c.t0 has parent c.t1, …, whose top
// c.t<depth> is on the premium policy's tenant.
func deepTenants(chains, depth int) string {
	var ts []string
	for c := range chains {
		for i := range depth {
			ts = append(ts, fmt.Sprintf(`{"id": "%d.t%d", "parents": ["%d.t%d"]}`, c, i, c, i+1))
		}
		ts = append(ts, fmt.Sprintf(`{"id": "%d.t%d", "policy": "premium"}`, c, depth))
	}
	return `{"tenants": [` + strings.Join(ts, ",\n") + "]}"
}

// TestDeepTenantChain: a tenant at the bottom of a chain as deep as a
// registry may hold (bundle.MaxTenantDepth ancestors) is decided by the
// policy at its top; one more and the directory is refused, naming the
// tenant and the limit.
func TestDeepTenantChain(t *testing.T) {
	e := newEngine(t, runtime.Config{})
	load(t, e, copyDir(t, examples, map[string]string{"tenants.json": deepTenants(1, bundle.MaxTenantDepth)}))
	var o runtime.Outcome
	out, code, _ := e.HandleV2(context.Background(), []byte(`{"request": {"id": "r", "tenant": {"id": "0.t0"}, "task": {"type": "chat"}}}`), time.Now(), nil, &o)
	if code != "" || o.PolicyID() != "premium" {
		t.Fatalf("%s %s: policy %q", code, out, o.PolicyID())
	}
	_, err := e.LoadDir(context.Background(), copyDir(t, examples, map[string]string{"tenants.json": deepTenants(1, bundle.MaxTenantDepth+1)}))
	if want := fmt.Sprintf("tenants.json:1:40: error[RPL217]: tenants[0].parents: tenant \"0.t0\" has more than %d ancestors", bundle.MaxTenantDepth); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a chain one past the limit: %v, want %q", err, want)
	}
}

// BenchmarkLoadDeepTenants: loading registries of deep chains: 200 chains
// at the limit, bundle.MaxTenantDepth tenants above the bottom one (13,000
// tenants, about 200 ms and 84 MB), and one chain 2,000 deep, refused in
// about 15 ms (loaded in 1.4 s and 300 MB before the limit; 12,000 deep,
// 22 s and 3 GB).
func BenchmarkLoadDeepTenants(b *testing.B) {
	for _, c := range []struct{ chains, depth int }{{200, bundle.MaxTenantDepth}, {1, 2000}} {
		b.Run(fmt.Sprintf("%dx%d", c.chains, c.depth), func(b *testing.B) {
			dir := copyDir(b, examples, map[string]string{"tenants.json": deepTenants(c.chains, c.depth)})
			e := newEngine(b, runtime.Config{})
			for b.Loop() {
				if _, err := e.LoadDir(context.Background(), dir); (err == nil) != (c.depth <= bundle.MaxTenantDepth) {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRegistryTenantTooLong: a registry naming a tenant or a parent
// longer than a decide request or feedback takes (runtime.MaxTenantLen)
// is refused when loaded, naming the entry, the id cut as errors cut
// what they repeat, and the limit; the running version stays. Ids of
// exactly MaxTenantLen bytes are registered, decided for and charged.
func TestRegistryTenantTooLong(t *testing.T) {
	e := newEngine(t, runtime.Config{RequireKnownTenant: true, State: state.NewMem(state.Options{})})
	edge, long := strings.Repeat("t", runtime.MaxTenantLen), strings.Repeat("t", runtime.MaxTenantLen+1)
	parent := strings.Repeat("p", runtime.MaxTenantLen)
	registry := func(id, parent string) string {
		return `{"tenants": [{"id": "vip", "policy": "premium"}, {"id": "` + id + `", "parents": ["org", "` + parent + `"]}]}`
	}
	s := load(t, e, copyDir(t, examples, map[string]string{"tenants.json": registry(edge, parent)}))
	req := `{"request": {"id": "r", "tenant": {"id": "` + edge + `"}, "task": {"type": "chat"}}}`
	if out, code, _ := e.HandleV2(context.Background(), []byte(req), time.Now(), nil, nil); code != "" {
		t.Errorf("decide for a registered tenant of %d bytes: %s %s", len(edge), code, out)
	}
	fb := `{"request_id": "r", "tenant_id": "` + edge + `", "target": "openai:gpt-4o", "status": "ok", "cost": "$0.01"}`
	if out, code := e.HandleFeedback([]byte(fb), nil); code != "" {
		t.Errorf("feedback for a registered tenant of %d bytes: %s %s", len(edge), code, out)
	}
	cut := `"` + long[:runtime.MaxEcho] + `…" (257 bytes)`
	for _, c := range []struct{ name, registry, want string }{
		{"id", registry(long, parent), "tenants.json:1:57: error[RPL217]: tenants[1].id: want a tenant id of at most 256 bytes, have " + cut},
		{"parent", registry(edge, long), "tenants.json:1:336: error[RPL217]: tenants[1].parents[1]: want a tenant id of at most 256 bytes, have " + cut},
	} {
		_, err := e.LoadDir(context.Background(), copyDir(t, examples, map[string]string{"tenants.json": c.registry}))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s of %d bytes: %v, want %q", c.name, len(long), err, c.want)
		}
		if e.Current() != s {
			t.Errorf("%s of %d bytes: the running version changed", c.name, len(long))
		}
	}
}

// TestBundleDataRefused: a bundle whose tenant registry or catalogue the
// rules refuse (written without rplc build's checks) is refused by the
// router at its place in the section, the file it was built from byte
// for byte, as rplc check says it of that file.
func TestBundleDataRefused(t *testing.T) {
	res, err := bundle.Build(examples, bundle.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var programs [][]byte
	for _, p := range res.Bundle.Policies {
		programs = append(programs, p.Code)
	}
	e := newEngine(t, runtime.Config{})
	for _, c := range []struct {
		catalogue, tenants []byte
		want               string
	}{
		{nil, []byte(`{"tenants": [{"id": "t", "policy": "nope"}]}`), "b.rplb: bundle tenants: tenants.json:1:36: error[RPL217]: tenants[0].policy: tenant \"t\" names policy \"nope\", which does not exist"},
		{nil, []byte(`{"tenants": [{"id": "t", "policy": "` + strings.Repeat("n", 1000) + `"}]}`), "b.rplb: bundle tenants: tenants.json:1:36: error[RPL217]: tenants[0].policy: tenant \"t\" names policy \"" + strings.Repeat("n", 128) + "…\" (1000 bytes), which does not exist"},
		{nil, []byte(`{"tenants": [{"id": "t", "policy": "no pe"}]}`), `b.rplb: bundle tenants: tenants.json:1:36: error[RPL217]: tenants[0].policy: want a policy id, the package name of a policy (a letter or _, then letters, digits and _; not a keyword), have "no pe"`},
		{[]byte(`{"providers": [{"name": "p"}]}`), nil, "b.rplb: bundle catalogue: catalogue.json:1:16: error[RPL217]: providers[0].models: missing (want a non-empty list)"},
	} {
		data, err := bundle.Write(res.Bundle.Manifest, programs, c.catalogue, c.tenants, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.BuildBundle(context.Background(), "b.rplb", data, bundle.ReadOptions{}); err == nil || err.Error() != c.want {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
}
