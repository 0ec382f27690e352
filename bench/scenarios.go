package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// scenario is one row of the report: a load against the server.
type scenario struct {
	Name string
	What string // one line for the report
	// Conc is the number of concurrent workers (connections); Rate, when
	// set, paces them in total (requests/s) instead of running closed-loop.
	Conc func(o *options) int
	// Floor is the baseline measured right before the scenario and
	// compared with it: floorBare, floorHash or "" for none.
	Floor string
	run   func(ctx context.Context, r *runner, conc int) (*result, error)
}

// scenarios is every scenario in report order. The order is part of the
// method: me-256 runs right after me, before anything hashes, so that its
// RSS is that of 256 connections and not argon2id's memory still held by
// the heap; me-paced runs right before me-under-login, which it is the
// reference of.
var scenarios = []scenario{
	{"me", "`me` with a valid access token, closed loop", func(o *options) int { return o.Conc }, floorBare, runMe},
	{"me-256", "`me` over 256 connections, closed loop", func(o *options) int { return o.WideConc }, floorBare, runMe},
	{"refresh", "refresh, each worker rotating its own session's chain", func(o *options) int { return o.Conc }, "", runRefresh},
	{"login", "login with the right password, seeded users in turn", func(o *options) int { return o.HashConc }, floorHash, runLogin},
	{"register", "register a new account", func(o *options) int { return o.HashConc }, floorHash, runRegister},
	{"mix", "90% me, 5% refresh, 5% login, closed loop", func(o *options) int { return o.Conc }, floorBare, runMix},
	{"me-paced", "`me` at a fixed rate, alone: the reference latency", func(o *options) int { return o.Conc }, "", runMePaced},
	{"me-under-login", "`me` at the same rate while logins saturate the hashing pool", func(o *options) int { return o.Conc }, "", runMeUnderLogin},
}

// result is what one scenario measured.
type result struct {
	Load *loadResult
	Conc int
	Rate float64 // requests/s when paced, else 0
	Mem  memory  // the server's, right after the scenario
	Note string  // anything else worth a line, e.g. the logins' rate in me-under-login
}

// request is one worker's request: it returns the operation sent and, if
// it failed, the error's kind and the error.
type request func(ctx context.Context, c *gqlClient, w int) (op, kind string, err error)

// load runs do on conc workers sharing one client for the warm-up and the
// recorded window. The server's peak RSS is reset when the warm-up ends, so
// that a scenario's peak is its own: Go keeps freed heap (argon2id's 19 MiB
// per hash, say) until a later collection, so a reset before the warm-up
// would count what the previous scenario left.
func (r *runner) load(ctx context.Context, conc int, rate float64, do request) (*loadResult, error) {
	c := r.client(conc)
	defer c.http.CloseIdleConnections()
	spec := loadSpec{
		Conc: conc, Rate: rate, Warmup: r.opts.Warmup, Duration: r.opts.Duration,
		Do: func(ctx context.Context, w int) (string, string, error) { return do(ctx, c, w) },
	}
	if r.server != nil {
		spec.OnRecord = func() { r.peakReset.Store(r.server.resetPeak()) }
	}
	return runLoad(ctx, spec)
}

// op labels a client call's result with its operation.
func op(name string) func(kind string, err error) (string, string, error) {
	return func(kind string, err error) (string, string, error) { return name, kind, err }
}

var opMe, opRefresh, opLogin, opRegister = op("me"), op("refresh"), op("login"), op("register")

func runMe(ctx context.Context, r *runner, conc int) (*result, error) {
	ss, err := r.ensureSessions(ctx, r.opts.Conc)
	if err != nil {
		return nil, err
	}
	res, err := r.load(ctx, conc, 0, func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		return opMe(c.me(ctx, ss[w%len(ss)].pair.Access))
	})
	if err != nil {
		return nil, err
	}
	return &result{Load: res, Conc: conc}, nil
}

// runRefresh gives each worker a session of its own: a refresh token is
// good for one use, so workers sharing one would end each other's sessions
// (TOKEN_REUSED).
func runRefresh(ctx context.Context, r *runner, conc int) (*result, error) {
	ss, err := r.ensureSessions(ctx, conc)
	if err != nil {
		return nil, err
	}
	res, err := r.load(ctx, conc, 0, func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		return opRefresh(r.refreshSession(ctx, c, ss[w]))
	})
	if err != nil {
		return nil, err
	}
	return &result{Load: res, Conc: conc}, nil
}

// refreshSession rotates s's chain. If the chain broke (an error the
// report counts), the session is replaced by a new login so that the
// worker does not fail for the rest of the run.
func (r *runner) refreshSession(ctx context.Context, c *gqlClient, s *session) (string, error) {
	p, kind, err := c.refresh(ctx, s.pair.Refresh)
	if err == nil {
		s.pair = p
		return "", nil
	}
	if np, _, lerr := c.login(ctx, s.user.Email, benchPassword); lerr == nil {
		s.pair = np
	}
	return kind, err
}

// loginUser is the seeded user a login worker uses for its k-th login:
// workers walk the users in disjoint strides, so that no two logins in
// flight share an account's throttle row.
func (r *runner) loginUser(w, k, conc int) string {
	return seedEmail((w + k*conc) % r.opts.Users)
}

func runLogin(ctx context.Context, r *runner, conc int) (*result, error) {
	res, err := r.load(ctx, conc, 0, r.loginLoop(conc))
	if err != nil {
		return nil, err
	}
	return &result{Load: res, Conc: conc}, nil
}

// loginLoop is a login worker's request: each worker counts its own logins.
func (r *runner) loginLoop(conc int) request {
	counts := make([]int, conc)
	return func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		counts[w]++
		_, kind, err := c.login(ctx, r.loginUser(w, counts[w], conc), benchPassword)
		return opLogin(kind, err)
	}
}

func runRegister(ctx context.Context, r *runner, conc int) (*result, error) {
	counts := make([]int, conc)
	res, err := r.load(ctx, conc, 0, func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		counts[w]++
		// runID keeps addresses unique across runs on a kept database.
		email := fmt.Sprintf("bench-reg-%s-%d-%d@example.com", r.runID, w, counts[w])
		_, kind, err := c.register(ctx, email, benchPassword)
		return opRegister(kind, err)
	})
	if err != nil {
		return nil, err
	}
	return &result{Load: res, Conc: conc}, nil
}

// runMix draws each request's operation from a per-worker generator with a
// fixed seed, so that two runs send the same sequence.
func runMix(ctx context.Context, r *runner, conc int) (*result, error) {
	ss, err := r.ensureSessions(ctx, conc)
	if err != nil {
		return nil, err
	}
	rngs := make([]*rand.Rand, conc)
	for w := range rngs {
		rngs[w] = rand.New(rand.NewPCG(uint64(w), 5))
	}
	login := r.loginLoop(conc)
	res, err := r.load(ctx, conc, 0, func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		switch p := rngs[w].IntN(100); {
		case p < 90:
			return opMe(c.me(ctx, ss[w].pair.Access))
		case p < 95:
			return opRefresh(r.refreshSession(ctx, c, ss[w]))
		default:
			return login(ctx, c, w)
		}
	})
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, name := range []string{"me", "refresh", "login"} {
		if st := res.Ops[name]; st != nil {
			parts = append(parts, fmt.Sprintf("%s %s/s (p99 %s, %d errors)", name,
				fmtRate(float64(st.Requests)/res.Elapsed.Seconds()), fmtDur(percentile(st.Latencies, 99)), st.Errors))
		}
	}
	return &result{Load: res, Conc: conc, Note: "by operation: " + strings.Join(parts, ", ")}, nil
}

// meRate is the paced `me` rate: -me-rate, or a tenth of what `me` reached
// closed-loop in this run. A tenth leaves the server idle most of the time,
// so latency is service time rather than queueing, as for an interactive
// client, and stays so when logins take most of the CPUs: the comparison
// then shows how much hashing delays `me`, not that a server with less CPU
// left falls behind a rate it no longer sustains (which at a quarter it did
// on PostgreSQL, where the database's processes want CPU too). A latency
// measured at saturation would only restate the throughput.
func (r *runner) meRate() float64 {
	if r.opts.MeRate > 0 {
		return r.opts.MeRate
	}
	if r.meRPS > 0 {
		return max(10, r.meRPS/10)
	}
	return 100
}

func runMePaced(ctx context.Context, r *runner, conc int) (*result, error) {
	ss, err := r.ensureSessions(ctx, r.opts.Conc)
	if err != nil {
		return nil, err
	}
	rate := r.meRate()
	res, err := r.load(ctx, conc, rate, func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		return opMe(c.me(ctx, ss[w%len(ss)].pair.Access))
	})
	if err != nil {
		return nil, err
	}
	return &result{Load: res, Conc: conc, Rate: rate}, nil
}

// runMeUnderLogin paces `me` as me-paced does while -hash-conc workers log
// in closed-loop, which keeps every hashing worker busy and its queue full.
// Both loads share the warm-up and the window.
func runMeUnderLogin(ctx context.Context, r *runner, conc int) (*result, error) {
	ss, err := r.ensureSessions(ctx, r.opts.Conc)
	if err != nil {
		return nil, err
	}
	rate := r.meRate()
	var logins *loadResult
	var loginErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		logins, loginErr = r.load(ctx, r.opts.HashConc, 0, r.loginLoop(r.opts.HashConc))
	}()
	res, err := r.load(ctx, conc, rate, func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		return opMe(c.me(ctx, ss[w%len(ss)].pair.Access))
	})
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if loginErr != nil {
		return nil, loginErr
	}
	note := fmt.Sprintf("logins meanwhile (%d workers): %.1f/s, p99 %s, %d errors", r.opts.HashConc, logins.RPS(), fmtDur(logins.Percentile(99)), logins.Errors)
	if logins.Errors > 0 {
		note += " (" + logins.ErrorSummary() + ")"
	}
	return &result{Load: res, Conc: conc, Rate: rate, Note: note}, nil
}

// session is one logged-in user whose tokens workers use and rotate.
type session struct {
	user meUser
	pair tokenPair
}

// sessionMaxAge is when sessions are renewed before a scenario: access
// tokens live 15 minutes (ACCESS_TOKEN_TTL), and a long run (the million-row
// seeding comes before, but scenarios add up) must not see them expire.
const sessionMaxAge = 10 * time.Minute

// ensureSessions returns at least n sessions of distinct seeded users (as
// distinct as -users allows), logging in the missing ones -hash-conc at a
// time. Sessions are kept across scenarios: logins are what some scenarios
// measure, and setting up would otherwise hash more than they do.
func (r *runner) ensureSessions(ctx context.Context, n int) ([]*session, error) {
	c := r.client(r.opts.HashConc)
	defer c.http.CloseIdleConnections()
	if len(r.sessions) > 0 && time.Since(r.sessionsAt) > sessionMaxAge {
		for _, s := range r.sessions {
			if _, err := r.refreshSession(ctx, c, s); err != nil {
				return nil, fmt.Errorf("renew session: %w", err)
			}
		}
		r.sessionsAt = time.Now()
	}
	if len(r.sessions) >= n {
		return r.sessions, nil
	}
	if len(r.sessions) == 0 {
		r.sessionsAt = time.Now()
	}
	from := len(r.sessions)
	more := make([]*session, n-from)
	errs := make(chan error, len(more))
	sem := make(chan struct{}, r.opts.HashConc)
	var wg sync.WaitGroup
	for i := range more {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			email := seedEmail((from + i) % r.opts.Users)
			p, _, err := c.login(ctx, email, benchPassword)
			if err != nil {
				errs <- fmt.Errorf("log in %s: %w", email, err)
				return
			}
			var u meUser
			if _, err := c.post(ctx, p.Access, meBody, "me", &u); err != nil {
				errs <- fmt.Errorf("me as %s: %w", email, err)
				return
			}
			more[i] = &session{user: u, pair: p}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	r.sessions = append(r.sessions, more...)
	return r.sessions, nil
}
