package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gqlauth/gqlauth/graph/wstest"
)

// socketsName is the subscriptions measurement's name for -scenarios.
const socketsName = "subscriptions"

// targetLastClose is issue #16's: from logout(allSessions: true) to the
// last of the user's sockets closed.
const targetLastClose = time.Second

// socketsResult is what the subscriptions measurement saw.
type socketsResult struct {
	Sockets, PerUser, Users int
	// Idle is the server process's memory (without its hash worker) with
	// no socket, right before they open: the baseline; Open with all of
	// them open and idle.
	Idle, Open memory
	OpenTime   time.Duration // to open, authenticate and subscribe them all
	// Logout is the logout request's own time; LastClose from sending it
	// to the last of the user's sockets closed.
	Logout, LastClose time.Duration
	Revoked           int // of the user's sockets, those that heard SESSION_REVOKED and closed with 4401
	OthersOpen        int // of the other sockets, those still open afterwards
}

// socketClient opens the bench's sockets, a few at a time.
const socketDialConc = 32

// benchSocket is one socket and, for the logged-out user's, what it saw.
type benchSocket struct {
	c       *wstest.Client
	revoked atomic.Bool  // heard SESSION_REVOKED, then 4401
	closed  atomic.Int64 // when it closed, in ns since the logout was sent
}

// runSockets opens -sockets idle sessionEvents subscriptions, -sockets-user
// per user: the logged-out user's each on a session of its own (as many
// devices or tabs), every other user's on one token. It measures the
// server's RSS before and with them, then logs that one user out of every
// session and measures when its last socket closes.
func (r *runner) runSockets(ctx context.Context) (*socketsResult, error) {
	o := r.opts
	res := &socketsResult{Sockets: o.Sockets, PerUser: o.SocketsPerUser}
	res.Users = (o.Sockets + o.SocketsPerUser - 1) / o.SocketsPerUser
	if res.Users > o.Users {
		return nil, fmt.Errorf("-sockets %d at -sockets-user %d needs %d users; -users is %d", o.Sockets, o.SocketsPerUser, res.Users, o.Users)
	}
	// Users from the end of the seeded range: the scenarios' sessions are
	// at its start, and are not logged out.
	email := func(u int) string { return seedEmail(o.Users - 1 - u) }
	r.logf("subscriptions: logging in %d users (%d sessions)", res.Users, res.Users-1+min(o.SocketsPerUser, o.Sockets))
	c := r.client(o.HashConc)
	defer c.http.CloseIdleConnections()
	// One login per job, whose token serves sockets [from, to): the first
	// user's sockets each have a session; the others' share one.
	type job struct{ user, from, to int }
	var jobs []job
	for u := range res.Users {
		from, to := u*o.SocketsPerUser, min((u+1)*o.SocketsPerUser, o.Sockets)
		if u == 0 {
			for i := from; i < to; i++ {
				jobs = append(jobs, job{u, i, i + 1})
			}
			continue
		}
		jobs = append(jobs, job{u, from, to})
	}
	tokens := make([]string, o.Sockets) // the access token of each socket
	todo := make(chan job)
	var wg sync.WaitGroup
	var loginErr atomic.Value
	for range o.HashConc {
		wg.Go(func() {
			for j := range todo {
				p, _, err := c.login(ctx, email(j.user), benchPassword)
				if err != nil {
					loginErr.Store(err)
					continue
				}
				for i := j.from; i < j.to; i++ {
					tokens[i] = p.Access
				}
			}
		})
	}
	for _, j := range jobs {
		todo <- j
	}
	close(todo)
	wg.Wait()
	if err, _ := loginErr.Load().(error); err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}

	pid := r.server.cmd.Process.Pid
	time.Sleep(time.Second) // let the logins' garbage be collected
	var err error
	if res.Idle, err = processMemory(pid); err != nil {
		return nil, err
	}
	r.logf("subscriptions: opening %d sockets", o.Sockets)
	socks := make([]*benchSocket, o.Sockets)
	defer func() {
		for _, s := range socks {
			if s != nil {
				s.c.Close()
			}
		}
	}()
	start := time.Now()
	next := make(chan int)
	var dialErr atomic.Value
	for range socketDialConc {
		wg.Go(func() {
			for i := range next {
				s, err := r.openSocket(ctx, tokens[i])
				if err != nil {
					dialErr.Store(fmt.Errorf("socket %d: %w", i, err))
					continue
				}
				socks[i] = s
			}
		})
	}
	for i := range o.Sockets {
		if dialErr.Load() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		return nil, err
	}
	res.OpenTime = time.Since(start)
	time.Sleep(2 * time.Second) // idle
	if res.Open, err = processMemory(pid); err != nil {
		return nil, err
	}

	r.logf("subscriptions: logging out the user of %d sockets", o.SocketsPerUser)
	mine := socks[:min(o.SocketsPerUser, o.Sockets)]
	sent := time.Now()
	var closing sync.WaitGroup
	for _, s := range mine {
		closing.Go(func() { s.watchLogout(ctx, sent) })
	}
	var out bool
	if _, err := c.post(ctx, tokens[0], mustJSON(map[string]any{"query": `mutation { logout(allSessions: true) }`}), "logout", &out); err != nil {
		return nil, fmt.Errorf("logout: %w", err)
	}
	res.Logout = time.Since(sent)
	closing.Wait()
	for _, s := range mine {
		if s.revoked.Load() {
			res.Revoked++
		}
		res.LastClose = max(res.LastClose, time.Duration(s.closed.Load()))
	}
	for _, s := range socks[len(mine):] {
		select {
		case <-s.c.Closed():
		default:
			res.OthersOpen++
		}
	}
	return res, nil
}

// openSocket opens a socket authenticated with token and subscribes to
// sessionEvents; a ping's pong proves the subscription in place.
func (r *runner) openSocket(ctx context.Context, token string) (*benchSocket, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := wstest.Dial(ctx, r.server.URL+"/graphql", nil)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	if _, err := c.Init(ctx, map[string]any{"Authorization": "Bearer " + token}); err != nil {
		return nil, err
	}
	if err := c.Subscribe(ctx, "1", `subscription { sessionEvents { type } }`); err != nil {
		return nil, err
	}
	if err := c.Send(ctx, wstest.Message{Type: "ping"}); err != nil {
		return nil, err
	}
	m, err := c.Next(ctx)
	if err != nil {
		return nil, err
	}
	if m.Type != "pong" {
		return nil, fmt.Errorf("want pong, got %s %s", m.Type, m.Payload)
	}
	ok = true
	return &benchSocket{c: c}, nil
}

// watchLogout waits for the socket's SESSION_REVOKED and its close.
func (s *benchSocket) watchLogout(ctx context.Context, sent time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	heard := false
	for {
		m, err := s.c.Next(ctx)
		var ce *wstest.ClosedError
		if errors.As(err, &ce) {
			s.closed.Store(int64(time.Since(sent)))
			s.revoked.Store(heard && ce.Code == 4401)
			return
		}
		if err != nil {
			s.closed.Store(int64(time.Since(sent)))
			return
		}
		var p struct {
			Data struct {
				SessionEvents struct{ Type string } `json:"sessionEvents"`
			} `json:"data"`
		}
		if m.Type == "next" && json.Unmarshal(m.Payload, &p) == nil && p.Data.SessionEvents.Type == "SESSION_REVOKED" {
			heard = true
		}
	}
}

// socketsMarkdown renders the subscriptions section.
func (rep *report) socketsMarkdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("\n## Subscriptions\n\n")
	s := rep.Sockets
	if s == nil {
		p("Not run.\n")
		return b.String()
	}
	perSocket := float64(s.Open.Current-s.Idle.Current) / float64(s.Sockets)
	p("%d idle authenticated websockets, each with a `sessionEvents` subscription (graphql-transport-ws, coder/websocket clients in the bench process): "+
		"%d users with %d sockets each, the first on %d sessions of its own (as many devices), the others on one token each. "+
		"The RSS is the server process's alone (VmRSS), its baseline read with no socket open right before they opened.\n\n", s.Sockets, s.Users, s.PerUser, s.PerUser)
	p("| measurement | value |\n|---|--:|\n")
	p("| server RSS, no socket (baseline) | %s |\n", fmtMiB(s.Idle.Current))
	p("| server RSS, %d sockets | %s (%.1f× the baseline) |\n", s.Sockets, fmtMiB(s.Open.Current), float64(s.Open.Current)/float64(s.Idle.Current))
	p("| per socket | %.1f KiB |\n", perSocket)
	p("| opening them (dial, connection_init, subscribe, ping), %d at a time | %s (%s sockets/s) |\n", socketDialConc, s.OpenTime.Round(time.Millisecond), fmtRate(float64(s.Sockets)/s.OpenTime.Seconds()))
	p("| `logout(allSessions: true)` of the user with %d sockets: the request | %s |\n", s.PerUser, fmtDur(s.Logout))
	p("| … to the last of its %d sockets closed | %s |\n", s.PerUser, fmtDur(s.LastClose))
	p("| its sockets that heard SESSION_REVOKED, then closed with 4401 | %d of %d |\n", s.Revoked, s.PerUser)
	p("| the other users' sockets still open afterwards | %d of %d |\n", s.OthersOpen, s.Sockets-s.PerUser)
	return b.String()
}

// socketsTarget is the subscriptions row of the targets.
func (rep *report) socketsTarget() target {
	t := target{What: fmt.Sprintf("`logout(allSessions: true)` with %d sockets open: last close ≤ %s", rep.Opts.SocketsPerUser, targetLastClose)}
	if s := rep.Sockets; s != nil {
		t.Known = true
		t.Met = s.LastClose <= targetLastClose && s.Revoked == s.PerUser && s.OthersOpen == s.Sockets-s.PerUser
		t.Measured = fmt.Sprintf("%s, %d/%d heard SESSION_REVOKED, with %d other sockets open", fmtDur(s.LastClose), s.Revoked, s.PerUser, s.Sockets-s.PerUser)
	}
	return t
}

// runsSockets reports whether this run measures the subscriptions.
func (o *options) runsSockets() bool {
	return o.Sockets > 0 && (len(o.Scenarios) == 0 || slices.Contains(o.Scenarios, socketsName))
}
