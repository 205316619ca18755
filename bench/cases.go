package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// Request mirrors the part of RPL's Request schema (stdlib/prelude.rpl)
// that the cases read. The json tags feed rpl's RequestFromJSON, the expr
// tags give expr the same snake_case names, and CELVars derives cel's
// variables from the same value: one source of truth for all engines.
type Request struct {
	ID       string            `json:"id" expr:"id"`
	Tenant   Tenant            `json:"tenant" expr:"tenant"`
	User     User              `json:"user" expr:"user"`
	Session  Session           `json:"session" expr:"session"`
	Task     Task              `json:"task" expr:"task"`
	Model    string            `json:"model" expr:"model"`
	Estimate Estimate          `json:"estimate" expr:"estimate"`
	Metadata map[string]string `json:"metadata" expr:"metadata"`
	Headers  map[string]string `json:"headers" expr:"headers"`
}

type Tenant struct {
	ID      string   `json:"id" expr:"id"`
	Tier    string   `json:"tier" expr:"tier"`
	Parents []string `json:"parents" expr:"parents"`
}

type User struct {
	ID     string   `json:"id" expr:"id"`
	Groups []string `json:"groups" expr:"groups"`
}

type Session struct {
	ID string `json:"id" expr:"id"`
}

type Task struct {
	Type string `json:"type" expr:"type"`
}

type Estimate struct {
	InputTokens  int64 `json:"input_tokens" expr:"input_tokens"`
	OutputTokens int64 `json:"output_tokens" expr:"output_tokens"`
}

// CELVars is r as cel variables: one per top-level field, records as
// map[string]any with int64 numbers, string maps as map[string]string.
func (r *Request) CELVars() map[string]any {
	strs := func(xs []string) []any {
		out := make([]any, len(xs))
		for i, x := range xs {
			out[i] = x
		}
		return out
	}
	md := r.Metadata
	if md == nil {
		md = map[string]string{}
	}
	hd := r.Headers
	if hd == nil {
		hd = map[string]string{}
	}
	return map[string]any{
		"id":       r.ID,
		"tenant":   map[string]any{"id": r.Tenant.ID, "tier": r.Tenant.Tier, "parents": strs(r.Tenant.Parents)},
		"user":     map[string]any{"id": r.User.ID, "groups": strs(r.User.Groups)},
		"session":  map[string]any{"id": r.Session.ID},
		"task":     map[string]any{"type": r.Task.Type},
		"model":    r.Model,
		"estimate": map[string]any{"input_tokens": r.Estimate.InputTokens, "output_tokens": r.Estimate.OutputTokens},
		"metadata": md,
		"headers":  hd,
	}
}

// Case is one benchmark: the same computation written for each engine.
//
// Predicate cases (Target == false) compute a bool; the rpl policy wraps
// it as `fn route(r) = if pred(r) { to("a") } else { to("b") }`. Routing
// cases compute a target string; the rpl policy returns to(<target>).
type Case struct {
	Name string
	// RPL is a complete policy declaring `fn pred(r: Request) -> bool`
	// (or `fn pick(r: Request) -> string` for routing cases) and route.
	RPL string
	// RPLFn, when set, is the policy the rpl_fn engine compiles to reach
	// pick: there route is to(pick(r)), so pick is compiled.
	RPLFn string
	// Expr and CEL are the same computation for expr-lang and cel-go.
	Expr, CEL string
	// Target marks cases whose result is a string (the route target).
	Target bool
	// Bench is the request the benchmark evaluates: chosen so that every
	// clause is evaluated (no early short circuit).
	Bench Request
}

func predPolicy(decls, pred string) string {
	return "package bench\n\n" + decls + "\nfn pred(r: Request) -> bool " + pred + `

fn route(r: Request) -> Decision = if pred(r) { to("a") } else { to("b") }
`
}

// Members is the 50-element constant list of the membership case.
func Members() []string {
	out := make([]string, 50)
	for i := range out {
		out[i] = fmt.Sprintf("tenant-%02d", i)
	}
	return out
}

func quoted(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func baseRequest() Request {
	return Request{
		ID:       "req-1",
		Tenant:   Tenant{ID: "tenant-37", Tier: "gold", Parents: []string{"org-1"}},
		User:     User{ID: "u-42", Groups: []string{"eng"}},
		Session:  Session{ID: "s-9"},
		Task:     Task{Type: "chat"},
		Model:    "anthropic:claude-sonnet",
		Estimate: Estimate{InputTokens: 9000, OutputTokens: 100},
		Metadata: map[string]string{"region": "eu"},
	}
}

// Cases returns the benchmark cases (built once: routing50's bench
// request is searched for among 5000 generated requests).
func Cases() []Case { return cases() }

var cases = sync.OnceValue(func() []Case {
	var cs []Case

	// predicate: four comparisons joined by &&, all true on the bench
	// request so every comparison runs.
	cs = append(cs, Case{
		Name:  "predicate",
		RPL:   predPolicy("", `= r.tenant.tier == "gold" && r.estimate.input_tokens > 8000 && r.task.type == "chat" && r.user.id != ""`),
		Expr:  `tenant.tier == "gold" && estimate.input_tokens > 8000 && task.type == "chat" && user.id != ""`,
		CEL:   `tenant.tier == "gold" && estimate.input_tokens > 8000 && task.type == "chat" && user.id != ""`,
		Bench: baseRequest(),
	})

	// strings: prefix test, lower-casing and substring search. The bench
	// task type is already lower case (the common case): lower scans it
	// and returns it unchanged in all three engines (Go's
	// strings.ToLower and cel's lowerAscii both avoid a copy then).
	strReq := baseRequest()
	strReq.Task.Type = "summarize"
	cs = append(cs, Case{
		Name:  "strings",
		RPL:   predPolicy("", `= r.model.starts_with("anthropic:") && lower(r.task.type).contains("sum")`),
		Expr:  `model startsWith "anthropic:" && lower(task.type) contains "sum"`,
		CEL:   `model.startsWith("anthropic:") && task.type.lowerAscii().contains("sum")`,
		Bench: strReq,
	})

	// membership: a value in a 50-element constant list (hit at index 37).
	members := quoted(Members())
	cs = append(cs, Case{
		Name:  "membership",
		RPL:   predPolicy("const members = "+members+"\n", `= r.tenant.id in members`),
		Expr:  `tenant.id in ` + members,
		CEL:   `tenant.id in ` + members,
		Bench: baseRequest(),
	})

	// map100: build the list 0..n-1 (n = estimate.output_tokens = 100 on
	// the bench request), double every element, test the last. The list
	// depends on the request so that no engine can fold it at compile
	// time; all three pay for building the range and the mapped list.
	cs = append(cs, Case{
		Name: "map100",
		RPL: predPolicy("", `{
  let xs = range(r.estimate.output_tokens).map(x => x * 2)
  len(xs) > 0 && xs[len(xs) - 1] == 198
}`),
		Expr:  `let xs = map(0..(estimate.output_tokens - 1), # * 2); len(xs) > 0 && xs[len(xs) - 1] == 198`,
		CEL:   `cel.bind(xs, lists.range(estimate.output_tokens).map(x, x * 2), size(xs) > 0 && xs[size(xs) - 1] == 198)`,
		Bench: baseRequest(),
	})

	cs = append(cs, routing50())
	return cs
})

// Vocabularies of the generated requests and rules.
var (
	Tiers   = []string{"gold", "platinum", "silver", "bronze", "free"}
	Types   = []string{"chat", "summarize", "code", "embed", "classify", "translate"}
	Regions = []string{"eu", "us", "apac"}
	Sizes   = []int64{1000, 4000, 8000, 16000, 32000}
)

// cond is one clause of a routing rule, rendered for each engine.
type cond struct{ rpl, expr, cel string }

// Rule is one generated routing rule.
type Rule struct {
	conds  []cond
	Target string
}

// Rules50 generates the 50 rules of routing50 deterministically: each has
// one to three clauses over tier, task type, input token estimate and the
// metadata region, in the shape hand-written routing policies take.
func Rules50() []Rule {
	rng := rand.New(rand.NewPCG(50, 50))
	rules := make([]Rule, 50)
	for i := range rules {
		// The first clause keys the rule on tier or task type, as
		// hand-written policies do; up to two more narrow it down.
		first := rng.IntN(2)
		kinds := []int{first}
		for _, k := range rng.Perm(4) {
			if k != first && len(kinds) < 2+rng.IntN(2) {
				kinds = append(kinds, k)
			}
		}
		var cs []cond
		for _, k := range kinds {
			switch k {
			case 0:
				t := Tiers[rng.IntN(len(Tiers))]
				cs = append(cs, cond{fmt.Sprintf("r.tenant.tier == %q", t), fmt.Sprintf("tenant.tier == %q", t), fmt.Sprintf("tenant.tier == %q", t)})
			case 1:
				t := Types[rng.IntN(len(Types))]
				cs = append(cs, cond{fmt.Sprintf("r.task.type == %q", t), fmt.Sprintf("task.type == %q", t), fmt.Sprintf("task.type == %q", t)})
			case 2:
				s := Sizes[rng.IntN(len(Sizes))]
				op := ">"
				if rng.IntN(2) == 0 {
					op = "<="
				}
				cs = append(cs, cond{fmt.Sprintf("r.estimate.input_tokens %s %d", op, s), fmt.Sprintf("estimate.input_tokens %s %d", op, s), fmt.Sprintf("estimate.input_tokens %s %d", op, s)})
			case 3:
				g := Regions[rng.IntN(len(Regions))]
				cs = append(cs, cond{fmt.Sprintf("region == %q", g), fmt.Sprintf("region == %q", g), fmt.Sprintf("region == %q", g)})
			}
		}
		rules[i] = Rule{conds: cs, Target: fmt.Sprintf("model-%02d", i)}
	}
	return rules
}

func (r Rule) render(pick func(cond) string) string {
	parts := make([]string, len(r.conds))
	for i, c := range r.conds {
		parts[i] = pick(c)
	}
	return strings.Join(parts, " && ")
}

// DefaultTarget is routing50's target when no rule matches.
const DefaultTarget = "default"

func routing50() Case {
	rules := Rules50()
	var rp, ex, ce strings.Builder
	// rpl: an if/else-if chain of string targets in pick, and route as
	// the same chain returning to(<constant>) so each decision can be a
	// constant record.
	rp.WriteString("package bench\n\nfn pick(r: Request) -> string {\n  let region = r.metadata[\"region\"] ?? \"\"\n  ")
	for i, ru := range rules {
		if i > 0 {
			rp.WriteString(" else ")
		}
		fmt.Fprintf(&rp, "if %s { %q }", ru.render(func(c cond) string { return c.rpl }), ru.Target)
	}
	fmt.Fprintf(&rp, " else { %q }\n}\n\nfn route(r: Request) -> Decision {\n  let region = r.metadata[\"region\"] ?? \"\"\n", DefaultTarget)
	for _, ru := range rules {
		fmt.Fprintf(&rp, "  if %s { return to(%q) }\n", ru.render(func(c cond) string { return c.rpl }), ru.Target)
	}
	fmt.Fprintf(&rp, "  to(%q)\n}\n", DefaultTarget)

	// expr: let + nested ternaries. A missing map key reads as nil in
	// expr, which compares unequal to every region, as "" does in rpl.
	ex.WriteString("let region = metadata.region;\n")
	// cel: cel.bind + nested conditionals; a missing key reads as "".
	ce.WriteString("cel.bind(region, \"region\" in metadata ? metadata[\"region\"] : \"\",\n")
	for _, ru := range rules {
		fmt.Fprintf(&ex, "%s ? %q :\n", ru.render(func(c cond) string { return c.expr }), ru.Target)
		fmt.Fprintf(&ce, "%s ? %q :\n", ru.render(func(c cond) string { return c.cel }), ru.Target)
	}
	fmt.Fprintf(&ex, "%q", DefaultTarget)
	fmt.Fprintf(&ce, "%q)", DefaultTarget)

	fnSrc := strings.Replace(rp.String(), "fn route(r: Request) -> Decision {", "fn route(r: Request) -> Decision = to(pick(r))\n\nfn route_chain(r: Request) -> Decision {", 1)
	return Case{
		Name:   "routing50",
		RPL:    rp.String(),
		RPLFn:  fnSrc,
		Expr:   ex.String(),
		CEL:    ce.String(),
		Target: true,
		Bench:  routingBenchRequest(rules),
	}
}

// routingBenchRequest is, among many generated requests, the one for
// which routing50 evaluates the most clauses: the policy's worst case.
func routingBenchRequest(rules []Rule) Request {
	best, most := Request{}, -1
	for _, r := range Samples(5000) {
		if _, n := route50(rules, r); n > most {
			best, most = r, n
		}
	}
	return best
}

// RoutingBenchClauses is how many rules and clauses routing50 evaluates
// for its bench request.
func RoutingBenchClauses() (target string, clauses int) {
	rules := Rules50()
	return route50(rules, routingBenchRequest(rules))
}

// Route50 is routing50 in Go, the reference the engines are tested
// against.
func Route50(rules []Rule, r Request) string {
	t, _ := route50(rules, r)
	return t
}

// route50 is Route50 that also counts the clauses evaluated.
func route50(rules []Rule, r Request) (string, int) {
	n := 0
	region := r.Metadata["region"]
	for _, ru := range rules {
		ok := true
		for _, c := range ru.conds {
			n++
			var v bool
			switch {
			case strings.HasPrefix(c.expr, "tenant.tier == "):
				v = fmt.Sprintf("tenant.tier == %q", r.Tenant.Tier) == c.expr
			case strings.HasPrefix(c.expr, "task.type == "):
				v = fmt.Sprintf("task.type == %q", r.Task.Type) == c.expr
			case strings.HasPrefix(c.expr, "region == "):
				v = fmt.Sprintf("region == %q", region) == c.expr
			default:
				var op string
				var n int64
				if _, err := fmt.Sscanf(c.expr, "estimate.input_tokens %s %d", &op, &n); err != nil {
					panic(err)
				}
				if op == ">" {
					v = r.Estimate.InputTokens > n
				} else {
					v = r.Estimate.InputTokens <= n
				}
			}
			if !v {
				ok = false
				break
			}
		}
		if ok {
			return ru.Target, n
		}
	}
	return DefaultTarget, n
}

// Samples returns n deterministic, varied requests for the agreement
// tests: every tier, task type and region, token counts around every
// threshold, missing regions, output token counts from 0 to 200.
func Samples(n int) []Request {
	rng := rand.New(rand.NewPCG(1, 2))
	models := []string{"anthropic:claude-sonnet", "openai:gpt-4o", "anthropic:", "Anthropic:x", ""}
	types := append(append([]string{}, Types...), "Summarize", "SUMMARY", "")
	out := make([]Request, 0, n)
	for i := 0; i < n; i++ {
		r := baseRequest()
		r.ID = fmt.Sprintf("req-%d", i)
		r.Tenant.ID = fmt.Sprintf("tenant-%02d", rng.IntN(70))
		r.Tenant.Tier = Tiers[rng.IntN(len(Tiers))]
		r.Task.Type = types[rng.IntN(len(types))]
		r.Model = models[rng.IntN(len(models))]
		s := Sizes[rng.IntN(len(Sizes))]
		r.Estimate.InputTokens = s + int64(rng.IntN(3)) - 1
		r.Estimate.OutputTokens = int64(rng.IntN(201))
		if rng.IntN(3) == 0 {
			r.User.ID = ""
		}
		if rng.IntN(8) == 0 {
			r.Metadata = nil
		} else {
			r.Metadata = map[string]string{"region": Regions[rng.IntN(len(Regions))]}
		}
		out = append(out, r)
	}
	return out
}
