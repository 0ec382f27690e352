package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// Targets of issue #5.
const (
	targetMeVsBare      = 0.6  // me throughput, as a fraction of the bare handler's
	targetLoginVsHash   = 0.85 // login throughput, as a fraction of the raw hash rate on as many goroutines
	targetP99UnderLogin = 2.0  // me p99 under a login flood, as a multiple of alone
	targetRSSMiB        = 128  // server RSS with 256 connections
)

// report is one run: how it was run, the baselines, one row per scenario
// and the targets' verdicts. Its Markdown always has the same sections,
// rows and columns, whatever ran, so that two reports diff line by line.
type report struct {
	Date          time.Time
	Machine       machine
	Opts          options
	Store         string
	DBVersion     string
	SeedTime      time.Duration
	Params        auth.Argon2Params
	HashWorkers   int
	HashIsolation string    // as the server was given it, or "(default)"
	LoadAvg       [2]string // the one-minute load average before and after the scenarios
	Rows          []row
	Sockets       *socketsResult // nil when not measured
	Targets       []target
}

// The kinds of floor.
const (
	floorBare = "bare" // the bare handler: JWT verification and `me` JSON
	floorHash = "hash" // the raw argon2id hash rate
)

// floor is one baseline measurement, taken right before the scenario it is
// compared with.
type floor struct {
	Kind string
	Conc int         // connections (bare) or hashing goroutines (hash)
	Rate float64     // requests/s or hashes/s
	Load *loadResult // bare only
}

// row is one scenario; Result is nil when it was not run.
type row struct {
	Name, What string
	Conc       int
	PeakReset  bool // VmHWM was reset before the scenario: the peak is the scenario's own
	Floor      *floor
	Result     *result
}

// target is one goal and whether this run met it.
type target struct {
	What     string
	Measured string
	Met      bool
	Known    bool // false when the scenarios it needs did not run
}

func (rep *report) row(name string) *row {
	for i := range rep.Rows {
		if rep.Rows[i].Name == name && rep.Rows[i].Result != nil {
			return &rep.Rows[i]
		}
	}
	return nil
}

// baseline is a row's reference and its ratio to it: throughput over its
// floor (the bare handler at the same concurrency, or the hash rate), or
// p99 over me-paced's. ok is false when the row has none.
func (rep *report) baseline(r *row) (ref string, ratio float64, ok bool) {
	if r.Result == nil {
		return "", 0, false
	}
	rps := r.Result.Load.RPS()
	if f := r.Floor; f != nil && f.Rate > 0 {
		return fmt.Sprintf("%s %s/s", f.Kind, fmtRate(f.Rate)), rps / f.Rate, true
	}
	switch r.Name {
	case "me-under-login":
		if p := rep.row("me-paced"); p != nil && p.Result.Load.Percentile(99) > 0 {
			return "p99 alone " + fmtDur(p.Result.Load.Percentile(99)),
				float64(r.Result.Load.Percentile(99)) / float64(p.Result.Load.Percentile(99)), true
		}
	}
	return "", 0, false
}

// evaluate fills Targets from the rows.
func (rep *report) evaluate() {
	ratioTarget := func(name, what string, limit float64, atLeast bool) target {
		t := target{What: what}
		r := rep.row(name)
		if r == nil {
			return t
		}
		ref, ratio, ok := rep.baseline(r)
		if !ok {
			return t
		}
		t.Known = true
		t.Met = (atLeast && ratio >= limit) || (!atLeast && ratio <= limit)
		switch name {
		case "me-under-login":
			t.Measured = fmt.Sprintf("p99 %s under logins vs %s: %.2f×", fmtDur(r.Result.Load.Percentile(99)), strings.TrimPrefix(ref, "p99 "), ratio)
		default:
			t.Measured = fmt.Sprintf("%s/s vs %s: %.2f×", fmtRate(r.Result.Load.RPS()), ref, ratio)
		}
		return t
	}
	rep.Targets = []target{
		ratioTarget("me", fmt.Sprintf("`me` ≥ %.1f× the bare handler", targetMeVsBare), targetMeVsBare, true),
		ratioTarget("login", fmt.Sprintf("login ≥ %.2f× the raw hash rate on as many goroutines", targetLoginVsHash), targetLoginVsHash, true),
		ratioTarget("me-under-login", fmt.Sprintf("`me` p99 under logins ≤ %.0f× alone", targetP99UnderLogin), targetP99UnderLogin, false),
	}
	rss := target{What: fmt.Sprintf("server RSS with %d connections ≤ %d MiB", rep.Opts.WideConc, targetRSSMiB)}
	if r := rep.row("me-256"); r != nil {
		rss.Known = true
		rss.Met = r.Result.Mem.Peak <= targetRSSMiB*1024
		rss.Measured = fmt.Sprintf("peak %s, current %s", fmtMiB(r.Result.Mem.Peak), fmtMiB(r.Result.Mem.Current))
		if !r.PeakReset {
			rss.Measured += " (peak since server start: VmHWM could not be reset)"
		}
	}
	// RATE_LIMITED from a full hashing pool is the server shedding load as
	// designed (a closed loop of logins outruns the hash); any other error
	// is a failure.
	errs := target{What: "no errors in any scenario (RATE_LIMITED back-pressure aside)", Known: true, Met: true}
	var bad []string
	for _, r := range rep.Rows {
		if r.Result == nil {
			continue
		}
		if n := r.Result.Load.Errors - r.Result.Load.ErrorKinds["RATE_LIMITED"]; n > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d", r.Name, n))
		}
	}
	if len(bad) > 0 {
		errs.Met, errs.Measured = false, strings.Join(bad, ", ")
	} else {
		errs.Measured = "0"
	}
	rep.Targets = append(rep.Targets, rss, errs, rep.socketsTarget())
}

// markdown renders the report. Progress and anything that varies in shape
// go to stderr during the run; this is only the fixed structure.
func (rep *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := rep.Opts
	p("# gqlauth benchmarks\n\n")
	cmd := strings.Join(append([]string{"go run ./bench"}, o.Args...), " ")
	if o.DatabaseURL != "" {
		cmd = "DATABASE_URL=… " + cmd
	}
	p("Measured on %s by `make bench`: `%s`.\n\n", rep.Date.Format("2006-01-02 15:04 MST"), cmd)
	p("## Setup\n\n")
	p("| | |\n|---|---|\n")
	p("| machine | %s, %d CPUs (`nproc`), %s RAM |\n", rep.Machine.CPU, rep.Machine.NumCPU, rep.Machine.Memory)
	p("| OS | %s |\n", rep.Machine.Kernel)
	p("| Go | %s |\n", rep.Machine.GoVersion)
	p("| store | %s (%s) |\n", rep.Store, rep.DBVersion)
	p("| seeded | %d users (one shared argon2id hash) and %d unexpired revoked tokens, in %s |\n", o.Users, o.Users, rep.SeedTime.Round(100*time.Millisecond))
	params := fmt.Sprintf("m=%d KiB, t=%d, p=%d", rep.Params.Memory, rep.Params.Time, rep.Params.Threads)
	if o.Argon2MemoryKiB > 0 || o.Argon2Time > 0 {
		params += " **(test override, not the server's defaults)**"
	} else {
		params += " (the server's defaults)"
	}
	p("| argon2id | %s; HASH_WORKERS %d (default: CPUs at a lower priority, else CPUs - 1), HASH_QUEUE %d, HASH_ISOLATION %s |\n", params, rep.HashWorkers, 8*rep.HashWorkers, rep.HashIsolation)
	p("| load | %s warm-up + %s recorded per scenario; keep-alive HTTP/1.1 over loopback, one connection per worker |\n", o.Warmup, o.Duration)
	p("| load average | %s before the scenarios, %s after (one minute; the bench alone keeps it near %d, more means other work shared the CPUs) |\n",
		rep.LoadAvg[0], rep.LoadAvg[1], rep.Machine.NumCPU)
	p("| connections | %d (me, refresh, mix, me-paced, me-under-login), %d (login, register, and the logins of me-under-login), %d (me-256) |\n", o.Conc, o.HashConc, o.WideConc)
	p("| server | the real binary (`go build`), LOG_LEVEL=warn, METRICS=false, rate limits set out of reach |\n")
	p("\nThe load generator, the server and (for its baseline) the bare handler share the machine's %d CPUs; "+
		"latencies include the client's own time. Latency percentiles are exact (every request is recorded).\n\n", rep.Machine.NumCPU)

	p("## Baselines\n\n")
	p("Each floor is measured right before the scenario it is compared with, so that both see the same machine.\n\n")
	p("| baseline | before | connections / workers | throughput | p50 | p95 | p99 |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, r := range rep.Rows {
		switch f := r.Floor; {
		case f == nil:
		case f.Kind == floorHash:
			p("| argon2id hash rate (`auth.Hasher`, in the bench process) | %s | %d | %s hashes/s | | | |\n", r.Name, f.Conc, fmtRate(f.Rate))
		default:
			l := f.Load
			p("| bare handler: JWT check (`auth.Tokens.Parse`) + `me` JSON, own process | %s | %d | %s req/s | %s | %s | %s |\n",
				r.Name, f.Conc, fmtRate(f.Rate), fmtDur(l.Percentile(50)), fmtDur(l.Percentile(95)), fmtDur(l.Percentile(99)))
		}
	}
	if d := rep.drift(); d > 0.15 {
		p("\n**A floor measured twice moved by %.0f%% during the run: the machine was busier at one time than another, and ratios are about that uncertain.**\n", d*100)
	}

	p("\n## Scenarios\n\n")
	p("| scenario | connections | req/s | p50 | p95 | p99 | errors | peak RSS | RSS after | baseline | ratio |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|\n")
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Result == nil {
			p("| %s | %d | skipped | | | | | | | | |\n", r.Name, r.Conc)
			continue
		}
		l := r.Result.Load
		conc := fmt.Sprint(r.Conc)
		if r.Result.Rate > 0 {
			conc += fmt.Sprintf(" @ %s/s", fmtRate(r.Result.Rate))
		}
		ref, ratio, ok := rep.baseline(r)
		rs := "–"
		if ok {
			rs = fmt.Sprintf("%.2f×", ratio)
		} else {
			ref = "–"
		}
		peak := fmtMiB(r.Result.Mem.Peak)
		if !r.PeakReset {
			peak += "*"
		}
		p("| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s |\n", r.Name, conc, fmtRate(l.RPS()),
			fmtDur(l.Percentile(50)), fmtDur(l.Percentile(95)), fmtDur(l.Percentile(99)), l.Errors,
			peak, fmtMiB(r.Result.Mem.Current), ref, rs)
	}
	p("\nWhat each scenario does:\n\n")
	for _, r := range rep.Rows {
		p("- **%s**: %s.\n", r.Name, r.What)
	}
	p("\nRatios: `me`, `me-256` and `mix` throughput over the bare handler's at the same number of connections; " +
		"`login` and `register` over the raw hash rate (each costs one argon2id hash); `me-under-login` is its p99 over `me-paced`'s. " +
		"Peak RSS is the server's VmHWM plus its password hash worker's over the recorded window (reset when the warm-up ends, through /proc/PID/clear_refs; " +
		"* marks a peak since the server started, when that failed); RSS after is their VmRSS when the scenario ended.\n")
	var notes, errs []string
	for _, r := range rep.Rows {
		if r.Result == nil {
			continue
		}
		if r.Result.Note != "" {
			notes = append(notes, fmt.Sprintf("- %s: %s.", r.Name, r.Result.Note))
		}
		if r.Result.Load.Errors > 0 {
			errs = append(errs, fmt.Sprintf("- %s: %s", r.Name, r.Result.Load.ErrorSummary()))
		}
	}
	if rep.rateLimited() {
		notes = append(notes, fmt.Sprintf("- RATE_LIMITED without a rate limit in reach means the hashing pool was full: at most HASH_WORKERS + HASH_QUEUE = %d "+
			"credential hashes may be in flight, and a closed loop lets slow logins pile up until more than that are.", 9*rep.HashWorkers))
	}
	p("\n### Notes\n\n")
	if len(notes) == 0 {
		notes = []string{"- none."}
	}
	p("%s\n", strings.Join(notes, "\n"))
	p("\n### Errors (most frequent kind per scenario, with a sample)\n\n")
	if len(errs) == 0 {
		errs = []string{"- none."}
	}
	p("%s\n", strings.Join(errs, "\n"))

	b.WriteString(rep.socketsMarkdown())

	p("\n## Targets\n\n| target | measured | verdict |\n|---|---|---|\n")
	for _, t := range rep.Targets {
		v := "not measured"
		switch {
		case t.Known && t.Met:
			v = "met"
		case t.Known:
			v = "**not met**"
		}
		p("| %s | %s | %s |\n", t.What, t.Measured, v)
	}
	p("\nRefresh on PostgreSQL should be one transaction of at most two round trips; that is not visible from outside, " +
		"so the bench only measures the `refresh` row above.\n")
	return b.String()
}

// rateLimited reports whether any scenario was answered RATE_LIMITED.
func (rep *report) rateLimited() bool {
	for _, r := range rep.Rows {
		if r.Result != nil && r.Result.Load.ErrorKinds["RATE_LIMITED"] > 0 {
			return true
		}
	}
	return false
}

// drift is the largest relative spread between measurements of one floor
// (the bare handler at one concurrency, or the hash rate) during the run.
func (rep *report) drift() float64 {
	lo, hi := map[string]float64{}, map[string]float64{}
	for _, r := range rep.Rows {
		if f := r.Floor; f != nil {
			k := fmt.Sprint(f.Kind, f.Conc)
			if _, ok := lo[k]; !ok || f.Rate < lo[k] {
				lo[k] = f.Rate
			}
			hi[k] = max(hi[k], f.Rate)
		}
	}
	var d float64
	for k := range hi {
		if hi[k] > 0 {
			d = max(d, (hi[k]-lo[k])/hi[k])
		}
	}
	return d
}
