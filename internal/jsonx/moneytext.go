package jsonx

import "strings"

// ParseMoneyText reads an amount a JSON string gives as a money literal
// writes it (spec §2.6), its "$" optional and a "-" before it allowed:
// "$0.25", "0.25", "$1_000", "-$5". What no literal writes is malformed:
// space around it (" 1"), a point without a digit on both sides ("1.",
// ".5", "$5."), an exponent ("$1e3", which a number's text may have:
// ParseMoney), a "_" doubled, leading or trailing. Its errors are
// ParseMoney's, of the amount without its "_".
func ParseMoneyText(s string) (int64, error) {
	body, _ := strings.CutPrefix(s, "-")
	body = strings.TrimPrefix(body, "$")
	whole, frac, hasFrac := strings.Cut(body, ".")
	if !digitGroups(whole) || hasFrac && !digitGroups(frac) {
		return 0, moneySyntax(s)
	}
	return ParseMoney(strings.ReplaceAll(s, "_", "")) // s itself without a "_"
}

// digitGroups reports whether s is a literal's digits: at least one, in
// groups a single "_" separates ("8_000").
func digitGroups(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '_' {
			return false
		}
	}
	return true
}
