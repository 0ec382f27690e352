package main

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// readTokens reads the signing key and the tokens' claims and lifetimes.
func readTokens(r *envReader, c *config) {
	c.JWTSecret = []byte(r.fromFile("JWT_SECRET", true)) // not trimmed: every byte counts
	if len(c.JWTSecret) > 0 && len(c.JWTSecret) < auth.MinSecretLen {
		r.bad("JWT_SECRET", "must be at least %d bytes, got %d (generate one with: openssl rand -base64 48)", auth.MinSecretLen, len(c.JWTSecret))
	}
	readSigningKey(r, c)
	if len(c.JWTSecret) == 0 && c.Production && r.get("JWT_ALGORITHM") == auth.AlgHS256 {
		r.bad("JWT_SECRET", "required when APP_ENV=production: a generated secret kept in the database is for development only (generate one with: openssl rand -base64 48)")
	}
	c.Issuer, c.Audience = r.get("JWT_ISSUER"), r.get("JWT_AUDIENCE")
	if c.Issuer == "" {
		r.bad("JWT_ISSUER", "must not be empty")
	}
	if c.Audience == "" {
		r.bad("JWT_AUDIENCE", "must not be empty")
	}
	c.Leeway = r.duration("JWT_LEEWAY", 0)
	c.AccessTTL = r.duration("ACCESS_TOKEN_TTL", time.Second)
	c.RefreshTTL = r.duration("REFRESH_TOKEN_TTL", time.Second)
	if c.RefreshTTL > 0 && c.AccessTTL > c.RefreshTTL {
		r.bad("ACCESS_TOKEN_TTL", "must not exceed REFRESH_TOKEN_TTL")
	}
	// A token is accepted until exp plus the leeway: a lifetime the leeway
	// dwarfs is not the lifetime the operator asked for.
	if c.AccessTTL > 0 && c.AccessTTL <= c.Leeway {
		r.bad("ACCESS_TOKEN_TTL", "must be longer than JWT_LEEWAY (%s): tokens are accepted until expiry plus the leeway, so a %s token would be accepted for %s; lower JWT_LEEWAY (e.g. JWT_LEEWAY=0s for tests) or raise ACCESS_TOKEN_TTL",
			c.Leeway, c.AccessTTL, c.AccessTTL+c.Leeway)
	}
	c.ReuseGrace = r.duration("REFRESH_REUSE_GRACE", 0)
	if c.ReuseGrace == 0 {
		c.ReuseGrace = -1 // the service reads 0 as "default"; 0 here means off
	}
}

// readSigningKey reads JWT_ALGORITHM and, for an asymmetric one, its key.
func readSigningKey(r *envReader, c *config) {
	switch alg := r.get("JWT_ALGORITHM"); alg {
	case auth.AlgHS256:
		if r.get("JWT_PRIVATE_KEY_FILE") != "" {
			r.bad("JWT_PRIVATE_KEY_FILE", "is for EdDSA, ES256 or RS256; JWT_ALGORITHM is HS256")
		}
	case auth.AlgEdDSA, auth.AlgES256, auth.AlgRS256:
		f := r.get("JWT_PRIVATE_KEY_FILE")
		if f == "" {
			r.bad("JWT_PRIVATE_KEY_FILE", "required with JWT_ALGORITHM=%s (write one with: gqlauth keys generate --algorithm %s --out key.pem)", alg, alg)
			return
		}
		b, err := os.ReadFile(f)
		if err != nil {
			r.bad("JWT_PRIVATE_KEY_FILE", "cannot read the file: %v", errors.Unwrap(err))
			return
		}
		if c.SigningKey, err = auth.ParsePrivateKey(alg, b); err != nil {
			r.bad("JWT_PRIVATE_KEY_FILE", "%v", err)
		}
	default:
		r.bad("JWT_ALGORITHM", "must be one of %s, not %q", strings.Join(auth.Algorithms, ", "), alg)
	}
}
