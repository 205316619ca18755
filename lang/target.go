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
func TargetProblem(target string) string {
	if len(target) > MaxTargetLen {
		return fmt.Sprintf("longer than %d bytes", MaxTargetLen)
	}
	if !utf8.ValidString(target) {
		return "not UTF-8"
	}
	for _, r := range target {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "it holds spaces or control characters"
		}
	}
	if target == "" {
		return "empty"
	}
	if provider, model, ok := strings.Cut(target, ":"); ok && (provider == "" || model == "") {
		return `want "provider:model", or a provider alone`
	}
	return ""
}
