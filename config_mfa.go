package main

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
)

// mfaConfig configures the second factor.
type mfaConfig struct {
	// Key is MFA_ENCRYPTION_KEY: the material the key sealing TOTP
	// secrets is derived from. Nil outside production means "derive it
	// from the JWT signing secret or key" (see mfaKeyMaterial).
	Key []byte
	// Previous is MFA_ENCRYPTION_KEY_PREVIOUS: the material of the key
	// before a rotation, which still opens the secrets sealed with it.
	Previous []byte
	// signingKeyPEM is JWT_PRIVATE_KEY_FILE's content, the material
	// outside production when tokens are signed with a private key.
	signingKeyPEM []byte
	Issuer        string
	RequireAdmin  bool
}

// readMfa reads the second factor's settings. Production requires its own
// encryption key: one derived from the JWT secret would change, and lock
// every user out of their factor, when the signing secret is rotated.
func readMfa(r *envReader, c *config) {
	m := &c.Mfa
	if k := r.fromFile("MFA_ENCRYPTION_KEY", true); k != "" {
		m.Key = []byte(k)
		if len(m.Key) < auth.MinMfaKeyLen {
			r.bad("MFA_ENCRYPTION_KEY", "must be at least %d bytes, got %d (generate one with: openssl rand -base64 48)", auth.MinMfaKeyLen, len(m.Key))
		}
	} else if c.Production {
		r.bad("MFA_ENCRYPTION_KEY", "required when APP_ENV=production: it encrypts TOTP secrets (generate one with: openssl rand -base64 48)")
	} else if c.SigningKey != nil {
		m.signingKeyPEM, _ = os.ReadFile(r.get("JWT_PRIVATE_KEY_FILE")) // readSigningKey read it a moment ago
	}
	if k := r.fromFile("MFA_ENCRYPTION_KEY_PREVIOUS", true); k != "" {
		m.Previous = []byte(k)
		if len(m.Previous) < auth.MinMfaKeyLen {
			r.bad("MFA_ENCRYPTION_KEY_PREVIOUS", "must be at least %d bytes, got %d", auth.MinMfaKeyLen, len(m.Previous))
		}
	}
	m.Issuer = r.get("TOTP_ISSUER")
	if m.Issuer == "" || len(m.Issuer) > 64 {
		r.bad("TOTP_ISSUER", "must be 1 to 64 characters")
	}
	m.RequireAdmin = r.boolean("REQUIRE_ADMIN_MFA", c.Production)
}

// mfaKeyMaterial is what the TOTP sealing key is derived from:
// MFA_ENCRYPTION_KEY or, outside production, the JWT signing secret (the
// configured one, the private key's file, or the secret generated into
// the database).
func mfaKeyMaterial(ctx context.Context, cfg *config, store *db.Store) ([]byte, error) {
	switch {
	case cfg.Mfa.Key != nil:
		return cfg.Mfa.Key, nil
	case len(cfg.JWTSecret) > 0:
		return cfg.JWTSecret, nil
	case cfg.Mfa.signingKeyPEM != nil:
		return cfg.Mfa.signingKeyPEM, nil
	}
	// newTokens warned already about the generated secret.
	return jwtSecret(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), store)
}

// mfaOptions are the second factor's service options; the key is derived
// here, so the material is never held longer than this call.
func mfaOptions(ctx context.Context, cfg *config, store *db.Store) (auth.MfaOptions, error) {
	material, err := mfaKeyMaterial(ctx, cfg, store)
	if err != nil {
		return auth.MfaOptions{}, err
	}
	key, err := auth.DeriveMfaKey(material)
	if err != nil {
		return auth.MfaOptions{}, err
	}
	opts := auth.MfaOptions{Issuer: cfg.Mfa.Issuer, Key: key, RequireAdmin: cfg.Mfa.RequireAdmin}
	if cfg.Mfa.Previous != nil {
		prev, err := auth.DeriveMfaKey(cfg.Mfa.Previous)
		if err != nil {
			return auth.MfaOptions{}, err
		}
		opts.PreviousKeys = [][]byte{prev}
	}
	return opts, nil
}
