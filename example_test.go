package rpl_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/rpl-lang/rpl"
)

// Build an environment once, compile a policy once, then decide many
// requests concurrently with the same Program.
func Example() {
	env, err := rpl.NewEnv(rpl.WithLimits(rpl.Limits{Fuel: 100_000}))
	if err != nil {
		log.Fatal(err)
	}
	prog, err := env.CompileSource("premium.rpl", []byte(`package premium

fn route(r: Request) -> Decision {
  if r.tenant.tier == "gold" && r.estimate.input_tokens > 8_000 {
    return to("anthropic:claude-sonnet").because("long prompt, gold tier")
  }
  to("openai:gpt-4o-mini")
}
`))
	if err != nil {
		log.Fatal(err)
	}
	req, err := prog.RequestFromJSON([]byte(`{"id": "r-1", "tenant": {"id": "acme", "tier": "gold"}, "estimate": {"input_tokens": 9000}}`))
	if err != nil {
		log.Fatal(err)
	}
	res, err := prog.Decide(context.Background(), req, rpl.DefaultInput(time.Now(), "r-1"))
	if err != nil {
		log.Fatal(err)
	}
	d := rpl.ToGo(prog.DecisionType(), res.Value).(map[string]any)
	fmt.Println(d["target"], "-", d["reason"])
	// Output: anthropic:claude-sonnet - long prompt, gold tier
}

// Compile errors are diagnostics with positions, codes and suggestions.
func ExampleEnv_CompileSource_errors() {
	env, err := rpl.NewEnv()
	if err != nil {
		log.Fatal(err)
	}
	_, err = env.CompileSource("typo.rpl", []byte("package typo\nfn route(r: Request) -> Decision = to(r.modle)\n"))
	fmt.Println(err)
	// Output: typo.rpl:2:41: error[RPL202]: Request has no field modle (did you mean model?)
}
