// Package loadgen measures request-reply latency and throughput under an
// open-loop load: requests are sent on a fixed schedule (a steady offered
// rate) whatever the server does, and each request's latency is measured
// from the time it was scheduled to be sent, so a server that stalls is
// charged for every request that should have been sent meanwhile
// (coordinated omission avoided). The time from the actual send is kept
// too (Service), and the lateness of each send after its schedule (Late),
// which separate the generator's own lateness from the server's. A
// max-throughput mode keeps a fixed number of requests in flight instead
// and reports the rate achieved.
//
// Each run starts from a collected heap (runtime.GC before the warmup),
// so that garbage left by a previous run, of another setup, is not
// collected during this one, then at a given point of the collector's
// cycle (Options.Phase), as a process under a steady load would be.
//
// Two drivers: RunSync for in-process calls (one pacer per worker, the
// call made inline, no hand-off), RunNATS for NATS request-reply
// (one publisher on the schedule, one reply subscription, so no
// goroutine waits for a reply and the send schedule never slows down).
// A pacer sleeps or spins until each send is due (Pace). Probe measures
// the machine itself: the pauses that a thread which never blocks sees,
// the floor under the tails of requests in flight across them.
package loadgen

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Options configure one run.
type Options struct {
	// Rate is the offered rate in requests per second; 0 means
	// max-throughput mode.
	Rate float64
	// Duration is the measured period; Warmup precedes it and is not
	// recorded.
	Duration, Warmup time.Duration
	// Workers is the number of goroutines of RunSync (0: GOMAXPROCS).
	Workers int
	// Window is the number of requests in flight in max-throughput mode
	// of RunNATS (0: 256).
	Window int
	// Grace bounds the wait for replies after the last send (0: 2s).
	Grace time.Duration
	// Pace is how the generator waits for each send in rate mode.
	Pace Pace
	// Phase is the point of the collector's cycle the run starts at,
	// in [0, 1): the generator collects the heap, then allocates (and
	// drops) that share of what the process may allocate before its
	// next collection (see settle). 0 starts from the collected heap.
	Phase float64
	// Started, if set, is called once the generator has collected the
	// heap (and allocated for Phase), just before the warmup's first
	// send: where a caller reads what the run costs its process
	// (collections, allocations, CPU time), the generator's own
	// collection is not part of it.
	Started func()
}

// Result is the outcome of one run.
type Result struct {
	Setup    string        `json:"setup"`
	Mode     string        `json:"mode"`         // "rate" or "max"
	Pace     string        `json:"pace"`         // "sleep" or "spin" (rate mode)
	Offered  float64       `json:"offered_rps"`  // the schedule's rate, 0 in max mode
	Sent     uint64        `json:"sent"`         // requests scheduled in the measured period
	Total    uint64        `json:"total_sent"`   // requests sent, the warmup's and errors included
	OK       uint64        `json:"ok"`           // answered successfully
	Errors   uint64        `json:"errors"`       // answered with an error
	Lost     uint64        `json:"lost"`         // not answered within the grace period
	Duration time.Duration `json:"duration_ns"`  // the measured period
	Achieved float64       `json:"achieved_rps"` // OK / Duration
	// Latency is measured from each request's scheduled send time;
	// Service from its actual send; Late is the actual send's delay after
	// the schedule (the generator's own lateness, part of Latency).
	Latency *Histogram `json:"-"`
	Service *Histogram `json:"-"`
	Late    *Histogram `json:"-"`
	// FirstError is the first error seen, for diagnosis.
	FirstError string `json:"first_error,omitempty"`
	// StealPct, GCs, AllocsPerReq and BytesPerReq are what happened
	// around the run, recorded by the caller: the share of the machine's
	// CPU time taken by the hypervisor, and the server process's garbage
	// collections and heap allocations per request.
	StealPct     float64 `json:"steal_pct"`
	GCs          uint32  `json:"gc_cycles"`
	AllocsPerReq float64 `json:"allocs_per_request"`
	BytesPerReq  float64 `json:"bytes_per_request"`
	// CPUPerReqUS is the server process's CPU time (user and system,
	// every thread) per request, in microseconds, also recorded by the
	// caller: 0 when not measured, or when the generator, in that process,
	// spins (PaceSpin), its own time being in it. The figures per request
	// are over every request sent from Started on (Total: the warmup's
	// too, and those answered with an error).
	CPUPerReqUS float64 `json:"cpu_us_per_request,omitempty"`
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Window <= 0 {
		o.Window = 256
	}
	if o.Grace <= 0 {
		o.Grace = 2 * time.Second
	}
}

// result is an empty result of a run with o.
func (o *Options) result(setup string) Result {
	r := Result{Setup: setup, Mode: "max", Offered: o.Rate, Duration: o.Duration, Latency: NewHistogram(), Service: NewHistogram(), Late: NewHistogram()}
	if o.Rate > 0 {
		r.Mode, r.Pace = "rate", o.Pace.String()
	}
	return r
}

// RunSync runs calls made by newCall (one call function per worker, so
// that each can own its buffers) on the schedule. In rate mode worker w
// sends requests w, w+W, w+2W… of one schedule at the offered rate, each
// inline when due (a late call delays the worker's next ones, and those
// are charged from their scheduled time); in max mode each worker calls in
// a loop.
func RunSync(setup string, o Options, newCall func(worker int) func(i int) error) Result {
	o.defaults()
	type acc struct {
		lat, svc, late      *Histogram
		total, sent, ok, ko uint64
		first               string
	}
	accs := make([]acc, o.Workers)
	calls := make([]func(int) error, o.Workers)
	for w := range calls {
		calls[w] = newCall(w)
		accs[w] = acc{lat: NewHistogram(), svc: NewHistogram(), late: NewHistogram()}
	}
	settle(o.Phase)
	if o.Started != nil {
		o.Started()
	}
	total := o.Warmup + o.Duration
	var wg sync.WaitGroup
	start := time.Now().Add(time.Millisecond)
	for w := range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spinning workers keep their threads, and do not yield
			// while a processor is left for the rest of the process.
			yield := o.Workers >= runtime.GOMAXPROCS(0)
			if o.Pace == PaceSpin && !yield {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			p := newPacer(o.Pace, yield)
			defer p.close()
			a := &accs[w]
			call := calls[w]
			for k := 0; ; k++ {
				i := k*o.Workers + w
				var due time.Duration
				if o.Rate > 0 {
					due = time.Duration(float64(i) * 1e9 / o.Rate)
					if due >= total {
						return
					}
					p.until(start, due)
				}
				t0 := time.Since(start)
				if o.Rate <= 0 {
					if t0 >= total {
						return
					}
					due = t0
				}
				err := call(i)
				t1 := time.Since(start)
				a.total++
				if due < o.Warmup {
					continue
				}
				a.sent++
				a.late.Record(t0 - due)
				if err != nil {
					a.ko++
					if a.first == "" {
						a.first = err.Error()
					}
					continue
				}
				a.ok++
				a.lat.Record(t1 - due)
				a.svc.Record(t1 - t0)
			}
		}()
	}
	wg.Wait()
	r := o.result(setup)
	for _, a := range accs {
		r.Total += a.total
		r.Sent += a.sent
		r.OK += a.ok
		r.Errors += a.ko
		r.Latency.Merge(a.lat)
		r.Service.Merge(a.svc)
		r.Late.Merge(a.late)
		if r.FirstError == "" {
			r.FirstError = a.first
		}
	}
	r.Achieved = float64(r.OK) / o.Duration.Seconds()
	return r
}

// RunNATS sends requests to subject on nc on the schedule, bodies used
// in turn, and collects the replies on one subscription. ok tells a
// successful reply from an error reply. The reply subject of each request
// carries its scheduled and actual send times (inbox.<sched ns>.<sent ns>,
// offsets from the start), so nothing is stored per request.
func RunNATS(setup string, nc *nats.Conn, subject string, bodies [][]byte, ok func([]byte) bool, o Options) (Result, error) {
	o.defaults()
	if len(bodies) == 0 {
		return Result{}, errors.New("loadgen: no request bodies")
	}
	r := o.result(setup)
	total := o.Warmup + o.Duration
	inbox := nats.NewInbox()
	var sem chan struct{}
	if o.Rate <= 0 {
		sem = make(chan struct{}, o.Window)
	}
	var start time.Time
	c := &collector{prefix: len(inbox) + 1, warmup: o.Warmup, ok: ok, lat: r.Latency, svc: r.Service}
	sub, err := nc.Subscribe(inbox+".>", func(m *nats.Msg) {
		now := time.Since(start)
		if sem != nil {
			select {
			case <-sem:
			default:
			}
		}
		c.reply(m.Subject, m.Data, m.Header.Get("Status"), now)
	})
	if err != nil {
		return r, err
	}
	defer sub.Unsubscribe()
	sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		return r, err
	}
	buf := make([]byte, 0, 128)
	msg := &nats.Msg{Subject: subject}
	var measured uint64
	late := NewHistogram() // the sender's, merged at the end
	p := newPacer(o.Pace, true)
	defer p.close()
	yieldAfterSend := o.Rate > 0 && o.Pace == PaceSleep
	settle(o.Phase)
	if o.Started != nil {
		o.Started()
	}
	start = time.Now()
	for k := 0; ; k++ {
		var due time.Duration
		if o.Rate > 0 {
			due = time.Duration(float64(k) * 1e9 / o.Rate)
			if due >= total {
				break
			}
			p.until(start, due)
		} else {
			select {
			case sem <- struct{}{}:
			default:
				deadline := time.NewTimer(total - time.Since(start))
				select {
				case sem <- struct{}{}:
				case <-deadline.C:
				}
				deadline.Stop()
			}
			due = time.Since(start)
			if due >= total {
				break
			}
		}
		sent := time.Since(start)
		buf = append(buf[:0], inbox...)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(due), 10)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(sent), 10)
		msg.Reply = string(buf)
		msg.Data = bodies[k%len(bodies)]
		if err := nc.PublishMsg(msg); err != nil {
			return r, fmt.Errorf("publish: %w", err)
		}
		c.sent.Add(1)
		if yieldAfterSend {
			// The request is in the client's buffer, its flusher
			// readied on this processor: let it write the request now
			// rather than after the bookkeeping and the sleep's system
			// calls (a few µs each on a VM), which the request's
			// latency, from its send, would otherwise include.
			runtime.Gosched()
		}
		if due >= o.Warmup {
			measured++
			late.Record(sent - due)
		}
	}
	nc.Flush()
	deadline := time.Now().Add(o.Grace)
	for c.received.Load() < c.sent.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	sub.Unsubscribe()
	c.close() // a reply still in the handler is not counted, nor recorded
	r.Late = late
	r.Sent, r.OK, r.Errors, r.FirstError = measured, c.okN, c.koN, c.first
	r.Total = c.sent.Load()
	if r.Sent > r.OK+r.Errors {
		r.Lost = r.Sent - r.OK - r.Errors
	}
	if r.Lost > 0 && r.FirstError == "" {
		r.FirstError = fmt.Sprintf("%d requests unanswered after %v", r.Lost, o.Grace)
	}
	r.Achieved = float64(r.OK) / o.Duration.Seconds()
	return r, nil
}

// collector counts and records the replies of a RunNATS run. Its
// figures are taken once, under its lock, with close: a reply handled
// after that (the handler still running when the grace period ran out)
// is neither counted nor recorded, so that the counts and histograms
// agree, and no histogram is written once the run has returned it.
type collector struct {
	prefix int           // the reply subject's inbox and its dot
	warmup time.Duration // replies to requests scheduled before are not recorded
	ok     func([]byte) bool

	sent, received atomic.Uint64 // every request sent, every reply handled (the warmup's too)

	mu       sync.Mutex
	closed   bool
	okN, koN uint64
	first    string
	lat, svc *Histogram
}

// reply handles the reply data on subject (inbox.<sched ns>.<sent ns>),
// handled now (offset from the start), with its status header.
func (c *collector) reply(subject string, data []byte, status string, now time.Duration) {
	if len(subject) < c.prefix {
		return
	}
	rest := subject[c.prefix:]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return
	}
	sched, err1 := strconv.ParseInt(rest[:dot], 10, 64)
	sent, err2 := strconv.ParseInt(rest[dot+1:], 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	// Counted last: once the sender sees every reply received, each
	// has been counted as OK or error, and recorded.
	defer c.received.Add(1)
	if time.Duration(sched) < c.warmup {
		return
	}
	good := c.ok(data)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
	case good:
		c.okN++
		c.lat.Record(now - time.Duration(sched))
		c.svc.Record(now - time.Duration(sent))
	default:
		c.koN++
		if c.first == "" {
			c.first = string(data)
			if c.first == "" {
				c.first = "empty reply (status " + status + ")"
			}
		}
	}
}

// close ends the counting: the figures are final.
func (c *collector) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

// Summary is a result with its quantiles, for tables and JSON.
type Summary struct {
	Result
	LatencyUS Quantiles `json:"latency_us"` // from the scheduled send
	ServiceUS Quantiles `json:"service_us"` // from the actual send
	LateUS    Quantiles `json:"late_us"`    // the actual send after the schedule
}

// Summarize computes r's quantiles.
func Summarize(r Result) Summary {
	if r.Late == nil {
		r.Late = NewHistogram()
	}
	return Summary{Result: r, LatencyUS: QuantilesOf(r.Latency), ServiceUS: QuantilesOf(r.Service), LateUS: QuantilesOf(r.Late)}
}

// Quantiles of a histogram in microseconds.
type Quantiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// QuantilesOf returns h's quantiles in microseconds.
func QuantilesOf(h *Histogram) Quantiles {
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	return Quantiles{P50: us(h.Quantile(0.5)), P90: us(h.Quantile(0.9)), P99: us(h.Quantile(0.99)), P999: us(h.Quantile(0.999)), Max: us(h.Max()), Mean: us(h.Mean())}
}

// Merge adds the figures of o, another run of the same setup and mode (a
// later round), to r.
func (r *Result) Merge(o Result) {
	if r.Latency == nil {
		*r = o
		r.Latency, r.Service, r.Late = NewHistogram(), NewHistogram(), NewHistogram()
		r.Latency.Merge(o.Latency)
		r.Service.Merge(o.Service)
		if o.Late != nil {
			r.Late.Merge(o.Late)
		}
		return
	}
	r.Sent += o.Sent
	r.Total += o.Total
	r.OK += o.OK
	r.Errors += o.Errors
	r.Lost += o.Lost
	// o's weight in the averages: its share of the time, and for the
	// figures per request its share of the requests (rounds in max mode
	// differ in throughput).
	w := o.Duration.Seconds() / (r.Duration + o.Duration).Seconds()
	wn := w
	if r.Total > 0 {
		wn = float64(o.Total) / float64(r.Total)
	} else if r.Sent > 0 {
		wn = float64(o.Sent) / float64(r.Sent)
	}
	r.StealPct += w * (o.StealPct - r.StealPct)
	r.GCs += o.GCs
	r.AllocsPerReq += wn * (o.AllocsPerReq - r.AllocsPerReq)
	r.BytesPerReq += wn * (o.BytesPerReq - r.BytesPerReq)
	r.CPUPerReqUS += wn * (o.CPUPerReqUS - r.CPUPerReqUS)
	r.Duration += o.Duration
	r.Latency.Merge(o.Latency)
	r.Service.Merge(o.Service)
	if o.Late != nil {
		r.Late.Merge(o.Late)
	}
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
	r.Achieved = float64(r.OK) / r.Duration.Seconds()
}
