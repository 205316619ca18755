package rpl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rpl-lang/rpl"
	"github.com/rpl-lang/rpl/lang"
)

// TestFromJSONNumbersForDurationsAndTimes: a duration given as a number is
// a whole number of milliseconds (1.5 might mean seconds: refused, a
// string saying its unit), and a time given as a number is Unix
// milliseconds, a number below rpl.TimeNumberMin in magnitude (Unix
// seconds' range) refused rather than read as a day of 1970; 0 is the
// epoch.
func TestFromJSONNumbersForDurationsAndTimes(t *testing.T) {
	dur, tm := lang.Typ[lang.Duration], lang.Typ[lang.Time]
	for _, c := range []struct {
		typ  lang.Type
		in   string
		want any    // time.Duration or time.Time when taken
		err  string // else the error
	}{
		{dur, `2000`, 2 * time.Second, ""},
		{dur, `2.0e3`, 2 * time.Second, ""},
		{dur, `"1.5s"`, 1500 * time.Millisecond, ""},
		{dur, `0`, time.Duration(0), ""},
		{dur, `1.5`, nil, `request.constraints.max_latency: want a duration such as "250ms", or a whole number of milliseconds, have 1.5 (a string says its unit: "1.5ms", "1.5s")`},
		{dur, `2e-1`, nil, `have 2e-1 (a string says its unit`},
		{tm, `1764358000000`, time.UnixMilli(1764358000000).UTC(), ""},
		{tm, `0`, time.Unix(0, 0).UTC(), ""},
		{tm, `100000000000`, time.UnixMilli(1e11).UTC(), ""},
		{tm, `-100000000000`, time.UnixMilli(-1e11).UTC(), ""},
		{tm, `1764358000`, nil, `request.constraints.max_latency: want Unix milliseconds, have 1764358000, which looks like Unix seconds (as milliseconds it is 1970-01-21T10:05:58Z): give 1764358000000, or an RFC 3339 time`},
		{tm, `99999999999`, nil, `have 99999999999, which looks like Unix seconds`},
		{tm, `-1`, nil, `have -1, which looks like Unix seconds (as milliseconds it is 1969-12-31T23:59:59.999Z): give -1000,`},
	} {
		v, err := rpl.FromJSONAt(c.typ, []byte(c.in), "request.constraints.max_latency")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, %v; want the error %s", c.in, v, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		switch want := c.want.(type) {
		case time.Duration:
			if v.Duration() != want {
				t.Errorf("%s: %v, want %v", c.in, v.Duration(), want)
			}
		case time.Time:
			if !v.Time().Equal(want) {
				t.Errorf("%s: %v, want %v", c.in, v.Time(), want)
			}
		}
	}
}
