package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"
)

// loadSpec describes one load phase: how many workers, for how long, and
// what each request is.
type loadSpec struct {
	Conc     int           // concurrent workers, one keep-alive connection each
	Rate     float64       // requests/s over all workers; 0: closed loop, each worker sends as soon as its last answer came
	Warmup   time.Duration // run but not recorded: opens the connections, warms the database caches and grows the server's heap
	Duration time.Duration // recorded
	// Do sends one request as worker w. It returns the operation it sent
	// (for a mix), and a short error kind ("HTTP 503", "RATE_LIMITED", …)
	// with the error, or "" and nil.
	Do func(ctx context.Context, w int) (op, kind string, err error)
	// OnRecord, if set, is called once when the warm-up ends.
	OnRecord func()
}

// loadResult is what one phase measured.
type loadResult struct {
	Requests   int           // requests started in the recorded window
	Elapsed    time.Duration // the recorded window
	Latencies  []time.Duration
	Errors     int
	ErrorKinds map[string]int    // kind -> count
	ErrSample  map[string]string // kind -> first message seen
	Ops        map[string]*opStats
}

// opStats is one operation's share of a load, for mixes.
type opStats struct {
	Requests, Errors int
	Latencies        []time.Duration // sorted
}

// RPS is completed requests (errors included) per second of the window.
func (r *loadResult) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile is the exact p-th percentile (0 < p ≤ 100) of every recorded
// request's latency, nearest-rank: every duration is kept, since even a
// 10 s run at tens of thousands of requests/s is a few MB, and exact ranks
// need no bucket-precision caveat next to the numbers.
func (r *loadResult) Percentile(p float64) time.Duration { return percentile(r.Latencies, p) }

// percentile is the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(n))) - 1
	return sorted[max(0, min(rank, n-1))]
}

// ErrorSummary is "KIND×count: message" for the most frequent error kind
// (ties broken by name, so that the output does not depend on map order).
func (r *loadResult) ErrorSummary() string {
	if r.Errors == 0 {
		return ""
	}
	kinds := make([]string, 0, len(r.ErrorKinds))
	for k := range r.ErrorKinds {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		a, b := r.ErrorKinds[kinds[i]], r.ErrorKinds[kinds[j]]
		return a > b || (a == b && kinds[i] < kinds[j])
	})
	return fmt.Sprintf("%s ×%d: %s", kinds[0], r.ErrorKinds[kinds[0]], r.ErrSample[kinds[0]])
}

// workerLog is one worker's records; merged once the phase ends, so that
// workers never contend on a lock per request.
type workerLog struct {
	lat    []time.Duration
	ops    []string // the operation of each lat
	errs   int
	opErrs map[string]int
	kinds  map[string]int
	sample map[string]string
}

// runLoad runs spec: Warmup, then Duration recorded. A request counts when
// it starts inside the recorded window; workers finish the request in
// flight at the end rather than cutting it off, so no answer is lost.
//
// With a Rate, each worker follows its own schedule of intended start times
// and a request's latency is measured from its intended start, not from
// when it was actually sent: a stalled server then shows up as latency
// instead of silently lowering the request rate (coordinated omission).
func runLoad(ctx context.Context, spec loadSpec) (*loadResult, error) {
	if spec.Conc < 1 {
		return nil, errors.New("concurrency must be at least 1")
	}
	start := time.Now()
	recFrom := start.Add(spec.Warmup)
	end := recFrom.Add(spec.Duration)
	var interval time.Duration
	if spec.Rate > 0 {
		interval = time.Duration(float64(spec.Conc) / spec.Rate * float64(time.Second))
	}
	if spec.OnRecord != nil {
		t := time.AfterFunc(spec.Warmup, spec.OnRecord)
		defer t.Stop()
	}
	logs := make([]workerLog, spec.Conc)
	var wg sync.WaitGroup
	for w := range spec.Conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &logs[w]
			l.kinds, l.sample, l.opErrs = map[string]int{}, map[string]string{}, map[string]int{}
			// Workers' schedules are staggered evenly over one interval.
			next := start.Add(interval * time.Duration(w) / time.Duration(spec.Conc))
			for ctx.Err() == nil {
				t0 := time.Now()
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
					t0, next = next, next.Add(interval)
				}
				if !t0.Before(end) {
					return
				}
				op, kind, err := spec.Do(ctx, w)
				if t0.Before(recFrom) {
					continue
				}
				l.lat = append(l.lat, time.Since(t0))
				l.ops = append(l.ops, op)
				if err != nil {
					l.errs++
					l.opErrs[op]++
					if l.kinds[kind]++; l.kinds[kind] == 1 {
						l.sample[kind] = truncate(err.Error(), 300)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &loadResult{Elapsed: spec.Duration, ErrorKinds: map[string]int{}, ErrSample: map[string]string{}, Ops: map[string]*opStats{}}
	for w := range logs {
		l := &logs[w]
		res.Latencies = append(res.Latencies, l.lat...)
		for i, op := range l.ops {
			st := res.Ops[op]
			if st == nil {
				st = &opStats{}
				res.Ops[op] = st
			}
			st.Requests++
			st.Latencies = append(st.Latencies, l.lat[i])
		}
		for op, n := range l.opErrs {
			res.Ops[op].Errors += n
		}
		res.Errors += l.errs
		for k, n := range l.kinds {
			res.ErrorKinds[k] += n
			if _, ok := res.ErrSample[k]; !ok {
				res.ErrSample[k] = l.sample[k]
			}
		}
	}
	res.Requests = len(res.Latencies)
	slices.Sort(res.Latencies)
	for _, st := range res.Ops {
		slices.Sort(st.Latencies)
	}
	return res, nil
}

// newHTTPClient is a client for conc concurrent workers against one host:
// as many idle keep-alive connections as workers, so that no request pays
// for a TCP handshake after the warm-up, and nothing that loopback does not
// need (proxies, compression, HTTP/2).
func newHTTPClient(conc int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conc,
			MaxIdleConnsPerHost: conc,
			MaxConnsPerHost:     conc,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
