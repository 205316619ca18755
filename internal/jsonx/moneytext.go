package jsonx

import (
	"strings"

	"github.com/rpl-lang/rpl/lang"
)

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
	if !lang.ValidDigits(whole) || hasFrac && !lang.ValidDigits(frac) {
		return 0, moneySyntax(s)
	}
	return ParseMoney(strings.ReplaceAll(s, "_", "")) // s itself without a "_"
}
