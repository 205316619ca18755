package lang

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTargetLen is the longest target, in bytes: the router keeps an
// entry per target it hears of.
const MaxTargetLen = 256

// TargetProblem is why target is not a target the router takes, "" when
// it is one: "provider:model", a provider and a model, neither empty; or
// a provider alone, as CP1 policies name them (a policy migrated by rplc
// migrate routes to "openai", reads health.healthy("openai"), and is
// answered provider_id "openai", which its clients' feedback names); at
// most MaxTargetLen bytes, UTF-8, no spaces or control characters. The
// router refuses feedback naming anything else (each target it hears of
// has its own health entry, so junk is refused rather than kept), and
// rplc migrate a CP1 policy naming it.
//
// The decision builtins check every target they are given (to, fallback,
// weighted's), once a decision: ASCII is read a byte at a time, without
// decoding.
func TargetProblem(target string) string {
	if len(target) > MaxTargetLen {
		return fmt.Sprintf("longer than %d bytes", MaxTargetLen)
	}
	if target == "" {
		return "empty"
	}
	for i := 0; i < len(target); i++ {
		if b := target[i]; b >= utf8.RuneSelf {
			if why := runeProblem(target[i:]); why != "" {
				return why
			}
			break
		} else if b <= ' ' || b == 0x7f {
			return "it holds spaces or control characters"
		}
	}
	if provider, model, ok := strings.Cut(target, ":"); ok && (provider == "" || model == "") {
		return `want "provider:model", or a provider alone`
	}
	return ""
}

// runeProblem is TargetProblem's reading of text past its first
// non-ASCII byte.
func runeProblem(s string) string {
	if !utf8.ValidString(s) {
		return "not UTF-8"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "it holds spaces or control characters"
		}
	}
	return ""
}
