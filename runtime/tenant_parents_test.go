package runtime_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl/runtime"
)

// TestRequestParentsCompleted: the parents an unregistered tenant's
// request names are completed along the registry for the policy too, as
// the selection walks them (each named parent, then its registered
// ancestors, without repeats, nearest first); a registered tenant's are
// the registry's, whatever its request says.
func TestRequestParentsCompleted(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "org.rpl", "package org\n\nfn route(r: Request) -> Decision = to(\"a:b\").because(join(r.tenant.parents, \",\") + \"|\" + (if \"org\" in r.tenant.parents { \"in\" } else { \"out\" }))\n")
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"d:d\").because(join(r.tenant.parents, \",\"))\n")
	writeFile(t, dir, "tenants.json", `{"tenants": [
		{"id": "org"},
		{"id": "deep", "parents": ["org"]},
		{"id": "deeper", "parents": ["deep"]},
		{"id": "side", "parents": ["other"]},
		{"id": "member", "parents": ["deeper"]}
	]}`)
	e := newEngine(t, runtime.Config{})
	load(t, e, dir)
	cases := []struct{ name, tenant, want string }{
		{"no parents", `{"id": "newbie"}`, ""},
		{"one registered parent", `{"id": "newbie2", "parents": ["deep"]}`, "deep,org|in"},
		{"a registered grandparent", `{"id": "n3", "parents": ["deeper"]}`, "deeper,deep,org|in"},
		{"already complete", `{"id": "n4", "parents": ["deep", "org"]}`, "deep,org|in"},
		{"an unregistered parent first", `{"id": "n5", "parents": ["nobody", "deep"]}`, "nobody,deep,org|in"},
		{"repeats dropped", `{"id": "n6", "parents": ["deeper", "deep", "x", "org"]}`, "deeper,deep,org,x|in"},
		{"unregistered parents only", `{"id": "n7", "parents": ["p", "q"]}`, "p,q"},
		{"a registered parent's unregistered ancestor", `{"id": "n8", "parents": ["side", "deep"]}`, "side,other,deep,org|in"},
		{"registered tenant keeps the registry's", `{"id": "member", "parents": ["side"]}`, "deeper,deep,org|in"},
		{"registered tenant with no parents", `{"id": "org", "parents": ["side"]}`, "|out"},
	}
	// Past the length a scan of the list is left for a map.
	var many, manyWant []string
	for i := range 40 {
		many = append(many, `"p`+strconv.Itoa(i)+`"`)
		manyWant = append(manyWant, "p"+strconv.Itoa(i))
	}
	cases = append(cases, struct{ name, tenant, want string }{"many parents",
		`{"id": "n9", "parents": [` + strings.Join(many, ", ") + `, "p3", "deeper", "p39", "org", "deep", "q"]}`,
		strings.Join(manyWant, ",") + ",deeper,deep,org,q|in"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := e.Decide(context.Background(), "", request(t, e, `{"id": "r", "tenant": `+c.tenant+`}`), time.Time{})
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			if got := e.View(o.Decision).Reason(); got != c.want {
				t.Errorf("policy %s saw %q, want %q", o.PolicyID(), got, c.want)
			}
		})
	}
}

// TestRequestParentCompletedWithoutAllocation: completing one registered
// parent allocates nothing more than a parent the registry does not
// know; nor do parents already complete.
func TestRequestParentCompletedWithoutAllocation(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "org.rpl", "package org\n\nfn route(r: Request) -> Decision = to(\"a:b\")\n")
	writeFile(t, dir, "default.rpl", "package default\n\nfn route(r: Request) -> Decision = to(\"d:d\")\n")
	writeFile(t, dir, "tenants.json", `{"tenants": [{"id": "org"}, {"id": "deep", "parents": ["org"]}]}`)
	e := newEngine(t, runtime.Config{})
	load(t, e, dir)
	allocs := func(parents string) float64 {
		body := []byte(`{"request": {"id": "r", "tenant": {"id": "newbie", "parents": ` + parents + `}}}`)
		return testing.AllocsPerRun(50, func() {
			if out, code, _ := e.HandleV2(context.Background(), body, time.Now(), nil, nil); code != "" {
				t.Fatalf("%s: %s", code, out)
			}
		})
	}
	base := allocs(`["nobody"]`)
	if got := allocs(`["deep"]`); got > base {
		t.Errorf("one registered parent: %v allocations, %v for one unregistered", got, base)
	}
	if base2, got := allocs(`["nobody", "none"]`), allocs(`["deep", "org"]`); got > base2 {
		t.Errorf("parents already complete: %v allocations, %v for two unregistered", got, base2)
	}
}
