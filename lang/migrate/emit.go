package migrate

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rpl-lang/rpl/compiler"
	"github.com/rpl-lang/rpl/lang"
	"github.com/rpl-lang/rpl/stdlib"
	"github.com/rpl-lang/rpl/vm"
)

// Options configure Convert and Generate.
type Options struct {
	// Source names the CP1 file in the generated header comment.
	Source string
	// Package is the RPL package name. Empty means the policy_id, else
	// the base name of Source, made an identifier (PackageName).
	Package string
}

// Convert parses a CP1 policy and generates its RPL source. Its errors
// are placed in data, Generate's too (Error.Place).
func Convert(data []byte, opts Options) ([]byte, error) {
	pol, err := Parse(data)
	if err != nil {
		return nil, err
	}
	src, err := Generate(pol, opts)
	if list, ok := err.(ErrorList); ok {
		for _, e := range list {
			e.Place(data)
		}
	}
	return src, err
}

// rplKeywords may not be package names.
var rplKeywords = map[string]bool{
	"package": true, "import": true, "as": true, "extends": true, "const": true, "type": true,
	"fn": true, "test": true, "let": true, "return": true, "expect": true, "if": true, "else": true,
	"match": true, "in": true, "not": true, "true": true, "false": true, "none": true, "super": true,
}

// PackageName makes s an RPL package name: lower case, runs of other
// characters than letters, digits and _ become _, a leading digit gets a
// p_ prefix, a keyword a _policy suffix, and so does a name ending in
// _test (NAME_test.rpl is the test file of NAME.rpl, not a policy).
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
	if rplKeywords[name] || strings.HasSuffix(name, "_test") {
		name += "_policy"
	}
	return name
}

// Package is the package name Generate gives pol under opts: opts.Package,
// else the policy_id, else the base name of opts.Source, made an
// identifier; "policy" without any.
func Package(pol *Policy, opts Options) string {
	switch {
	case opts.Package != "":
		return opts.Package
	case pol.ID != "":
		return PackageName(pol.ID)
	case opts.Source != "":
		base := filepath.Base(opts.Source)
		return PackageName(strings.TrimSuffix(base, filepath.Ext(base)))
	}
	return "policy"
}

// MaxBreakerProviders is the most providers a policy with a circuit
// breaker migrates with: its split of the healthy providers is a map
// literal computed at run time, which has at most
// lang.MaxComputedMapEntries entries (RPL320).
const MaxBreakerProviders = lang.MaxComputedMapEntries

// Generate writes pol as an RPL policy in canonical layout (lang.Format),
// then checks and compiles it as rplc build does: the result always
// compiles. The policy's route decides as the CP1 policy does (see the
// package documentation for the mapping); the header comment says where it
// differs and which CP1 settings are not carried over, the Warnings. A
// policy that cannot be migrated (a circuit breaker over more than
// MaxBreakerProviders providers) is an ErrorList, as Parse's errors; an
// Options.Package that is not a package name is an error.
func Generate(pol *Policy, opts Options) ([]byte, error) {
	if opts.Package != "" && PackageName(opts.Package) != opts.Package {
		return nil, fmt.Errorf("migrate: package name %q is not a package name (try %s)", opts.Package, PackageName(opts.Package))
	}
	pkg := Package(pol, opts)
	breaker := pol.CircuitBreaker != nil && pol.CircuitBreaker.Enabled
	if breaker && len(pol.Providers) > MaxBreakerProviders {
		return nil, ErrorList{{Path: "providers", Msg: fmt.Sprintf("%d providers with a circuit breaker: a migrated policy routes around open breakers over at most %d providers (its split of the healthy ones is one map literal, and the VM's operand stack holds 65,536 values); split the policy, or leave out circuit_breaker", len(pol.Providers), MaxBreakerProviders)}}
	}
	var w strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }

	// Header.
	from := "a CP1 policy"
	if opts.Source != "" {
		from = quoteIfNeeded(filepath.ToSlash(opts.Source))
	}
	id := ""
	if pol.ID != "" {
		id = fmt.Sprintf(" (CP1 policy %q)", pol.ID)
	}
	line("# Migrated by rplc migrate from %s%s.", from, id)
	if d := strings.TrimSpace(pol.Description); d != "" {
		line("#")
		for _, l := range strings.Split(d, "\n") {
			line("# %s", escape(strings.TrimRight(l, " \t\r")))
		}
	}
	diffs, dropped := warnings(pol, pkg)
	if len(diffs) > 0 {
		line("#")
		line("# Differences from the CP1 policy:")
		for _, d := range diffs {
			comment(&w, d.String())
		}
	}
	if len(dropped) > 0 {
		line("#")
		line("# Not carried over (neither this policy nor the router enforces them):")
		for _, d := range dropped {
			comment(&w, d.String())
		}
	}
	if notes := notes(pol); len(notes) > 0 {
		line("#")
		line("# Notes:")
		for _, n := range notes {
			comment(&w, n)
		}
	}
	line("package %s", pkg)
	line("")
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
		// The weights are the constant's alone (share reads them), and
		// the function is not named split, which would hide the builtin.
		line("fn share(target: string) -> int = if usable(target) { weights[target] ?? 0 } else { 0 }")
		line("")
		line("fn live_weights() -> map[string, int] {")
		line("  let live = {%s}", entries(pol.Providers, func(p Provider) string {
			return fmt.Sprintf("share(%s)", strconv.Quote(p.Name))
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
		pick = "weighted(live_weights())"
	}
	// sticky comes first: it draws the target a router gives the key, so
	// that the priority below is that target's.
	if s := pol.Sticky; s != nil && s.Enabled {
		key := "r.session.id"
		if s.SessionKey != "" {
			key = fmt.Sprintf("r.metadata[%s] ?? \"\"", strconv.Quote(s.SessionKey))
		}
		pick += fmt.Sprintf(".sticky(%s, ttl: %s)", key, lang.FormatDuration(s.TTL))
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

	return selfCheck(pkg, w.String())
}

// selfCheck formats src, the policy pkg, then checks, compiles and
// verifies it as rplc build does; it reads nothing but src (not the
// working directory, where a pkg.rpl or pkg_test.rpl may lie).
func selfCheck(pkg, src string) ([]byte, error) {
	name := pkg + ".rpl"
	out, err := lang.FormatSource(name, []byte(src))
	if err != nil {
		return nil, fmt.Errorf("migrate: generated source does not parse (a bug): %v\n%s", err, src)
	}
	u, err := stdlib.Universe()
	if err != nil {
		return nil, err
	}
	builtins, err := stdlib.Table()
	if err != nil {
		return nil, err
	}
	cfg := &lang.Config{Universe: u, NoTests: true, Policy: true, NeedRoute: true,
		ReadFile: func(p string) ([]byte, error) {
			if p == name {
				return out, nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}}
	prog, diags := lang.Check(cfg, name)
	if len(diags) > 0 {
		return nil, fmt.Errorf("migrate: generated source does not check (a bug): %v\n%s", diags.Err(), out)
	}
	code, err := compiler.Compile(prog, compiler.Options{Builtins: builtins, NoTests: true})
	if err != nil {
		return nil, fmt.Errorf("migrate: generated source does not compile (a bug): %v", err)
	}
	if _, err := vm.NewProgram(code.Spec, builtins); err != nil {
		return nil, fmt.Errorf("migrate: generated program rejected by the verifier (a bug): %v", err)
	}
	return out, nil
}

// quoteIfNeeded is s, or s quoted when it holds a character that is not
// printable (a newline would end a comment).
func quoteIfNeeded(s string) string {
	if escape(s) != s || strings.ContainsAny(s, "\t") {
		return strconv.Quote(s)
	}
	return s
}

// escape writes the characters of s that are not printable (control
// characters, line and paragraph separators, bidirectional overrides,
// invalid UTF-8) as Go escapes, so that text from a CP1 policy stays on
// its comment line and shows what it holds.
func escape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// comment writes a bullet, wrapped at 76 columns.
func comment(w *strings.Builder, text string) { wrap(w, "#   -", "#    ", text) }

// para writes a comment paragraph, wrapped at 76 columns.
func para(w *strings.Builder, text string) { wrap(w, "#", "#", text) }

func wrap(w *strings.Builder, first, rest, text string) {
	text = escape(text)
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
		return "session id (which CP1 requests do not carry)"
	}
	return fmt.Sprintf("metadata %q (no stickiness without it)", s.SessionKey)
}

// A Warning is what a CP1 policy's clients or authors must know of its
// migration: where the RPL policy decides differently, or a CP1 setting
// that is not carried over. Path is the JSON path of what it is about.
type Warning struct {
	Path string
	Msg  string
	// Line and Col place the value at Path in the document, as an
	// Error's (Place): 0 until placed, and String does not say them.
	Line, Col int
}

func (w Warning) String() string { return w.Path + ": " + w.Msg }

// Place sets w.Line and w.Col to the position in data, the document w is
// about, of the value at w.Path, or of the nearest one on its way that
// the document holds (the object that lacks a setting), as Error.Place
// places an error.
func (w *Warning) Place(data []byte) {
	w.Line, w.Col = placePath(data, w.Path, false)
}

// Warnings lists the differences and the settings not carried over that
// Generate's header comment lists, in its order, for the package name
// that opts gives.
func Warnings(pol *Policy, opts Options) []Warning {
	diffs, dropped := warnings(pol, Package(pol, opts))
	return append(diffs, dropped...)
}

// warnings works out the Warnings of pol migrated as package pkg, for
// Generate's header and for Warnings: diffs, where the RPL policy
// decides differently, and dropped, the CP1 settings it does not carry
// over.
func warnings(pol *Policy, pkg string) (diffs, dropped []Warning) {
	diff := func(path, format string, args ...any) {
		diffs = append(diffs, Warning{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	drop := func(path, format string, args ...any) {
		dropped = append(dropped, Warning{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if pol.ID != "" && pol.ID != pkg {
		diff("policy_id", "the policy is now %s: CP1 clients must send policy_id %q, not %q (which gets policy_not_found).", pkg, pkg, pol.ID)
	}
	for i, f := range pol.Fallbacks {
		at := fmt.Sprintf("fallbacks[%d]", i)
		if pol.LegacyFallback {
			at = "fallback"
		}
		if len(f.Widened) > 0 {
			diff(at, "status %s becomes http_5xx, which also covers the other 5xx statuses.", strings.Join(f.Widened, ", "))
		}
	}
	if s := pol.Sticky; s != nil && s.Enabled && s.SessionKey == "" {
		diff("sticky.session_key", "absent: requests stick by r.session.id, which v2 requests carry and CP1 requests do not (a CP1 DecideRequest has no session), so CP1 clients' requests are never sticky; give session_key, the metadata key that holds their session, to make them sticky.")
	}
	for i, f := range pol.Fallbacks {
		if pol.LegacyFallback {
			break
		}
		at := fmt.Sprintf("fallbacks[%d].backoff", i)
		b := f.Backoff
		base := lang.FormatDuration(b.Base)
		if b.Strategy != "fixed" {
			drop(at+".strategy", "%s: the retries wait the fixed base delay, %s, each time (RPL's backoff).", b.Strategy, base)
			if b.Max > 0 {
				drop(at+".max_ms", "%d: no delay grows to a cap.", b.Max.Milliseconds())
			}
		}
		if b.Jitter {
			drop(at+".jitter", "true: the %s delay is not randomized.", base)
		}
	}
	if cb := pol.CircuitBreaker; cb != nil && cb.Enabled {
		const why = "the router's circuit breakers use fixed settings of their own (see health.healthy)."
		if cb.FailureThreshold > 0 {
			drop("circuit_breaker.failure_threshold", "%d: %s", cb.FailureThreshold, why)
		}
		if cb.HasCooldown {
			drop("circuit_breaker.cooldown_ms", "%d: %s", cb.Cooldown.Milliseconds(), why)
		}
		if cb.HalfOpenRequests > 0 {
			drop("circuit_breaker.half_open_requests", "%d: %s", cb.HalfOpenRequests, why)
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
		drop("rate_limit", "%s: a policy cannot count requests, and the router has no quotas: requests are not limited.", rate)
	}
	for _, l := range []struct {
		field string
		exts  []Extension
	}{{"pre", pol.Pre}, {"validators", pol.Validators}, {"post", pol.Post}} {
		for i, e := range l.exts {
			if e.HasConfig {
				drop(fmt.Sprintf("%s[%d].config", l.field, i), "the configuration of extension %q: an RPL policy names the extension only, and the router has no extension registry to hold it.", e.ID)
			}
		}
	}
	return diffs, dropped
}

// notes are what the header says besides the warnings: how the policy
// carries a CP1 setting where that is not plain from the code.
func notes(pol *Policy) []string {
	var out []string
	if cb := pol.CircuitBreaker; cb != nil {
		if !cb.Enabled {
			out = append(out, "circuit_breaker is disabled: providers are chosen whatever their health.")
		} else {
			out = append(out, "circuit_breaker: this policy reads the state of the router's circuit breakers, which open and close providers from feedback (health.healthy, health.error_rate), and routes around open ones.")
		}
	}
	if s := pol.Sticky; s != nil && !s.Enabled {
		out = append(out, "sticky is disabled in the CP1 policy: no session affinity.")
	}
	return out
}

func formatRate(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
