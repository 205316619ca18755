package loadgen

import "github.com/rpl-lang/rpl/internal/hdr"

// Histogram is an HDR-style histogram of durations (internal/hdr, the
// router's state keeps the same): linear sub-buckets inside logarithmic
// buckets, so every value from 1ns to hours is kept with a relative error
// below 0.8%, in a few kilobytes. Histograms merge (Merge) and travel as
// JSON (Export, Import). It is not safe for concurrent use: give each
// goroutine its own and merge them.
type Histogram = hdr.Histogram

// Exported is a histogram's wire form: the non-empty buckets.
type Exported = hdr.Exported

// NewHistogram returns an empty histogram (hdr.DefaultBits of precision).
func NewHistogram() *Histogram { return hdr.New(hdr.DefaultBits) }

// Import rebuilds a histogram from its wire form, which must come from
// Export: it panics on a malformed one.
func Import(x Exported) *Histogram {
	h, err := hdr.Import(x)
	if err != nil {
		panic("loadgen: " + err.Error())
	}
	return h
}
