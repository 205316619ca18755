// Package durtext writes durations as RPL duration literals: a sum of
// units, largest first (2d, 1h30m, 250ms, 1s500ms, 0s, -2m). It is the
// one writer of that text, for the language (lang), the values' String
// (vm: string(d), a failed expect) and the runtime's JSON encoders.
package durtext

import (
	"strconv"
	"time"
)

// Units are the units of duration literals, largest first: the one table
// that parsing, formatting and the runtime's JSON codecs read. A day is
// 24 hours. "µs" is also accepted for "us" (lang).
var Units = [...]struct {
	Name string
	D    time.Duration
}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}, {"us", time.Microsecond}, {"ns", time.Nanosecond}}

// Append appends d's literal to buf, without fmt (the runtime's encoders
// write a duration into every decision with a fallback).
func Append(buf []byte, d time.Duration) []byte {
	if d == 0 {
		return append(buf, "0s"...)
	}
	u := uint64(d)
	if d < 0 {
		buf = append(buf, '-')
		u = -u // math.MinInt64 too: its magnitude fits in a uint64
	}
	for _, unit := range Units {
		if n := uint64(unit.D); u >= n {
			buf = strconv.AppendUint(buf, u/n, 10)
			buf = append(buf, unit.Name...)
			u %= n
		}
	}
	return buf
}
