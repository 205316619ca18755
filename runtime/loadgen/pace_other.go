//go:build !linux

package loadgen

import "time"

type pacer struct{}

func newPacer() *pacer { return &pacer{} }

func (p *pacer) close() {}

func (p *pacer) until(start time.Time, at time.Duration) {
	if d := at - time.Since(start); d > 0 {
		time.Sleep(d)
	}
}
