package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// The baselines are floors measured on the same machine in the same run:
// what `me` would cost with nothing but JWT verification and JSON, and what
// a login costs with nothing but argon2id.

// bareEnv is set in the environment of the bench binary re-executed as the
// bare handler.
const bareEnv = "GQLAUTH_BENCH_BARE"

// bareIssuer and friends are the server's defaults (JWT_ISSUER,
// JWT_AUDIENCE, JWT_LEEWAY, ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL), which the
// bench does not override, so that the bare parser is configured exactly as
// the server's.
const (
	bareIssuer   = "gqlauth"
	bareAudience = "gqlauth"
	bareLeeway   = 30 * time.Second
)

// startBare re-executes the bench binary as the bare handler. It runs in a
// process of its own, like the server, rather than inside the bench: the
// load generator would otherwise share its garbage collector and scheduler
// with the handler, and the floor would not be measured the way the server
// is. users (id → user) is what it answers `me` with, given on stdin.
func startBare(ctx context.Context, secret string, users map[string]meUser) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	// The secret goes in the environment only: never argv, which any local
	// user can read in /proc.
	cmd.Env = childEnv(map[string]string{bareEnv: "1", "JWT_SECRET": secret})
	return startChild(ctx, "bare handler", cmd, "bare listening on ", mustJSON(users))
}

// maybeServeBare serves the bare handler and reports true when this process
// was started as one (by startBare); main and TestMain call it first.
func maybeServeBare() bool {
	if os.Getenv(bareEnv) != "1" {
		return false
	}
	if err := serveBare(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bare handler:", err)
		os.Exit(1)
	}
	return true
}

// serveBare answers POST /graphql on a free loopback port until SIGTERM
// kills it.
func serveBare(stdin io.Reader, stdout io.Writer) error {
	var users map[string]meUser
	if err := json.NewDecoder(stdin).Decode(&users); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	// auth.NewTokens builds the very parser the server's middleware uses:
	// same allowed method, required claims, issuer, audience and leeway.
	tokens, err := auth.NewTokens(auth.TokenConfig{
		Secret: []byte(os.Getenv("JWT_SECRET")), Issuer: bareIssuer, Audience: bareAudience,
		AccessTTL: 15 * time.Minute, RefreshTTL: 720 * time.Hour, Leeway: bareLeeway,
	}, nil)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bare listening on http://%s/\n", ln.Addr())
	srv := &http.Server{Handler: bareHandler(tokens, users), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.Serve(ln)
}

// bareHandler verifies the bearer token and answers `me` from memory, in
// the shape the server answers it: everything the server does for `me`
// except GraphQL parsing and execution, the database, logging and metrics.
func bareHandler(tokens *auth.Tokens, users map[string]meUser) http.Handler {
	type meData struct {
		Me meUser `json:"me"`
	}
	type answer struct {
		Data meData `json:"data"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/graphql" {
			http.NotFound(w, r)
			return
		}
		// The body is read, as the server must, though not parsed.
		if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		var claims *auth.Claims
		err := errors.New("no bearer token")
		if strings.EqualFold(scheme, "Bearer") {
			claims, err = tokens.Parse(strings.TrimSpace(token), auth.AccessToken)
		}
		u, ok := users[subject(claims)]
		if err != nil || !ok {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"errors":[{"message":"unauthenticated","extensions":{"code":"UNAUTHENTICATED"}}],"data":null}`))
			return
		}
		b, _ := json.Marshal(answer{Data: meData{Me: u}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
}

func subject(c *auth.Claims) string {
	if c == nil {
		return ""
	}
	return c.Subject
}

// floor measures a baseline right before the scenario it is the floor of:
// on a machine shared with other work, a floor measured minutes away from
// its scenario would compare two different machines. kind is floorHash
// (the hash rate with the server's HASH_WORKERS) or floorBare (the bare
// handler at conc connections).
func (r *runner) floor(ctx context.Context, kind string, conc int, rep *report) (*floor, error) {
	if kind == floorHash {
		r.logf("baseline: argon2id hash rate, %d workers, %s", rep.HashWorkers, r.opts.Duration)
		rate, err := hashRate(ctx, rep.Params, rep.HashWorkers, r.opts.Duration)
		if err != nil {
			return nil, fmt.Errorf("hash rate: %w", err)
		}
		return &floor{Kind: kind, Conc: rep.HashWorkers, Rate: rate}, nil
	}
	ss, err := r.ensureSessions(ctx, r.opts.Conc)
	if err != nil {
		return nil, err
	}
	if r.bare == nil {
		users := map[string]meUser{}
		for _, s := range ss {
			users[s.user.ID] = s.user
		}
		if r.bare, err = startBare(ctx, r.secret, users); err != nil {
			return nil, err
		}
	}
	r.logf("baseline: bare handler, %d connections, %s + %s", conc, r.opts.Warmup, r.opts.Duration)
	c := &runner{opts: r.opts, endpoint: r.bare.URL + "/graphql"}
	res, err := c.load(ctx, conc, 0, func(ctx context.Context, c *gqlClient, w int) (string, string, error) {
		return opMe(c.me(ctx, ss[w%len(ss)].pair.Access))
	})
	if err == nil {
		err = r.bare.alive()
	}
	if err != nil {
		return nil, fmt.Errorf("bare handler: %w", err)
	}
	if res.Errors > 0 {
		return nil, fmt.Errorf("bare handler answered %d errors: %s", res.Errors, res.ErrorSummary())
	}
	return &floor{Kind: kind, Conc: conc, Rate: res.RPS(), Load: res}, nil
}

// hashRate is how many argon2id hashes per second workers goroutines
// compute with params, through auth.Hasher as the server does (so salt
// generation and PHC encoding are counted too). It runs in the bench
// process while the server is idle.
func hashRate(ctx context.Context, params auth.Argon2Params, workers int, d time.Duration) (float64, error) {
	h, err := auth.NewHasher(params, workers, workers, nil) // computes one hash: a warm-up
	if err != nil {
		return 0, err
	}
	var n atomic.Int64
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Divided by the time until the last hash finished, not by d: a hash
	// started just before the deadline still counts and so must its time.
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}
