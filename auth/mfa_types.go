package auth

import (
	"context"
	"time"
)

// The audited events of the second factor.
const (
	EventMfaEnabled            EventType = "mfa_enabled"
	EventMfaDisabled           EventType = "mfa_disabled"
	EventMfaReset              EventType = "mfa_reset"
	EventMfaChallenged         EventType = "mfa_challenged"
	EventRecoveryCodeUsed      EventType = "recovery_code_used"
	EventRecoveryCodesReplaced EventType = "recovery_codes_regenerated"
	// MaxTotpFailures wrong codes in a row locked the authenticator.
	EventMfaLocked EventType = "mfa_locked"
)

// MfaTokenTTL is how long the mfaToken of a login's first step may be
// used: enough to open an authenticator app and type a code.
const MfaTokenTTL = 5 * time.Minute

// DefaultTotpIssuer names this service in authenticator apps.
const DefaultTotpIssuer = "gqlauth"

// MfaOptions configure the second factor.
type MfaOptions struct {
	// Issuer is the otpauth URI's issuer (TOTP_ISSUER); "" means
	// DefaultTotpIssuer.
	Issuer string
	// Key is the AES-256 key sealing TOTP secrets (see DeriveMfaKey).
	// Without it nobody can enroll or prove a factor (the CLI needs none:
	// it only removes factors).
	Key []byte
	// PreviousKeys (MFA_ENCRYPTION_KEY_PREVIOUS) still open secrets sealed
	// before a rotation of Key; such a secret is sealed again under Key
	// when its code is next accepted, or by RekeyTotpSecrets.
	PreviousKeys [][]byte
	// RequireAdmin is REQUIRE_ADMIN_MFA (see RequireAdminFactor).
	RequireAdmin bool
}

// TotpFactor is a user's authenticator, as the store keeps it.
type TotpFactor struct {
	UserID    string `db:"user_id"`
	SecretEnc string `db:"secret_enc"` // sealed by secretBox
	LastStep  int64  `db:"last_step"`  // last accepted time step; 0: none yet
	// FailedCodes counts wrong codes since the last right one.
	FailedCodes int       `db:"failed_codes"`
	CreatedAt   time.Time `db:"created_at"`
}

// MaxTotpFailures is how many wrong codes in a row an authenticator takes
// before it is refused until a recovery code (or an administrator's
// reset) proves the user: the per-window throttle alone would let a
// holder of the password guess on for ever (NIST SP 800-63B caps
// consecutive failures at 100).
const MaxTotpFailures = 100

// MfaChallenge is a login waiting for its second factor. ID is the SHA-256
// of the mfaToken the client holds: the store never sees the token.
type MfaChallenge struct {
	ID        string     `db:"id"`
	UserID    string     `db:"user_id"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
	// Method is how the first step was proved (an amr): AMRPassword, or
	// AMRExternal after a provider's sign-in.
	Method string `db:"method"`
}

// firstFactor is the amr of the challenge's first step.
func (c *MfaChallenge) firstFactor() string {
	if c.Method == "" {
		return AMRPassword
	}
	return c.Method
}

// TotpEnrollment is what enrollTotp shows once: the new secret, as text,
// as an otpauth URI and as that URI's QR code.
type TotpEnrollment struct {
	Secret, URI, QRSvg string
}

// mfaQueries are the second factor's writes inside a transaction (part of
// Queries).
type mfaQueries interface {
	// SetUserMfa marks a user's second factor enabled (at now) or not.
	SetUserMfa(ctx context.Context, userID string, enabled bool, now time.Time) error
	// PutTotpFactor stores f, replacing the user's factor if any.
	PutTotpFactor(ctx context.Context, f *TotpFactor) error
	// DeleteMfa removes a user's factor and recovery codes; it reports
	// whether there was a factor.
	DeleteMfa(ctx context.Context, userID string) (bool, error)
	// AdvanceTotpStep records step as the user's last accepted one, only
	// if it is later than the recorded one; false means it was not (a
	// replay), and nothing changed.
	AdvanceTotpStep(ctx context.Context, userID, secretEnc string, step int64) (bool, error)
	// ResealTotpSecret replaces the user's sealed secret oldEnc by newEnc
	// (the same secret under another key); false when the factor holds
	// oldEnc no more (replaced, removed or resealed meanwhile).
	ResealTotpSecret(ctx context.Context, userID, oldEnc, newEnc string) (bool, error)
	// ClearTotpFailures forgets the wrong codes of a user's authenticator.
	ClearTotpFailures(ctx context.Context, userID string) error
	// ReplaceRecoveryCodes replaces every recovery code of the user.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error
	// UseRecoveryCode marks the unused code with hash as used at now;
	// false when the user has no such unused code.
	UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) (bool, error)
	// CreateMfaChallenge inserts c.
	CreateMfaChallenge(ctx context.Context, c *MfaChallenge) error
	// ConsumeMfaChallenge marks the challenge used, only if it is unused
	// and unexpired at now; false otherwise.
	ConsumeMfaChallenge(ctx context.Context, id string, now time.Time) (bool, error)
}

// mfaStore is what Mfa needs of the store outside transactions.
type mfaStore interface {
	txRunner
	UserByID(ctx context.Context, id string) (*User, error)
	// TotpFactor reads a user's factor; ErrNotFound when there is none.
	TotpFactor(ctx context.Context, userID string) (*TotpFactor, error)
	// CountTotpFailure counts a wrong code and returns the count so far.
	CountTotpFailure(ctx context.Context, userID string) (int, error)
	// MfaChallenge reads a challenge; ErrNotFound when there is none.
	MfaChallenge(ctx context.Context, id string) (*MfaChallenge, error)
	// TotpFactorsAfter lists up to limit factors, in user id order, of
	// users after afterUserID ("" from the first).
	TotpFactorsAfter(ctx context.Context, afterUserID string, limit int) ([]TotpFactor, error)
	// ResealTotpSecret is mfaQueries' ResealTotpSecret, outside a transaction.
	ResealTotpSecret(ctx context.Context, userID, oldEnc, newEnc string) (bool, error)
	// RecoveryCodesLeft counts a user's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
}

// MfaEnabled reports whether the account has a confirmed second factor.
func (u *User) MfaEnabled() bool { return u.MfaEnabledAt != nil }
