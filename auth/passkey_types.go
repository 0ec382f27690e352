package auth

import (
	"context"
	"encoding/json"
	"time"
)

// Passkey is a registered WebAuthn credential, as the store keeps it.
// Binary values are base64url text (no padding), as WebAuthn's JSON
// writes them.
type Passkey struct {
	ID           string `db:"id"`
	UserID       string `db:"user_id"`
	CredentialID string `db:"credential_id"`
	PublicKey    string `db:"public_key"` // COSE_Key
	// SignCount is the authenticator's signature counter at the last
	// use; 0 for authenticators without one (most synced passkeys).
	SignCount  int64  `db:"sign_count"`
	Transports string `db:"transports"` // comma-separated hints: internal, usb, hybrid…
	AAGUID     string `db:"aaguid"`     // the authenticator model, as a UUID
	// Flags is the authenticator data's flags byte (UP, UV, BE, BS).
	Flags             int        `db:"flags"`
	AttestationType   string     `db:"attestation_type"`
	AttestationFormat string     `db:"attestation_format"`
	Name              string     `db:"name"`
	CreatedAt         time.Time  `db:"created_at"`
	LastUsedAt        *time.Time `db:"last_used_at"`
}

// PasskeyChallenge is the server's half of a begun ceremony: State is the
// relying party's record of it (the challenge, the allowed credentials),
// which only the WebAuthnRP reads. UserID is nil for a discoverable login.
type PasskeyChallenge struct {
	ID        string     `db:"id"`
	Purpose   string     `db:"purpose"`
	UserID    *string    `db:"user_id"`
	State     string     `db:"state"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
}

// PasskeyCeremony is what beginning a ceremony yields: the options for the
// browser (PublicKeyCredentialCreationOptionsJSON or
// PublicKeyCredentialRequestOptionsJSON, bare) and the state to keep.
type PasskeyCeremony struct {
	Options json.RawMessage
	State   string
}

// PasskeyAssertion is a login's credential, parsed but not yet verified:
// which credential it claims to be, for whom.
type PasskeyAssertion struct {
	CredentialID string // base64url
	UserHandle   []byte // the user.id given at registration; empty when the authenticator sent none
	// Parsed is the relying party's own form of the assertion.
	Parsed any
}

// PasskeyUse is a verified assertion's news about its passkey.
type PasskeyUse struct {
	SignCount int64
	Flags     int
}

// WebAuthnRP performs the WebAuthn ceremonies of one relying party (its RP
// ID and allowed origins): the passkey package implements it. Its errors
// are CredentialError for a credential that fails a check.
type WebAuthnRP interface {
	// BeginRegistration makes the options of a new passkey for u, which
	// the authenticator will not create again for existing.
	BeginRegistration(u *User, existing []Passkey) (*PasskeyCeremony, error)
	// FinishRegistration verifies a registration's credential (the JSON
	// of PublicKeyCredential.toJSON()) against its ceremony's state and
	// returns the passkey to store (its credential fields only).
	FinishRegistration(u *User, state string, credential []byte) (*Passkey, error)
	// BeginLogin makes a login's options: for allowed (one user's
	// passkeys) when not empty, else for any discoverable passkey.
	BeginLogin(allowed []Passkey) (*PasskeyCeremony, error)
	// ParseAssertion reads a login's credential without verifying it.
	ParseAssertion(credential []byte) (*PasskeyAssertion, error)
	// FinishLogin verifies an assertion against its ceremony's state and
	// its owner's passkeys, and returns what it says of the one used.
	FinishLogin(state string, a *PasskeyAssertion, owner *User, passkeys []Passkey) (*PasskeyUse, error)
}

// PasskeyOptions configure passkeys.
type PasskeyOptions struct {
	// RP is the relying party; nil (the CLI) refuses every ceremony.
	RP WebAuthnRP
}

// passkeyQueries are the writes of passkeys inside a transaction (part of
// Queries).
type passkeyQueries interface {
	// CreatePasskey inserts pk; ErrDuplicateCredential when its
	// credential id is registered already.
	CreatePasskey(ctx context.Context, pk *Passkey) error
	// RenamePasskey renames the user's passkey id; false when the user
	// has no such passkey.
	RenamePasskey(ctx context.Context, userID, id, name string) (bool, error)
	// DeletePasskey removes the user's passkey id; false when the user
	// has no such passkey.
	DeletePasskey(ctx context.Context, userID, id string) (bool, error)
	// CountPasskeys counts the user's passkeys.
	CountPasskeys(ctx context.Context, userID string) (int, error)
	// UsePasskey records a use: the new counter and flags, at now, only
	// if the stored counter is still seen; false when another use moved
	// it meanwhile.
	UsePasskey(ctx context.Context, id string, seen int64, use *PasskeyUse, now time.Time) (bool, error)
	// CreatePasskeyChallenge inserts c.
	CreatePasskeyChallenge(ctx context.Context, c *PasskeyChallenge) error
	// ConsumePasskeyChallenge marks the challenge used, only if it is
	// unused and unexpired at now; false otherwise.
	ConsumePasskeyChallenge(ctx context.Context, id string, now time.Time) (bool, error)
}

// passkeyStore is what Passkeys needs of the store outside transactions.
type passkeyStore interface {
	txRunner
	UserByID(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// Passkeys lists a user's passkeys, oldest first.
	Passkeys(ctx context.Context, userID string) ([]Passkey, error)
	// PasskeyByCredentialID finds a passkey; ErrNotFound when none.
	PasskeyByCredentialID(ctx context.Context, credentialID string) (*Passkey, error)
	// PasskeyChallenge reads a challenge; ErrNotFound when none.
	PasskeyChallenge(ctx context.Context, id string) (*PasskeyChallenge, error)
}
