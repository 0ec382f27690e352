package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"
)

// TokenType tells access tokens from refresh tokens. A token of one type is
// never accepted where the other is expected.
type TokenType string

// The two token types.
const (
	AccessToken  TokenType = "access"
	RefreshToken TokenType = "refresh"
)

// MinSecretLen is the shortest HS256 secret accepted: RFC 7518 §3.2 asks
// for a key at least as long as the hash output.
const MinSecretLen = 32

// Claims are the JWT claims gqlauth issues and accepts.
type Claims struct {
	jwt.RegisteredClaims
	Role      Role      `json:"role"`
	SessionID string    `json:"sid"`
	Type      TokenType `json:"type"`
	Fresh     bool      `json:"fresh"`
	// CSRF is the double-submit value bound to a token pair delivered in
	// cookies: a cookie-borne token is accepted only with this value in
	// the X-CSRF-Token header, which another site cannot read or forge.
	CSRF string `json:"csrf,omitempty"`
	// Scope is the space-separated scopes of the user's role (access
	// tokens only), for a router's @requiresScopes.
	Scope string `json:"scope,omitempty"`
	// Extra are claims shaped by CLAIMS_TEMPLATE and customClaims (access
	// tokens only): issued, never read back (see MarshalJSON).
	Extra map[string]any `json:"-"`
	// AMR are the methods the session's login proved (RFC 8176): "pwd",
	// then "otp" or "recovery" after a second factor. AAL is the level
	// they reach: aal1 with a password alone, aal2 with a second factor.
	// A refresh carries both over from the refresh token.
	AMR []string `json:"amr,omitempty"`
	AAL string   `json:"aal,omitempty"`
}

// TokenConfig configures issuing and verification.
type TokenConfig struct {
	// Key signs new tokens. When nil, Secret makes an HS256 key.
	Key        *SigningKey
	Secret     []byte
	Issuer     string
	Audience   string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Leeway     time.Duration // clock skew tolerated on exp, nbf and iat
	// Shaper adds the scope and custom claims to access tokens (nil:
	// none).
	Shaper *ClaimShaper
	// VerifiedCache bounds how many verified access tokens are remembered,
	// so that a client's next request with the same token skips decoding
	// and signature checking (the lifetimes are checked again every
	// time). 0 means DefaultVerifiedCache; negative disables it.
	VerifiedCache int
}

// DefaultVerifiedCache is the default bound of the verified-token cache:
// tokens are about 400 bytes, but only their SHA-256 and claims are kept.
const DefaultVerifiedCache = 10_000

// MaxTokenBytes bounds a token before any parsing (RFC 8725 §3.1 advice
// against resource exhaustion); real tokens are well under 1 KiB.
const MaxTokenBytes = 8 << 10

// tokenTyp is the JOSE "typ" header of every token issued and accepted.
const tokenTyp = "JWT"

// Tokens issues and verifies JWTs. It is safe for concurrent use.
type Tokens struct {
	cfg    TokenConfig
	parser *jwt.Parser
	now    func() time.Time
	key    *SigningKey
	// keys are the keys tokens are accepted from, by kid: the signing key
	// and, after a rotation, the keys whose tokens may still be alive.
	keys atomic.Pointer[map[string]*VerifyKey]

	// verified remembers access tokens that passed Parse, by SHA-256 of
	// the raw token; validator re-checks their lifetimes on each use.
	verified  *lru.Cache[[sha256.Size]byte, verifiedToken]
	validator *jwt.Validator

	reloadMu sync.Mutex
	source   func(context.Context) ([]*VerifyKey, error)
	lastMiss time.Time // when an unknown kid last made Tokens reload
}

// keyReloadInterval bounds how often an unknown kid makes Tokens ask the
// key source again: often enough to pick up a key another replica just
// started signing with, rarely enough that forged kids cannot load the
// database.
const keyReloadInterval = time.Second

// Sealer derives, from the signing key, the key that seals values kept in
// the database for purpose (see Sealer).
func (t *Tokens) Sealer(purpose string) (*Sealer, error) { return NewSealer(t.key, purpose) }

// CheckClaims tells whether u's access tokens can be shaped (their custom
// claims render in the template within its bounds).
func (t *Tokens) CheckClaims(u *User) error {
	_, _, err := t.cfg.Shaper.extra(u, AAL2)
	return err
}

// NewTokens checks cfg and returns a Tokens.
func NewTokens(cfg TokenConfig, now func() time.Time) (*Tokens, error) {
	if cfg.Key == nil {
		k, err := NewHMACKey(cfg.Secret)
		if err != nil {
			return nil, err
		}
		cfg.Key = k
	}
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("JWT issuer and audience must be set")
	}
	if cfg.AccessTTL <= 0 || cfg.RefreshTTL <= 0 {
		return nil, errors.New("token lifetimes must be positive")
	}
	if now == nil {
		now = time.Now
	}
	claimChecks := []jwt.ParserOption{
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(now),
	}
	// The allow-list of algorithms; Parse further ties each kid to the one
	// algorithm of its key, so "none" and RS/HS confusion are refused
	// whatever the header claims.
	p := jwt.NewParser(append([]jwt.ParserOption{jwt.WithValidMethods(Algorithms)}, claimChecks...)...)
	t := &Tokens{cfg: cfg, parser: p, now: now, key: cfg.Key, validator: jwt.NewValidator(claimChecks...)}
	if n := cfg.VerifiedCache; n >= 0 {
		if n == 0 {
			n = DefaultVerifiedCache
		}
		t.verified, _ = lru.New[[sha256.Size]byte, verifiedToken](n)
	}
	t.setKeys(nil)
	return t, nil
}

// KeyID is the kid header of tokens signed with the current key.
func (t *Tokens) KeyID() string { return t.key.ID }

// Algorithm is the algorithm new tokens are signed with.
func (t *Tokens) Algorithm() string { return t.key.Alg }

// SigningKey is the key new tokens are signed with.
func (t *Tokens) SigningKey() *VerifyKey { return &t.key.VerifyKey }

// SetKeySource tells Tokens where to find the other keys it should accept
// (see SyncKeys); it is asked at once and again whenever a token names a
// kid that is not known yet, at most once per keyReloadInterval.
func (t *Tokens) SetKeySource(ctx context.Context, src func(context.Context) ([]*VerifyKey, error)) error {
	t.reloadMu.Lock()
	t.source = src
	t.reloadMu.Unlock()
	return t.Reload(ctx)
}

// Reload asks the key source for the current set of accepted keys.
func (t *Tokens) Reload(ctx context.Context) error {
	t.reloadMu.Lock()
	defer t.reloadMu.Unlock()
	return t.reloadLocked(ctx)
}

func (t *Tokens) reloadLocked(ctx context.Context) error {
	if t.source == nil {
		return nil
	}
	keys, err := t.source(ctx)
	if err != nil {
		return err
	}
	t.setKeys(keys)
	return nil
}

func (t *Tokens) setKeys(others []*VerifyKey) {
	m := map[string]*VerifyKey{t.key.ID: &t.key.VerifyKey}
	for _, k := range others {
		if _, ok := m[k.ID]; !ok {
			m[k.ID] = k
		}
	}
	t.keys.Store(&m)
}

// verifyKey finds the key named kid, asking the key source again when the
// kid is new (a replica may have just started signing with it).
func (t *Tokens) verifyKey(kid string) *VerifyKey {
	if k := (*t.keys.Load())[kid]; k != nil {
		return k
	}
	t.reloadMu.Lock()
	defer t.reloadMu.Unlock()
	if k := (*t.keys.Load())[kid]; k != nil {
		return k // another request reloaded meanwhile
	}
	if t.source == nil || t.now().Sub(t.lastMiss) < keyReloadInterval {
		return nil
	}
	t.lastMiss = t.now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := t.reloadLocked(ctx); err != nil {
		return nil
	}
	return (*t.keys.Load())[kid]
}

// PublicKeys are the keys a verifier should trust now: the signing key and
// the keys of tokens still alive, current first. An HS256 secret is never
// among them.
func (t *Tokens) PublicKeys() []*VerifyKey {
	m := *t.keys.Load()
	out := make([]*VerifyKey, 0, len(m))
	for _, k := range m {
		if k.Public() {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b *VerifyKey) int {
		switch {
		case a.ID == t.key.ID:
			return -1
		case b.ID == t.key.ID:
			return 1
		}
		return compareIDs(a.ID, b.ID)
	})
	return out
}

func compareIDs(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AccessTTL is the access token lifetime.
func (t *Tokens) AccessTTL() time.Duration { return t.cfg.AccessTTL }

// RefreshTTL is the refresh token lifetime, which is also a session's idle
// lifetime.
func (t *Tokens) RefreshTTL() time.Duration { return t.cfg.RefreshTTL }

// Issued is a signed token with the claims it carries.
type Issued struct {
	Token  string
	Claims *Claims
}

// Issue signs a token of type typ for user in session sid. jti may be empty,
// in which case a random one is drawn; csrf, when not empty, binds the
// token to a double-submit value.
func (t *Tokens) Issue(typ TokenType, user *User, sid, jti, csrf string, fresh bool) (*Issued, error) {
	return t.IssueAMR(typ, user, sid, jti, csrf, fresh, nil)
}

// IssueAMR is Issue for a login that proved the methods amr (nil: a
// password alone); the token's aal follows from them.
func (t *Tokens) IssueAMR(typ TokenType, user *User, sid, jti, csrf string, fresh bool, amr []string) (*Issued, error) {
	if len(amr) == 0 {
		amr = []string{AMRPassword}
	}
	ttl := t.cfg.AccessTTL
	if typ == RefreshToken {
		ttl = t.cfg.RefreshTTL
		fresh = false
	}
	if jti == "" {
		jti = NewID()
	}
	var scope string
	var extra map[string]any
	if typ == AccessToken {
		var err error
		if scope, extra, err = t.cfg.Shaper.extra(user, aalOf(amr)); err != nil {
			return nil, err
		}
	}
	now := t.now()
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.cfg.Issuer,
			Subject:   user.ID,
			Audience:  jwt.ClaimStrings{t.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        jti,
		},
		Role:      user.Role,
		SessionID: sid,
		Type:      typ,
		Fresh:     fresh,
		CSRF:      csrf,
		Scope:     scope,
		Extra:     extra,
		AMR:       amr,
		AAL:       aalOf(amr),
	}
	tok := jwt.NewWithClaims(t.key.method, c)
	tok.Header["kid"] = t.key.ID
	s, err := tok.SignedString(t.key.signer)
	if err != nil {
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return &Issued{Token: s, Claims: c}, nil
}

// Parse verifies raw as a token of type want and returns its claims. The
// error is always an *Error with reason TOKEN_EXPIRED or TOKEN_INVALID, so
// that a client refreshes only when refreshing can help.
func (t *Tokens) Parse(raw string, want TokenType) (*Claims, error) {
	if len(raw) > MaxTokenBytes {
		return nil, &Error{Code: CodeUnauthenticated, Reason: ReasonTokenInvalid, Message: "invalid token",
			Err: fmt.Errorf("token of %d bytes exceeds %d", len(raw), MaxTokenBytes)}
	}
	var key [sha256.Size]byte
	if t.verified != nil && want == AccessToken {
		key = sha256.Sum256([]byte(raw))
		if v, ok := t.verified.Get(key); ok {
			// The lifetime is checked again, and so is the key: a key
			// retired past its horizon or withdrawn since (a leaked one)
			// must stop its tokens now, not when they expire.
			if (*t.keys.Load())[v.kid] != nil && t.validator.Validate(v.claims) == nil {
				return v.claims, nil
			}
			t.verified.Remove(key) // the full parse below says why not
		}
	}
	c := &Claims{}
	var verifiedBy *VerifyKey
	_, err := t.parser.ParseWithClaims(raw, c, func(tok *jwt.Token) (any, error) {
		if typ, _ := tok.Header["typ"].(string); typ != tokenTyp {
			return nil, fmt.Errorf("unexpected typ %q", tok.Header["typ"])
		}
		// RFC 7515 §4.1.11: a verifier must refuse a token whose crit
		// names an extension it does not understand; we understand none.
		if _, ok := tok.Header["crit"]; ok {
			return nil, fmt.Errorf("critical header extensions %v not understood", tok.Header["crit"])
		}
		kid, _ := tok.Header["kid"].(string)
		k := t.verifyKey(kid)
		if k == nil {
			return nil, fmt.Errorf("unknown kid %q", tok.Header["kid"])
		}
		// A key verifies its own algorithm only: the header cannot choose.
		if tok.Method.Alg() != k.Alg {
			return nil, fmt.Errorf("token signed with %v but key %s is %s", tok.Header["alg"], kid, k.Alg)
		}
		verifiedBy = k
		return k.key, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired) && !errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// golang-jwt checks the signature before the claims, so an expired
		// token here is a genuine one that outlived its exp.
		return nil, &Error{Code: CodeUnauthenticated, Reason: ReasonTokenExpired, Message: "token has expired", Err: err}
	default:
		return nil, &Error{Code: CodeUnauthenticated, Reason: ReasonTokenInvalid, Message: "invalid token", Err: err}
	}
	if c.Type != want {
		return nil, &Error{Code: CodeUnauthenticated, Reason: ReasonTokenInvalid, Message: "invalid token",
			Err: fmt.Errorf("token type %q where %q was expected", c.Type, want)}
	}
	if c.Subject == "" || c.ID == "" || c.SessionID == "" || c.IssuedAt == nil || c.NotBefore == nil {
		return nil, &Error{Code: CodeUnauthenticated, Reason: ReasonTokenInvalid, Message: "invalid token",
			Err: errors.New("token lacks a required claim")}
	}
	if t.verified != nil && want == AccessToken {
		t.verified.Add(key, verifiedToken{claims: c, kid: verifiedBy.ID}) // shared: callers never modify claims
	}
	return c, nil
}

// verifiedToken is an entry of the verified-token cache: the claims and
// the kid of the key that verified their signature, which must still be
// accepted when the entry is used. A kid is the key's thumbprint, so a kid
// still accepted names the same key.
type verifiedToken struct {
	claims *Claims
	kid    string
}

// NewID returns a random 128-bit identifier, hex encoded. It is used for
// user ids, session ids and jtis alike: unguessable and collision free.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return hex.EncodeToString(b[:])
}
