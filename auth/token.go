package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
}

// TokenConfig configures issuing and verification.
type TokenConfig struct {
	Secret     []byte
	Issuer     string
	Audience   string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	Leeway     time.Duration // clock skew tolerated on exp, nbf and iat
}

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
	kid    string
}

// NewTokens checks cfg and returns a Tokens.
func NewTokens(cfg TokenConfig, now func() time.Time) (*Tokens, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("JWT secret must be at least %d bytes, got %d", MinSecretLen, len(cfg.Secret))
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
	p := jwt.NewParser(
		// The allow-list is tied to the key type: an HMAC secret verifies
		// HS256 only, so "none" and RS/HS confusion are refused up front.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(now),
	)
	return &Tokens{cfg: cfg, parser: p, now: now, kid: keyID(cfg.Secret)}, nil
}

// keyID names an HMAC key without revealing it: a truncated SHA-256 of a
// domain-separated secret. A token naming another key is refused before
// its signature is checked.
func keyID(secret []byte) string {
	h := sha256.Sum256(append([]byte("gqlauth-kid:"), secret...))
	return "hs256-" + hex.EncodeToString(h[:8])
}

// KeyID is the kid header of tokens signed with the current key.
func (t *Tokens) KeyID() string { return t.kid }

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
// in which case a random one is drawn.
func (t *Tokens) Issue(typ TokenType, user *User, sid, jti string, fresh bool) (*Issued, error) {
	ttl := t.cfg.AccessTTL
	if typ == RefreshToken {
		ttl = t.cfg.RefreshTTL
		fresh = false
	}
	if jti == "" {
		jti = NewID()
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
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = t.kid
	s, err := tok.SignedString(t.cfg.Secret)
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
	c := &Claims{}
	_, err := t.parser.ParseWithClaims(raw, c, func(tok *jwt.Token) (any, error) {
		if _, ok := tok.Method.(*jwt.SigningMethodHMAC); !ok {
			return nil, fmt.Errorf("unexpected signing method %v", tok.Header["alg"])
		}
		if typ, _ := tok.Header["typ"].(string); typ != tokenTyp {
			return nil, fmt.Errorf("unexpected typ %q", tok.Header["typ"])
		}
		if kid, _ := tok.Header["kid"].(string); kid != t.kid {
			return nil, fmt.Errorf("unknown kid %q", tok.Header["kid"])
		}
		return t.cfg.Secret, nil
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
	return c, nil
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
