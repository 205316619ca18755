package httpx

// The live state's admin views, read-only and guarded as /v2/policies is
// (Config.AdminToken):
//
//	GET /v2/targets[?after=TARGET]  each target's provider health, as the decisions read it
//	GET /v2/spend?tenant=ID          a tenant's spend today and this month (UTC), and its budget
//
// Both say what this router learned from the feedback it received since
// it started: routers do not share their state, and a restart forgets it.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/internal/jsonx"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/runtime"
	"github.com/rpl-lang/rpl/runtime/state"
)

// MaxTargetsListed is the most targets one GET /v2/targets answer lists;
// the next are asked with after, the last target listed ("next").
const MaxTargetsListed = 1000

// targetLister is a live state that lists its targets' health
// (state.Mem).
type targetLister interface{ Targets() []state.TargetStats }

// spendReader is a live state that keeps tenants' spend (state.Mem).
type spendReader interface {
	MonthSpend(tenant string, at time.Time) int64
	DaySpend(tenant string, at time.Time) int64
}

// targetsView is GET /v2/targets's answer: the targets sorted by name,
// at most MaxTargetsListed after the one asked; total counts them all,
// and next, when more follow, is the after that lists them.
type targetsView struct {
	Targets []state.TargetStats `json:"targets"`
	Total   int                 `json:"total"`
	Next    string              `json:"next,omitempty"`
}

// query is the request's query parameters, refusing (400, false) one
// that is not among known, one given twice, and a query that does not
// parse.
func query(w http.ResponseWriter, r *http.Request, known ...string) (map[string]string, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		adminError(w, http.StatusBadRequest, string(runtime.CodeInvalidRequest), fmt.Errorf("query: %v", err))
		return nil, false
	}
	out := make(map[string]string, len(q))
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(known, k):
			want := "takes no query parameter"
			if len(known) > 0 {
				want = "takes " + strings.Join(known, ", ")
			}
			adminError(w, http.StatusBadRequest, string(runtime.CodeInvalidRequest), fmt.Errorf("query: unknown parameter %s (%s %s)", jsonx.QuoteEcho(k), r.URL.Path, want))
			return nil, false
		case len(q[k]) > 1:
			adminError(w, http.StatusBadRequest, string(runtime.CodeInvalidRequest), fmt.Errorf("query: %s given %d times", k, len(q[k])))
			return nil, false
		case !utf8.ValidString(q[k][0]):
			// As a request's strings: %ff looked up the bytes, and the
			// answer named "\ufffd", another tenant.
			adminError(w, http.StatusBadRequest, string(runtime.CodeInvalidRequest), fmt.Errorf("query: %s is not UTF-8", k))
			return nil, false
		}
		out[k] = q[k][0]
	}
	return out, true
}

// errNoState answers an engine without a live state (none configured).
func errNoState(w http.ResponseWriter) {
	adminError(w, http.StatusNotFound, "no_state", errors.New("the router keeps no live state (provider health, spend)"))
}

// targets is GET /v2/targets: each target's provider health as the
// router's decisions read it (requests, errors, error rate, latency
// median and p99, breaker), sorted by target, at most MaxTargetsListed
// after the target ?after names.
func (s *Server) targets(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "after")
	if !ok {
		return
	}
	lister, ok := s.e.LiveState().(targetLister)
	if !ok {
		errNoState(w)
		return
	}
	all := lister.Targets()
	i := 0
	if after, ok := q["after"]; ok {
		i, _ = slices.BinarySearchFunc(all, after, func(t state.TargetStats, name string) int { return strings.Compare(t.Target, name) })
		if i < len(all) && all[i].Target == after {
			i++
		}
	}
	v := targetsView{Targets: all[i:], Total: len(all)}
	if len(v.Targets) > MaxTargetsListed {
		v.Targets = v.Targets[:MaxTargetsListed]
		v.Next = v.Targets[MaxTargetsListed-1].Target
	}
	writeJSON(w, http.StatusOK, v)
}

// spendView is GET /v2/spend's answer. Money is a literal, "$12.50".
type spendView struct {
	Tenant string `json:"tenant"`
	// Day and Month are the UTC day and month of At, the router's
	// clock.
	At    time.Time `json:"at"`
	Day   string    `json:"day"`
	Month string    `json:"month"`
	// Registered says whether the active version's tenants.json holds
	// the tenant; Budget is its budget there (a limit not given is
	// omitted, a tenant without one reads {}), nil for a tenant not
	// registered. A parent's budget and spend are its own: the router
	// adds no child's spend to its parents'.
	Registered bool        `json:"registered"`
	Budget     *budgetView `json:"budget"`
	Parents    []string    `json:"parents,omitempty"`
}

type budgetView struct {
	Monthly string `json:"monthly,omitempty"`
	Daily   string `json:"daily,omitempty"`
}

// spend is GET /v2/spend?tenant=ID: the feedback costs this router
// charged the tenant today and this month (UTC), what cost.day_spend and
// cost.month_spend read, and the budget tenants.json gives it.
func (s *Server) spend(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "tenant")
	if !ok {
		return
	}
	tenant, given := q["tenant"]
	switch {
	case !given || tenant == "":
		adminError(w, http.StatusBadRequest, string(runtime.CodeInvalidRequest), errors.New("query: tenant is required (GET /v2/spend?tenant=ID)"))
		return
	case len(tenant) > runtime.MaxTenantLen:
		adminError(w, http.StatusBadRequest, string(runtime.CodeInvalidRequest), fmt.Errorf("query: tenant: longer than %d bytes", runtime.MaxTenantLen))
		return
	}
	ledger, ok := s.e.LiveState().(spendReader)
	if !ok {
		errNoState(w)
		return
	}
	now := time.Now().UTC()
	v := spendView{Tenant: tenant, At: now, Day: lang.FormatMoney(ledger.DaySpend(tenant, now)), Month: lang.FormatMoney(ledger.MonthSpend(tenant, now))}
	if snap := s.e.Current(); snap != nil {
		if t, ok := snap.Tenant(tenant); ok {
			v.Registered, v.Budget, v.Parents = true, &budgetView{}, t.Parents
			// Validated when the version loaded (they parse): shown as
			// money, whatever way tenants.json wrote them.
			if n, err := runtime.ParseMoney(t.Budget.Monthly); err == nil && t.Budget.Monthly != "" {
				v.Budget.Monthly = lang.FormatMoney(n)
			}
			if n, err := runtime.ParseMoney(t.Budget.Daily); err == nil && t.Budget.Daily != "" {
				v.Budget.Daily = lang.FormatMoney(n)
			}
		}
	}
	writeJSON(w, http.StatusOK, v)
}
