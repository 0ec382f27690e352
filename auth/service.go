package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultReuseGrace is how long a consumed refresh token may be presented
// again without counting as theft: long enough for a client to retry after
// losing a response, short enough to be of little use to a thief.
const DefaultReuseGrace = 10 * time.Second

// Service is the use cases of gqlauth. Resolvers and the CLI call it; it
// owns every rule about accounts, sessions and tokens.
type Service struct {
	store      Store
	tokens     *Tokens
	hasher     *Hasher
	log        *slog.Logger
	now        func() time.Time
	reuseGrace time.Duration
	limits     RateLimits
	retention  time.Duration
	onEvent    func(EventType)
	csrf       bool
}

// ServiceOptions are the Service's tunables; zero values take defaults.
type ServiceOptions struct {
	ReuseGrace time.Duration // negative disables the grace window
	RateLimits RateLimits    // the zero value disables throttling
	// AuditRetention is how long audit events are kept; 0 keeps them forever.
	AuditRetention time.Duration
	// OnEvent, if set, hears of every audited event (for metrics).
	OnEvent func(EventType)
	// CSRF binds a double-submit value to every token pair, for clients
	// that receive their tokens in cookies.
	CSRF   bool
	Logger *slog.Logger
	Now    func() time.Time
}

// NewService wires a Service.
func NewService(store Store, tokens *Tokens, hasher *Hasher, opts ServiceOptions) *Service {
	s := &Service{store: store, tokens: tokens, hasher: hasher, log: opts.Logger, now: opts.Now, reuseGrace: opts.ReuseGrace, limits: opts.RateLimits,
		retention: opts.AuditRetention, onEvent: opts.OnEvent, csrf: opts.CSRF}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.reuseGrace == 0 {
		s.reuseGrace = DefaultReuseGrace
	}
	return s
}

// Tokens exposes the token issuer, e.g. for the HTTP middleware.
func (s *Service) Tokens() *Tokens { return s.tokens }

// hashErr maps a hashing failure: a saturated pool is the client's cue to
// back off, anything else is internal.
func hashErr(err error) error {
	if errors.Is(err, ErrHashBusy) {
		return RateLimitError(time.Second)
	}
	return Internal(err)
}

// AuthResult is what register, login and refresh return.
type AuthResult struct {
	Access  *Issued
	Refresh *Issued
	User    *User
	// CSRF is the double-submit value bound to both tokens ("" unless the
	// service was built with CSRF).
	CSRF string
}

// Register creates a USER account and logs it in with a fresh token.
func (s *Service) Register(ctx context.Context, email, password string) (*AuthResult, error) {
	email, err := NormalizeEmail("input.email", email)
	if err != nil {
		return nil, err
	}
	if err := ValidatePassword("input.password", password); err != nil {
		return nil, err
	}
	if err := s.take(ctx, s.ipKey(ctx, "register"), s.accountKey("register", email)); err != nil {
		return nil, err
	}
	// Hash before the transaction: argon2id takes tens of milliseconds and
	// must not hold a connection or a lock while it runs.
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, hashErr(err)
	}
	now := s.now().UTC()
	u := &User{ID: NewID(), Email: email, PasswordHash: hash, Role: RoleUser, CreatedAt: now, UpdatedAt: now}
	var res *AuthResult
	err = s.store.Tx(ctx, func(q Queries) error {
		if err := q.CreateUser(ctx, u); err != nil {
			if errors.Is(err, ErrDuplicateEmail) {
				return errEmailTaken
			}
			return err
		}
		if res, err = s.openSession(ctx, q, u, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, EventRegister, u.ID, u.Email, ""))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return res, nil
}

// Login checks credentials and opens a session with a fresh access token.
// An unknown email and a wrong password give the same error after the same
// work, so neither the answer nor its timing tells which accounts exist.
func (s *Service) Login(ctx context.Context, email, password string) (*AuthResult, error) {
	email, err := NormalizeEmail("input.email", email)
	if err != nil {
		return nil, err
	}
	if password == "" {
		return nil, BadInput("input.password", "password is required")
	}
	if len(password) > MaxPasswordBytes {
		return nil, BadInput("input.password", "password must be at most %d bytes", MaxPasswordBytes)
	}
	account := s.accountKey("login", email)
	if err := s.take(ctx, s.ipKey(ctx, "login"), account); err != nil {
		return nil, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		if err := s.hasher.VerifyDummy(ctx, password); err != nil {
			return nil, hashErr(err)
		}
		s.audit(ctx, EventLoginFailed, "", email, "unknown email")
		return nil, errInvalidCredentials
	}
	if err != nil {
		return nil, Internal(err)
	}
	ok, rehash, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		if errors.Is(err, ErrHashBusy) {
			return nil, hashErr(err)
		}
		return nil, Internal(fmt.Errorf("user %s: %w", u.ID, err))
	}
	if !ok {
		s.audit(ctx, EventLoginFailed, u.ID, email, "wrong password")
		return nil, errInvalidCredentials
	}
	s.reset(ctx, account)
	// Told only to whoever knows the password, so it reveals nothing more.
	if u.Disabled() {
		s.audit(ctx, EventLoginFailed, u.ID, email, "account disabled")
		return nil, errAccountDisabled
	}
	newHash := ""
	if rehash {
		if newHash, err = s.hasher.Hash(ctx, password); err != nil {
			return nil, hashErr(err)
		}
	}
	now := s.now().UTC()
	var res *AuthResult
	err = s.store.Tx(ctx, func(q Queries) error {
		if newHash != "" {
			if err := q.SetPasswordHash(ctx, u.ID, newHash, now); err != nil {
				return err
			}
		}
		if res, err = s.openSession(ctx, q, u, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, EventLoginSucceeded, u.ID, u.Email, ""))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return res, nil
}

// openSession creates a session for u and issues its first token pair.
func (s *Service) openSession(ctx context.Context, q Queries, u *User, now time.Time) (*AuthResult, error) {
	ri := RequestInfoFrom(ctx)
	sess := &Session{
		ID: NewID(), UserID: u.ID, RefreshJTI: NewID(),
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(s.tokens.RefreshTTL()),
		UserAgent: ri.UserAgent, IP: ri.IP,
	}
	if err := q.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return s.issuePair(u, sess, true)
}

func (s *Service) issuePair(u *User, sess *Session, fresh bool) (*AuthResult, error) {
	csrf := ""
	if s.csrf {
		csrf = NewID()
	}
	access, err := s.tokens.Issue(AccessToken, u, sess.ID, "", csrf, fresh)
	if err != nil {
		return nil, err
	}
	refresh, err := s.tokens.Issue(RefreshToken, u, sess.ID, sess.RefreshJTI, csrf, false)
	if err != nil {
		return nil, err
	}
	return &AuthResult{Access: access, Refresh: refresh, User: u, CSRF: csrf}, nil
}

// Refresh exchanges a refresh token for a new, non-fresh access token and a
// new refresh token. The presented token is consumed: presenting it again
// after the grace window means two parties hold it, so the session ends.
//
// With raw empty the refresh token comes from the refresh cookie, and then
// the request must also carry the CSRF value bound to it.
func (s *Service) Refresh(ctx context.Context, raw string) (*AuthResult, error) {
	var csrf *string
	if raw == "" {
		tok, sent, ok := TokenTransportFrom(ctx).RefreshCookie()
		if !ok {
			return nil, Unauthenticated(ReasonTokenMissing)
		}
		raw, csrf = tok, &sent
	}
	// Refreshing is routine for every client, so only failures count.
	ip := s.ipKey(ctx, "refresh")
	if err := s.check(ctx, ip); err != nil {
		return nil, err
	}
	res, err := s.refresh(ctx, raw, csrf)
	if ErrorCode(err) == CodeUnauthenticated {
		s.fail(ctx, ip)
	}
	return res, err
}

func (s *Service) refresh(ctx context.Context, raw string, csrf *string) (*AuthResult, error) {
	claims, err := s.tokens.Parse(raw, RefreshToken)
	if err != nil {
		return nil, err
	}
	if csrf != nil {
		if err := CheckCSRF(claims, *csrf); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC()
	// The fast path, one statement: the common case of a current token.
	newJTI := NewID()
	u, err := s.store.RotateSession(ctx, SessionRotation{SessionID: claims.SessionID, UserID: claims.Subject,
		JTI: claims.ID, NewJTI: newJTI, Now: now, ExpiresAt: now.Add(s.tokens.RefreshTTL())})
	if err == nil {
		return s.issuePair(u, &Session{ID: claims.SessionID, RefreshJTI: newJTI}, false)
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, wrap(err)
	}
	// The slow path decides, under the session's row lock, between a
	// retry inside the grace window, reuse, and a session that has ended.
	var res *AuthResult
	var reused bool
	err = s.store.Tx(ctx, func(q Queries) error {
		sess, err := q.SessionForUpdate(ctx, claims.SessionID)
		if errors.Is(err, ErrNotFound) {
			return Unauthenticated(ReasonTokenRevoked)
		}
		if err != nil {
			return err
		}
		if sess.UserID != claims.Subject {
			return Unauthenticated(ReasonTokenInvalid)
		}
		if !sess.Active(now) {
			return Unauthenticated(ReasonTokenRevoked)
		}
		switch {
		case claims.ID == sess.RefreshJTI:
			prev := sess.RefreshJTI
			sess.PrevRefreshJTI, sess.RotatedAt = &prev, &now
		case s.withinGrace(sess, claims.ID, now):
			// A retry of the last rotation: answer it, and keep the grace
			// window anchored at the first rotation so it cannot be stretched.
		default:
			reused = true
			if err := q.RevokeSession(ctx, sess.ID, now); err != nil {
				return err
			}
			return q.AddAuditEvent(ctx, s.event(ctx, EventRefreshReuse, sess.UserID, "", "session "+sess.ID))
		}
		u, err := q.UserByID(ctx, sess.UserID)
		if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled()) {
			return Unauthenticated(ReasonTokenRevoked)
		}
		if err != nil {
			return err
		}
		sess.RefreshJTI = NewID()
		sess.LastUsedAt = now
		sess.ExpiresAt = now.Add(s.tokens.RefreshTTL())
		if err := q.UpdateSession(ctx, sess); err != nil {
			return err
		}
		res, err = s.issuePair(u, sess, false)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	if reused {
		s.log.WarnContext(ctx, "refresh token reuse detected; session revoked", "user_id", claims.Subject, "session_id", claims.SessionID)
		return nil, Unauthenticated(ReasonTokenReused)
	}
	return res, nil
}

func (s *Service) withinGrace(sess *Session, jti string, now time.Time) bool {
	return s.reuseGrace > 0 && sess.PrevRefreshJTI != nil && sess.RotatedAt != nil &&
		jti == *sess.PrevRefreshJTI && now.Sub(*sess.RotatedAt) <= s.reuseGrace
}

// Authenticate returns the caller of the request in ctx. The token's
// signature and lifetime were checked by the middleware; this checks what
// only the database knows (revocation, ended sessions, the current role),
// on every request, so that a logout or a role change takes effect at once.
func (s *Service) Authenticate(ctx context.Context) (*Principal, error) {
	if p := PrincipalFrom(ctx); p != nil {
		return p, nil
	}
	claims, err := ClaimsFrom(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.store.TokenState(ctx, claims.Subject, claims.SessionID, claims.ID, s.now().UTC())
	if err != nil {
		return nil, Internal(err)
	}
	if st.User == nil || st.SessionEnded || st.TokenRevoked || st.User.Disabled() {
		return nil, Unauthenticated(ReasonTokenRevoked)
	}
	return &Principal{User: *st.User, Claims: claims}, nil
}

// RequireFresh authenticates the caller and demands a fresh token, one
// issued by a login rather than a refresh.
func (s *Service) RequireFresh(ctx context.Context) (*Principal, error) {
	p, err := s.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return p, p.CheckFresh()
}

// RequireRole authenticates the caller and demands role (or a higher one),
// judged on the role the database holds now.
func (s *Service) RequireRole(ctx context.Context, role Role) (*Principal, error) {
	p, err := s.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	return p, p.CheckRole(role)
}

// Me returns the caller's account.
func (s *Service) Me(ctx context.Context) (*User, error) {
	p, err := s.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	u := p.User
	return &u, nil
}

// Logout revokes the caller's access token and ends its session, or every
// session of the caller when all is set.
func (s *Service) Logout(ctx context.Context, all bool) error {
	p, err := s.Authenticate(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	c := p.Claims
	err = s.store.Tx(ctx, func(q Queries) error {
		if err := q.RevokeToken(ctx, c.ID, p.User.ID, c.ExpiresAt.Time.UTC(), now); err != nil {
			return err
		}
		typ := EventLogout
		if all {
			typ = EventLogoutAll
			if _, err := q.RevokeUserSessions(ctx, p.User.ID, "", now); err != nil {
				return err
			}
		} else if err := q.RevokeSession(ctx, c.SessionID, now); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, typ, p.User.ID, p.User.Email, ""))
	})
	return wrap(err)
}

// ChangePassword replaces the caller's password after checking the current
// one, and ends every other session of the caller.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	p, err := s.RequireFresh(ctx)
	if err != nil {
		return err
	}
	if err := ValidatePassword("newPassword", next); err != nil {
		return err
	}
	if len(current) > MaxPasswordBytes {
		return errInvalidCredentials
	}
	account := s.accountKey("changePassword", p.User.ID)
	if err := s.take(ctx, s.ipKey(ctx, "changePassword"), account); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return Internal(err)
	}
	ok, _, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return hashErr(err)
	}
	if !ok {
		return &Error{Code: CodeInvalidCredentials, Field: "currentPassword", Message: "current password is incorrect"}
	}
	s.reset(ctx, account)
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return hashErr(err)
	}
	now := s.now().UTC()
	err = s.store.Tx(ctx, func(q Queries) error {
		if err := q.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
			return err
		}
		n, err := q.RevokeUserSessions(ctx, u.ID, p.Claims.SessionID, now)
		if err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, EventPasswordChanged, u.ID, u.Email, fmt.Sprintf("ended %d other sessions", n)))
	})
	return wrap(err)
}

// SetUserRole changes a user's role as the admin in ctx. The change applies
// to the user's next request, because roles are read on every request.
func (s *Service) SetUserRole(ctx context.Context, userID string, role Role) (*User, error) {
	p, err := s.RequireRole(ctx, RoleAdmin)
	if err != nil {
		return nil, err
	}
	return s.setRole(ctx, userID, role, "by "+p.User.ID)
}

// SetRoleByEmail changes a user's role on an operator's authority (the CLI).
func (s *Service) SetRoleByEmail(ctx context.Context, email string, role Role) (*User, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return s.setRole(ctx, u.ID, role, "by operator")
}

func (s *Service) setRole(ctx context.Context, userID string, role Role, detail string) (*User, error) {
	if !role.Valid() {
		return nil, BadInput("role", "unknown role %q", role)
	}
	now := s.now().UTC()
	var u *User
	err := s.store.Tx(ctx, func(q Queries) error {
		old, err := q.UserByID(ctx, userID)
		if errors.Is(err, ErrNotFound) {
			return BadInput("userId", "no user with this id")
		}
		if err != nil {
			return err
		}
		if err := q.SetUserRole(ctx, userID, role, now); err != nil {
			return err
		}
		if u, err = q.UserByID(ctx, userID); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, EventRoleChanged, u.ID, u.Email,
			fmt.Sprintf("%s -> %s %s", old.Role, role, detail)))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// CreateUser creates an account with role on an operator's authority (the
// CLI). It opens no session.
func (s *Service) CreateUser(ctx context.Context, email, password string, role Role) (*User, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	if err := ValidatePassword("password", password); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, BadInput("role", "unknown role %q", role)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, hashErr(err)
	}
	now := s.now().UTC()
	u := &User{ID: NewID(), Email: email, PasswordHash: hash, Role: role, CreatedAt: now, UpdatedAt: now}
	err = s.store.Tx(ctx, func(q Queries) error {
		if err := q.CreateUser(ctx, u); err != nil {
			if errors.Is(err, ErrDuplicateEmail) {
				return errEmailTaken
			}
			return err
		}
		return q.AddAuditEvent(ctx, s.event(ctx, EventRegister, u.ID, u.Email, "by operator as "+string(role)))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return u, nil
}

// Stats returns the adminStats figures to an admin.
func (s *Service) Stats(ctx context.Context) (*Stats, error) {
	if _, err := s.RequireRole(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	st, err := s.store.Stats(ctx, now, now.Add(-24*time.Hour))
	if err != nil {
		return nil, Internal(err)
	}
	return st, nil
}

// Prune deletes revocations and sessions that can no longer matter.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	now := s.now().UTC()
	var auditBefore time.Time
	if s.retention > 0 {
		auditBefore = now.Add(-s.retention)
	}
	return s.store.Prune(ctx, now, auditBefore)
}

// RunPruner prunes every interval until ctx ends.
func (s *Service) RunPruner(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		n, err := s.Prune(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "prune failed", "err", err)
		} else if n > 0 {
			s.log.InfoContext(ctx, "pruned expired records", "rows", n)
		}
	})
}

// every calls fn every interval until ctx ends: the loop of the service's
// background jobs.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (s *Service) event(ctx context.Context, typ EventType, userID, email, detail string) *AuditEvent {
	if s.onEvent != nil {
		s.onEvent(typ)
	}
	ri := RequestInfoFrom(ctx)
	e := &AuditEvent{At: s.now().UTC(), Type: typ, Email: email, IP: ri.IP, UserAgent: ri.UserAgent, Detail: detail}
	if userID != "" {
		e.UserID = &userID
	}
	return e
}

// audit records an event outside any transaction. A failure to audit a
// failed login must not turn it into a different answer, so it is logged.
func (s *Service) audit(ctx context.Context, typ EventType, userID, email, detail string) {
	if err := s.store.AddAuditEvent(ctx, s.event(ctx, typ, userID, email, detail)); err != nil {
		s.log.ErrorContext(ctx, "audit event not recorded", "type", typ, "err", err)
	}
}

// wrap passes *Error through and turns anything else into an internal error.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
