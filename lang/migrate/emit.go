package migrate

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
)

// Options configure Convert and Generate.
type Options struct {
	// Source names the CP1 file in the generated header comment.
	Source string
	// Package is the RPL package name. Empty means the policy_id, else
	// the base name of Source, made an identifier (PackageName).
	Package string
}

// Convert parses a CP1 policy and generates its RPL source.
func Convert(data []byte, opts Options) ([]byte, error) {
	pol, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return Generate(pol, opts)
}

// rplKeywords may not be package names.
var rplKeywords = map[string]bool{
	"package": true, "import": true, "as": true, "extends": true, "const": true, "type": true,
	"fn": true, "test": true, "let": true, "return": true, "expect": true, "if": true, "else": true,
	"match": true, "in": true, "not": true, "true": true, "false": true, "none": true, "super": true,
}

// PackageName makes s an RPL package name: lower case, runs of other
// characters than letters, digits and _ become _, a leading digit gets a
// p_ prefix, a keyword a _policy suffix.
func PackageName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
			under = r == '_'
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	name := strings.TrimRight(b.String(), "_")
	switch {
	case name == "":
		return "policy"
	case name[0] >= '0' && name[0] <= '9':
		name = "p_" + name
	}
	if rplKeywords[name] {
		name += "_policy"
	}
	return name
}

// Generate writes pol as an RPL policy in canonical layout (lang.Format),
// and checks it: the result always compiles. The policy's route decides
// as the CP1 policy does (see the package documentation for the
// mapping); what RPL cannot express is said in the header comment.
func Generate(pol *Policy, opts Options) ([]byte, error) {
	pkg := opts.Package
	if pkg == "" {
		switch {
		case pol.ID != "":
			pkg = PackageName(pol.ID)
		case opts.Source != "":
			pkg = PackageName(strings.TrimSuffix(filepath.Base(opts.Source), filepath.Ext(opts.Source)))
		default:
			pkg = "policy"
		}
	}
	var w strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }

	// Header.
	from := "a CP1 policy"
	if opts.Source != "" {
		from = filepath.ToSlash(opts.Source)
	}
	id := ""
	if pol.ID != "" {
		id = fmt.Sprintf(" (CP1 policy %q)", pol.ID)
	}
	line("# Migrated by rplc migrate from %s%s.", from, id)
	if d := strings.TrimSpace(pol.Description); d != "" {
		line("#")
		for _, l := range strings.Split(d, "\n") {
			line("# %s", strings.TrimRight(l, " \t\r"))
		}
	}
	if diffs := differences(pol); len(diffs) > 0 {
		line("#")
		line("# Differences from the CP1 policy:")
		for _, d := range diffs {
			comment(&w, d)
		}
	}
	if notes := routerNotes(pol); len(notes) > 0 {
		line("#")
		line("# Enforced by the router, not by this policy:")
		for _, n := range notes {
			comment(&w, n)
		}
	}
	line("package %s", pkg)
	line("")
	breaker := pol.CircuitBreaker != nil && pol.CircuitBreaker.Enabled
	if breaker {
		line(`import "std/health"`)
		line("")
	}

	// Providers.
	src := "providers"
	if pol.LegacyWeights {
		src = "weights (legacy form)"
	}
	para(&w, "CP1 "+src+": each provider gets weight/sum of the requests, drawn from the request id, so a replayed request goes to the same provider.")
	line("const weights = {%s}", entries(pol.Providers, func(p Provider) string { return strconv.Itoa(p.Weight) }))
	line("")
	prio := false
	for _, p := range pol.Providers {
		prio = prio || p.HasPriority
	}
	if prio {
		var with []Provider
		for _, p := range pol.Providers {
			if p.HasPriority {
				with = append(with, p)
			}
		}
		para(&w, fmt.Sprintf("CP1 provider priorities: the decision's priority when that provider is chosen (%d, the default, for the others).", stdlib.DefaultPriority))
		line("const priorities = {%s}", entries(with, func(p Provider) string { return strconv.Itoa(p.Priority) }))
		line("")
	}
	if breaker {
		cb := pol.CircuitBreaker
		cond := "health.healthy(target)"
		what := "whose circuit breaker is open"
		if cb.ErrorRate > 0 {
			cond += " && health.error_rate(target) < " + formatFloat(cb.ErrorRate)
			what += fmt.Sprintf(", or whose error rate reaches %s,", formatFloat(cb.ErrorRate))
		}
		para(&w, "CP1 circuit_breaker: providers "+what+" get no traffic, unless every provider is down; then the weights apply unchanged.")
		line("fn usable(target: string) -> bool = %s", cond)
		line("")
		line("fn share(target: string, weight: int) -> int = if usable(target) { weight } else { 0 }")
		line("")
		line("fn split() -> map[string, int] {")
		line("  let live = {%s}", entries(pol.Providers, func(p Provider) string {
			return fmt.Sprintf("share(%s, %d)", strconv.Quote(p.Name), p.Weight)
		}))
		line("  if sum(values(live)) > 0 { live } else { weights }")
		line("}")
		line("")
	}

	// route.
	for i, f := range pol.Fallbacks {
		if i == 0 {
			line("# Fallbacks, tried in order:")
		}
		at := fmt.Sprintf("fallbacks[%d]", i)
		if pol.LegacyFallback {
			at = "fallback (legacy form)"
		}
		when := "on any error"
		if len(f.Conditions) > 0 {
			when = "when " + strings.Join(f.Conditions, ", ")
		}
		retry := ""
		if f.Retry > 0 {
			retry = ", after " + plural(f.Retry, "retry", "retries")
		}
		comment(&w, fmt.Sprintf("%s: %s %s%s.", at, f.To, when, retry))
	}
	if pol.Sticky != nil && pol.Sticky.Enabled {
		para(&w, fmt.Sprintf("Sticky: requests with the same %s keep their provider for %s.", stickySource(pol.Sticky), lang.FormatDuration(pol.Sticky.TTL)))
	}
	line("fn route(r: Request) -> Decision {")
	pick := "weighted(weights)"
	if breaker {
		pick = "weighted(split())"
	}
	var chain []string
	if prio {
		line("  let d = %s", pick)
		chain = append(chain, fmt.Sprintf("d.priority(priorities[d.target] ?? %d)", stdlib.DefaultPriority))
	} else {
		chain = append(chain, pick)
	}
	for _, f := range pol.Fallbacks {
		args := []string{strconv.Quote(f.To), "on: [" + strings.Join(f.On, ", ") + "]"}
		if f.Retry > 0 {
			args = append(args, fmt.Sprintf("retries: %d", f.Retry))
		}
		if f.Backoff.Base > 0 {
			args = append(args, "backoff: "+lang.FormatDuration(f.Backoff.Base))
		}
		chain = append(chain, ".fallback("+strings.Join(args, ", ")+")")
	}
	if s := pol.Sticky; s != nil && s.Enabled {
		key := "r.session.id"
		if s.SessionKey != "" {
			key = fmt.Sprintf("r.metadata[%s] ?? \"\"", strconv.Quote(s.SessionKey))
		}
		chain = append(chain, fmt.Sprintf(".sticky(%s, ttl: %s)", key, lang.FormatDuration(s.TTL)))
	}
	for _, l := range []struct {
		method string
		exts   []Extension
	}{{"pre", pol.Pre}, {"validate", pol.Validators}, {"post", pol.Post}} {
		for _, e := range l.exts {
			chain = append(chain, fmt.Sprintf(".%s(%s)", l.method, strconv.Quote(e.ID)))
		}
	}
	line("  %s", strings.Join(chain, "\n    "))
	line("}")

	name := pkg + ".rpl"
	out, err := lang.FormatSource(name, []byte(w.String()))
	if err != nil {
		return nil, fmt.Errorf("migrate: generated source does not parse (a bug): %v\n%s", err, w.String())
	}
	u, err := stdlib.Universe()
	if err != nil {
		return nil, err
	}
	if _, diags := lang.CheckSource(&lang.Config{Universe: u, NoTests: true}, name, out); len(diags) > 0 {
		return nil, fmt.Errorf("migrate: generated source does not check (a bug): %v\n%s", diags.Err(), out)
	}
	return out, nil
}

// comment writes a bullet, wrapped at 76 columns.
func comment(w *strings.Builder, text string) { wrap(w, "#   -", "#    ", text) }

// para writes a comment paragraph, wrapped at 76 columns.
func para(w *strings.Builder, text string) { wrap(w, "#", "#", text) }

func wrap(w *strings.Builder, first, rest, text string) {
	cur := first
	for _, word := range strings.Fields(text) {
		if len(cur)+1+len(word) > 76 && len(cur) > len(first) {
			w.WriteString(cur + "\n")
			cur = rest
		}
		cur += " " + word
	}
	w.WriteString(cur + "\n")
}

func entries(ps []Provider, value func(Provider) string) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.Quote(p.Name) + ": " + value(p)
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func stickySource(s *Sticky) string {
	if s.SessionKey == "" {
		return "session id"
	}
	return fmt.Sprintf("metadata %q (no stickiness without it)", s.SessionKey)
}

// differences lists what the RPL policy decides differently.
func differences(pol *Policy) []string {
	var out []string
	for i, f := range pol.Fallbacks {
		at := fmt.Sprintf("fallbacks[%d]", i)
		if pol.LegacyFallback {
			at = "fallback"
		}
		if len(f.Widened) > 0 {
			out = append(out, fmt.Sprintf("%s: status %s becomes http_5xx, which also covers the other 5xx statuses.", at, strings.Join(f.Widened, ", ")))
		}
	}
	return out
}

// routerNotes lists the CP1 settings that the router enforces.
func routerNotes(pol *Policy) []string {
	var out []string
	for i, f := range pol.Fallbacks {
		b := f.Backoff
		if b.exact() {
			continue
		}
		desc := b.Strategy + " backoff from " + lang.FormatDuration(b.Base)
		if b.Max > 0 {
			desc += " up to " + lang.FormatDuration(b.Max)
		}
		if b.Jitter {
			desc += ", with jitter"
		}
		out = append(out, fmt.Sprintf("fallbacks[%d].backoff: %s. The decision records the %s base delay; the growth, cap and jitter are the router's retry settings.", i, desc, lang.FormatDuration(b.Base)))
	}
	if cb := pol.CircuitBreaker; cb != nil {
		if !cb.Enabled {
			out = append(out, "circuit_breaker is disabled: providers are chosen whatever their health.")
		} else {
			var s []string
			if cb.FailureThreshold > 0 {
				s = append(s, fmt.Sprintf("failure_threshold %d", cb.FailureThreshold))
			}
			if cb.Cooldown > 0 {
				s = append(s, "cooldown "+lang.FormatDuration(cb.Cooldown))
			}
			if cb.HalfOpenRequests > 0 {
				s = append(s, fmt.Sprintf("half_open_requests %d", cb.HalfOpenRequests))
			}
			settings := ""
			if len(s) > 0 {
				settings = " (" + strings.Join(s, ", ") + ")"
			}
			out = append(out, "circuit_breaker"+settings+": the router's circuit breakers open and close providers from feedback; this policy reads their state (health.healthy, health.error_rate) and routes around open ones.")
		}
	}
	if rl := pol.RateLimit; rl != nil {
		rate := fmt.Sprintf("%s requests/s", formatRate(rl.PerSecond))
		if rl.PerMinute > 0 {
			rate = fmt.Sprintf("%d requests/min", rl.PerMinute)
		}
		if rl.Scope == "global" {
			rate += " for all requests"
		} else {
			rate += " per " + rl.Scope
		}
		if rl.Burst > 0 {
			rate += fmt.Sprintf(" (burst %d)", rl.Burst)
		}
		out = append(out, fmt.Sprintf("rate_limit: %s, enforced by the router's quotas; a policy cannot count requests.", rate))
	}
	if s := pol.Sticky; s != nil && !s.Enabled {
		out = append(out, "sticky is disabled in the CP1 policy: no session affinity.")
	}
	for _, l := range []struct {
		field string
		exts  []Extension
	}{{"pre", pol.Pre}, {"validators", pol.Validators}, {"post", pol.Post}} {
		for i, e := range l.exts {
			if e.HasConfig {
				out = append(out, fmt.Sprintf("%s[%d].config (%s): extension configuration belongs to the router's extension registry, not to the policy.", l.field, i, e.ID))
			}
		}
	}
	return out
}

func formatRate(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
