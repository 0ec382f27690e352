package auth_test

// The harness is the only file of the service-level tests that knows how the
// service is built and what its methods are called: every table test calls
// the harness, never the service. When the service is split into smaller
// use-case types, this file is the one to port.

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/db/dbtest"
	"github.com/gqlauth/gqlauth/httpapi"
)

// Test-wide settings. The lifetimes are the defaults' order of magnitude;
// only their relations matter to the tests.
const (
	accessTTL  = 15 * time.Minute
	refreshTTL = 24 * time.Hour
	leeway     = 30 * time.Second
	// clientIP is the address of every request that does not name one.
	clientIP = "198.51.100.7"
	// goodPassword satisfies the password policy.
	goodPassword = "correct horse battery"
)

// testSecret signs HS256 tokens when a test names no key of its own.
var testSecret = []byte("service-tests-secret-0123456789abcdef")

// cheapArgon2 keeps hashing fast; the cost parameters are not under test.
var cheapArgon2 = auth.Argon2Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// options are what a test may vary; zero values give the defaults below.
type options struct {
	ReuseGrace     time.Duration // 0: auth.DefaultReuseGrace; negative: off
	RateLimits     auth.RateLimits
	AuditRetention time.Duration
	CSRF           bool
	Key            *auth.SigningKey // nil: HS256 with testSecret
	KDF            auth.KeyDeriver  // nil: argon2id in process
	HashWorkers    int              // 0: 2
	HashQueue      int              // 0: 16; negative: no queue
	// ErrorLogs lets the service log at ERROR level; otherwise an ERROR
	// line fails the test, since bad input must never cause one.
	ErrorLogs bool
}

// harness is one service on a real SQLite store in a temporary directory,
// with a fake clock.
type harness struct {
	t      *testing.T
	clock  *fakeClock
	store  *db.Store
	tokens *auth.Tokens
	svc    *auth.Service
}

// newHarness builds a service on a fresh, migrated SQLite store.
func newHarness(t *testing.T, opts options) *harness {
	t.Helper()
	store := dbtest.Open(t, dbtest.SQLiteURL(t))
	clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	return build(t, store, clock, opts)
}

// replica builds a second service on h's store and clock, as another
// process of the same deployment would be.
func (h *harness) replica(opts options) *harness {
	h.t.Helper()
	return build(h.t, h.store, h.clock, opts)
}

func build(t *testing.T, store *db.Store, clock *fakeClock, opts options) *harness {
	t.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{
		Key: opts.Key, Secret: testSecret, Issuer: "gqlauth-test", Audience: "gqlauth-test",
		AccessTTL: accessTTL, RefreshTTL: refreshTTL, Leeway: leeway,
	}, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	workers, queue := opts.HashWorkers, opts.HashQueue
	if workers == 0 {
		workers = 2
	}
	switch {
	case queue == 0:
		queue = 16
	case queue < 0:
		queue = 0
	}
	hasher, err := auth.NewHasher(cheapArgon2, workers, queue, opts.KDF)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(store, tokens, hasher, auth.ServiceOptions{
		ReuseGrace: opts.ReuseGrace, RateLimits: opts.RateLimits, AuditRetention: opts.AuditRetention,
		BindCSRF: opts.CSRF, Now: clock.Now, Logger: slog.New(&testLog{t: t, errorsOK: opts.ErrorLogs}),
	})
	return &harness{t: t, clock: clock, store: store, tokens: tokens, svc: svc}
}

// pair is what register, login and refresh hand a client.
type pair struct {
	Access, Refresh string
	CSRF            string
	SessionID       string
	Fresh           bool // the access token's fresh claim
	User            auth.User
	res             *auth.AuthResult
}

func toPair(res *auth.AuthResult, err error) (*pair, error) {
	if err != nil {
		return nil, err
	}
	return &pair{Access: res.Access.Token, Refresh: res.Refresh.Token, CSRF: res.CSRF,
		SessionID: res.Access.Claims.SessionID, Fresh: res.Access.Claims.Fresh, User: *res.User, res: res}, nil
}

// list is one page of a paged admin list.
type list[T any] struct {
	Items   []T
	HasNext bool
	End     string
}

// --- request contexts ---

// from is an anonymous request from ip.
func (h *harness) from(ip string) context.Context {
	return auth.WithRequestInfo(context.Background(), auth.RequestInfo{IP: ip, UserAgent: "harness"})
}

// anon is an anonymous request from clientIP.
func (h *harness) anon() context.Context { return h.from(clientIP) }

// asUser is a request from clientIP bearing the access token tok, verified
// as the HTTP middleware verifies it: the outcome, claims or error, goes in
// the context and the use case decides what it needs.
func (h *harness) asUser(tok string) context.Context { return h.asUserFrom(clientIP, tok) }

// asUserFrom is asUser from ip.
func (h *harness) asUserFrom(ip, tok string) context.Context {
	claims, err := h.tokens.Parse(tok, auth.AccessToken)
	return auth.WithCredential(h.from(ip), claims, err)
}

// viaHTTP is the context the HTTP middleware builds for r, in cookie mode
// when cookies is set (with the default cookie names), and the recorder
// that receives the cookies the use cases set.
func (h *harness) viaHTTP(r *http.Request, cookies bool) (context.Context, *httptest.ResponseRecorder) {
	tr := httpapi.Transport{Cookies: cookies, Cookie: httpapi.DefaultCookieConfig()}
	var ctx context.Context
	w := httptest.NewRecorder()
	httpapi.Middleware(h.tokens, httpapi.MiddlewareOptions{Transport: tr})(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ctx = r.Context()
	})).ServeHTTP(w, r)
	return ctx, w
}

// deliver hands p to the client as the resolvers do: in cookies when the
// request's transport says so.
func (h *harness) deliver(ctx context.Context, p *pair) {
	auth.TokenCarrierFrom(ctx).Deliver(p.res)
}

// clearCookies is what logout answers in cookie mode.
func (h *harness) clearCookies(ctx context.Context) { auth.TokenCarrierFrom(ctx).Clear() }

// tokensInBody says whether the response body may carry the tokens.
func (h *harness) tokensInBody(ctx context.Context) bool {
	return auth.TokenCarrierFrom(ctx).TokensInBody()
}

// parseAccess verifies an access token as the middleware does.
func (h *harness) parseAccess(tok string) error {
	_, err := h.tokens.Parse(tok, auth.AccessToken)
	return err
}

// --- accounts ---

func (h *harness) register(ctx context.Context, email, password string) (*pair, error) {
	return toPair(h.svc.Accounts.Register(ctx, email, password))
}

func (h *harness) login(ctx context.Context, email, password string) (*pair, error) {
	return toPair(h.svc.Accounts.Login(ctx, email, password))
}

func (h *harness) changePassword(ctx context.Context, current, next string) error {
	return h.svc.Accounts.ChangePassword(ctx, current, next)
}

func (h *harness) me(ctx context.Context) (*auth.User, error) { return h.svc.Accounts.Me(ctx) }

// --- sessions ---

func (h *harness) refresh(ctx context.Context, raw string) (*pair, error) {
	var csrf *string
	if raw == "" { // as the resolver does: the refresh cookie, with the CSRF header
		if tok, sent, ok := auth.TokenCarrierFrom(ctx).StoredRefresh(); ok {
			raw, csrf = tok, &sent
		}
	}
	return toPair(h.svc.Sessions.Refresh(ctx, raw, csrf))
}

func (h *harness) logout(ctx context.Context, all bool) error { return h.svc.Sessions.Logout(ctx, all) }

func (h *harness) mySessions(ctx context.Context) ([]auth.SessionView, error) {
	return h.svc.Sessions.Mine(ctx)
}

func (h *harness) revokeSession(ctx context.Context, id string) (current bool, err error) {
	return h.svc.Sessions.Revoke(ctx, id)
}

// --- admin, as the caller in ctx ---

func (h *harness) setRole(ctx context.Context, userID string, role auth.Role) (*auth.User, error) {
	return h.svc.Admin.SetRole(ctx, userID, role)
}

func (h *harness) setDisabled(ctx context.Context, userID string, disabled bool) (*auth.User, error) {
	return h.svc.Admin.SetDisabled(ctx, userID, disabled)
}

func (h *harness) revokeUserSessions(ctx context.Context, userID string) (int, error) {
	return h.svc.Admin.RevokeSessions(ctx, userID)
}

func (h *harness) listUsers(ctx context.Context, first int, after, search string) (*list[auth.User], error) {
	l, err := h.svc.Admin.Users(ctx, first, after, search)
	if err != nil {
		return nil, err
	}
	return &list[auth.User]{Items: l.Users, HasNext: l.HasNextPage, End: l.EndCursor}, nil
}

func (h *harness) auditEvents(ctx context.Context, first int, after, userID string) (*list[auth.AuditEvent], error) {
	l, err := h.svc.Admin.AuditEvents(ctx, first, after, userID)
	if err != nil {
		return nil, err
	}
	return &list[auth.AuditEvent]{Items: l.Events, HasNext: l.HasNextPage, End: l.EndCursor}, nil
}

func (h *harness) stats(ctx context.Context) (*auth.Stats, error) { return h.svc.Admin.Stats(ctx) }

func (h *harness) resetUserMfa(ctx context.Context, id string) (*auth.User, error) {
	return h.svc.Mfa.ResetUserMfa(ctx, id)
}

func (h *harness) user(ctx context.Context, id string) (*auth.User, error) {
	return h.svc.Admin.User(ctx, id)
}

func (h *harness) userEntity(ctx context.Context, id string) (*auth.User, error) {
	return h.svc.Accounts.UserEntity(ctx, id)
}

// --- the CLI operator ---

func (h *harness) operatorCreateUser(email, password string, role auth.Role) (*auth.User, error) {
	return h.svc.Admin.CreateUser(auth.AsOperator(context.Background()), email, password, role)
}

func (h *harness) operatorSetRole(email string, role auth.Role) (*auth.User, error) {
	ctx := auth.AsOperator(context.Background())
	u, err := h.svc.Admin.UserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return h.svc.Admin.SetRole(ctx, u.ID, role)
}

func (h *harness) operatorSetDisabled(email string, disabled bool) (*auth.User, error) {
	ctx := auth.AsOperator(context.Background())
	u, err := h.svc.Admin.UserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return h.svc.Admin.SetDisabled(ctx, u.ID, disabled)
}

func (h *harness) operatorRevokeSessions(email string) (int, error) {
	ctx := auth.AsOperator(context.Background())
	u, err := h.svc.Admin.UserByEmail(ctx, email)
	if err != nil {
		return 0, err
	}
	return h.svc.Admin.RevokeSessions(ctx, u.ID)
}

func (h *harness) operatorListUsers(first int, after, search string) (*list[auth.User], error) {
	l, err := h.svc.Admin.Users(auth.AsOperator(context.Background()), first, after, search)
	if err != nil {
		return nil, err
	}
	return &list[auth.User]{Items: l.Users, HasNext: l.HasNextPage, End: l.EndCursor}, nil
}

func (h *harness) operatorAuditTail(first int, after string) (*list[auth.AuditEvent], error) {
	l, err := h.svc.Admin.AuditEvents(auth.AsOperator(context.Background()), first, after, "")
	if err != nil {
		return nil, err
	}
	return &list[auth.AuditEvent]{Items: l.Events, HasNext: l.HasNextPage, End: l.EndCursor}, nil
}

// --- maintenance and keys ---

func (h *harness) prune() (int64, error) { return h.svc.Pruner.Prune(context.Background()) }

// startKeys publishes the signing key and loads the accepted keys, as a
// server does at start.
func (h *harness) startKeys() {
	h.t.Helper()
	ctx := context.Background()
	if err := h.svc.Keys.Publish(ctx); err != nil {
		h.t.Fatal(err)
	}
	if err := h.tokens.SetKeySource(ctx, h.svc.Keys.Accepted); err != nil {
		h.t.Fatal(err)
	}
}

// reloadKeys is one tick of the periodic key refresh.
func (h *harness) reloadKeys() {
	h.t.Helper()
	if err := h.tokens.Reload(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// jwksKIDs are the kids the JWKS publishes now.
func (h *harness) jwksKIDs() []string {
	var kids []string
	for _, k := range h.tokens.PublicKeys() {
		kids = append(kids, k.ID)
	}
	return kids
}

// --- fixtures ---

// newUser registers email and returns its first (fresh) pair.
func (h *harness) newUser(email string) *pair {
	h.t.Helper()
	p, err := h.register(h.anon(), email, goodPassword)
	if err != nil {
		h.t.Fatalf("register %s: %v", email, err)
	}
	return p
}

// newAdmin creates an ADMIN through the operator and logs it in: a fresh
// admin token.
func (h *harness) newAdmin(email string) *pair {
	h.t.Helper()
	if _, err := h.operatorCreateUser(email, goodPassword, auth.RoleAdmin); err != nil {
		h.t.Fatalf("create admin %s: %v", email, err)
	}
	p, err := h.login(h.anon(), email, goodPassword)
	if err != nil {
		h.t.Fatalf("login admin %s: %v", email, err)
	}
	return p
}

// refreshed trades p's refresh token for a new pair, whose access token is
// not fresh.
func (h *harness) refreshed(p *pair) *pair {
	h.t.Helper()
	return h.refreshedFrom(clientIP, p)
}

// refreshedFrom is refreshed, asked from ip.
func (h *harness) refreshedFrom(ip string, p *pair) *pair {
	h.t.Helper()
	np, err := h.refresh(h.from(ip), p.Refresh)
	if err != nil {
		h.t.Fatalf("refresh: %v", err)
	}
	return np
}
