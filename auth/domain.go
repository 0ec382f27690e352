package auth

import (
	"context"
	"fmt"
	"time"
)

// Role is a user's authorization level.
type Role string

// The roles a user can hold.
const (
	RoleUser  Role = "USER"
	RoleAdmin Role = "ADMIN"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleUser || r == RoleAdmin }

// User is an account. PasswordHash is in PHC (argon2id) or bcrypt format.
type User struct {
	ID           string     `db:"id"`
	Email        string     `db:"email"`
	PasswordHash string     `db:"password_hash"`
	Role         Role       `db:"role"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
	DisabledAt   *time.Time `db:"disabled_at"` // nil while the account is enabled
	// EmailVerifiedAt is when the account proved it receives mail at
	// Email (by a link); nil until then.
	EmailVerifiedAt *time.Time `db:"email_verified_at"`
	// CustomClaims is a JSON object an administrator set (setUserClaims),
	// issued in access tokens under CLAIMS_NAMESPACE; nil when none.
	CustomClaims RawJSON `db:"custom_claims"`
	// MfaEnabledAt is when a second factor was confirmed; nil without one.
	MfaEnabledAt *time.Time `db:"mfa_enabled_at"`
}

// RawJSON is a JSON document as stored; nil when there is none (a NULL
// column, which json.RawMessage cannot be scanned from).
type RawJSON []byte

// Scan reads a nullable text or bytes column.
func (r *RawJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*r = nil
	case []byte:
		*r = append(RawJSON(nil), v...)
	case string:
		*r = RawJSON(v)
	default:
		return fmt.Errorf("RawJSON: cannot scan %T", src)
	}
	return nil
}

// Disabled reports whether the account is disabled.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// EmailVerified reports whether the account's address is verified.
func (u *User) EmailVerified() bool { return u.EmailVerifiedAt != nil }

// Session is one login: the chain of refresh tokens that descends from it.
// RefreshJTI is the only refresh token that may be used next; PrevRefreshJTI
// is the one it replaced, still honoured until RotatedAt plus the reuse grace
// window so that a client that lost a refresh response can retry.
type Session struct {
	ID             string     `db:"id"`
	UserID         string     `db:"user_id"`
	RefreshJTI     string     `db:"refresh_jti"`
	PrevRefreshJTI *string    `db:"prev_refresh_jti"`
	RotatedAt      *time.Time `db:"rotated_at"`
	CreatedAt      time.Time  `db:"created_at"`
	LastUsedAt     time.Time  `db:"last_used_at"`
	ExpiresAt      time.Time  `db:"expires_at"`
	RevokedAt      *time.Time `db:"revoked_at"`
	UserAgent      string     `db:"user_agent"`
	IP             string     `db:"ip"`
}

// Active reports whether the session can still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// EventType names a security event in the audit log.
type EventType string

// The audited security events.
const (
	EventRegister        EventType = "register"
	EventLoginSucceeded  EventType = "login_succeeded"
	EventLoginFailed     EventType = "login_failed"
	EventRefreshReuse    EventType = "refresh_reuse_detected"
	EventLogout          EventType = "logout"
	EventLogoutAll       EventType = "logout_all"
	EventPasswordChanged EventType = "password_changed"
	EventRoleChanged     EventType = "role_changed"
	EventUserDisabled    EventType = "user_disabled"
	EventUserEnabled     EventType = "user_enabled"
	EventSessionsRevoked EventType = "sessions_revoked"
	EventSessionRevoked  EventType = "session_revoked"
	// The email lifecycle.
	EventVerificationSent   EventType = "verification_email_sent"
	EventEmailVerified      EventType = "email_verified"
	EventPasswordResetAsked EventType = "password_reset_requested"
	EventPasswordReset      EventType = "password_reset"
	EventEmailChangeAsked   EventType = "email_change_requested"
	EventEmailChanged       EventType = "email_changed"
	EventLinkTokenRejected  EventType = "link_token_rejected"
	// An administrator changed a user's custom claims.
	EventClaimsChanged EventType = "claims_changed"
)

// AuditEvent is one row of the audit log. UserID is empty when the event
// concerns no known account (a failed login with an unknown email).
type AuditEvent struct {
	ID        int64     `db:"id"`
	At        time.Time `db:"at"`
	Type      EventType `db:"type"`
	UserID    *string   `db:"user_id"`
	Email     string    `db:"email"`
	IP        string    `db:"ip"`
	UserAgent string    `db:"user_agent"`
	Detail    string    `db:"detail"`
}

// Principal is the caller of an authenticated request, as the database sees
// it now: the role is the current one, not the one in the token.
type Principal struct {
	User   User
	Claims *Claims // nil for the operator
	// operator marks the command-line operator (see AsOperator).
	operator bool
	// adminMFA is REQUIRE_ADMIN_MFA, carried by the principal the Guard
	// builds so that the one rule (RequireAdminFactor) can read it.
	adminMFA bool
	// guard and ctx, set by the Guard that built the principal, let a
	// refusal ask the store what the token does not say (hasPasskey).
	guard *Guard
	ctx   context.Context
}

// Stats are the figures adminStats reports.
type Stats struct {
	Users               int
	Admins              int
	ActiveSessions      int
	RevokedTokens       int
	LoginsLast24h       int
	FailedLoginsLast24h int
	UnverifiedUsers     int
	// UsersByProvider counts the users with an identity at each provider.
	UsersByProvider []ProviderCount
}

// TokenState is what the database says about an access token's subject,
// session and jti, read in one round trip on every authenticated request.
type TokenState struct {
	User         *User // nil when the user no longer exists
	SessionEnded bool  // revoked, expired or pruned
	TokenRevoked bool  // the jti is on the blocklist
}

// Includes reports whether a holder of r may do what required allows:
// ADMIN includes USER.
func (r Role) Includes(required Role) bool {
	return r == required || r == RoleAdmin
}

// UserPage selects a page of users in creation order, after a cursor.
type UserPage struct {
	Search       string // substring of the email; empty: all
	AfterCreated time.Time
	AfterID      string // with AfterCreated: the last user of the previous page; empty: from the start
	Limit        int
}

// AuditPage selects audit events newest first, before a cursor.
type AuditPage struct {
	UserID   string // empty: every user
	BeforeID int64  // 0: from the newest
	Limit    int
}

// PublishedKey is the public half of an asymmetric signing key as the store
// keeps it, so that every replica accepts, and the JWKS publishes, the keys
// whose tokens are still alive.
type PublishedKey struct {
	ID        string     `db:"kid"`
	Alg       string     `db:"alg"`
	PublicKey string     `db:"public_key"` // PKIX PEM
	CreatedAt time.Time  `db:"created_at"`
	RetiredAt *time.Time `db:"retired_at"` // when another key took over; nil while in use
}

// SessionRotation is a refresh's rotation of a session's refresh token.
type SessionRotation struct {
	SessionID, UserID string
	JTI               string // the presented refresh token's jti
	NewJTI            string
	Now, ExpiresAt    time.Time
}
