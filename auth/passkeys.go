package auth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The audited events of passkeys. A passkey login is a login_succeeded
// (or login_failed) whose detail names the passkey.
const (
	EventPasskeyRegistered       EventType = "passkey_registered"
	EventPasskeyDeleted          EventType = "passkey_deleted"
	EventPasskeyCounterRegressed EventType = "passkey_counter_regressed"
)

// AMRHardwareKey is the method (RFC 8176 "hwk") of a login with a passkey:
// proof of possession of a key the authenticator keeps, unlocked by the
// user's PIN or biometrics. It reaches aal2 on its own.
const AMRHardwareKey = "hwk"

// PasskeyChallengeTTL is how long a begun ceremony may be finished.
const PasskeyChallengeTTL = 5 * time.Minute

// MaxPasskeys bounds a user's passkeys: each is listed in every login's
// options for the account.
const MaxPasskeys = 20

// maxPasskeyName bounds a passkey's name, in characters.
const maxPasskeyName = 64

// MaxCredentialBytes bounds a credential's JSON before any parsing: real
// ones are a few KiB (an attestation with a certificate chain).
const MaxCredentialBytes = 64 << 10

// defaultPasskeyName names a passkey registered without a name.
const defaultPasskeyName = "Passkey"

// The ceremonies a challenge can be for.
const (
	purposeRegister = "register"
	purposeLogin    = "login"
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

// Passkeys are the use cases of WebAuthn credentials: registering,
// naming and removing them, logging in with one (with or without an
// address), and using one as the second step of a password login.
type Passkeys struct {
	store    passkeyStore
	guard    *Guard
	throttle *Throttle
	issue    *issuer
	audit    *auditor
	mfa      *Mfa
	now      func() time.Time
	rp       WebAuthnRP
}

var (
	errNoSuchPasskey  = BadInput("id", "no such passkey")
	errTooManyKeys    = &Error{Code: CodeBadUserInput, Message: "an account may have at most 20 passkeys: delete one first"}
	errNoRelyingParty = errors.New("passkeys: no WebAuthn relying party configured")
)

// BeginRegistration starts adding a passkey to the caller's account: the
// options for navigator.credentials.create. It needs a fresh token and a
// verified address (a passkey on a pre-registered account would be its
// squatter's way back in after the owner takes it over).
func (p *Passkeys) BeginRegistration(ctx context.Context) (*PasskeyChallenge, json.RawMessage, error) {
	pr, err := p.guard.authorize(ctx, freshVerifiedSession)
	if err != nil {
		return nil, nil, err
	}
	if p.rp == nil {
		return nil, nil, Internal(errNoRelyingParty)
	}
	if err := p.throttle.Take(ctx, p.throttle.Account("passkeyRegistration", pr.User.ID)); err != nil {
		return nil, nil, err
	}
	existing, err := p.store.Passkeys(ctx, pr.User.ID)
	if err != nil {
		return nil, nil, Internal(err)
	}
	if len(existing) >= MaxPasskeys {
		return nil, nil, errTooManyKeys
	}
	cer, err := p.rp.BeginRegistration(&pr.User, existing)
	if err != nil {
		return nil, nil, Internal(err)
	}
	c, err := p.saveChallenge(ctx, purposeRegister, pr.User.ID, cer)
	if err != nil {
		return nil, nil, err
	}
	return c, cer.Options, nil
}

// FinishRegistration verifies the authenticator's new credential against
// the caller's registration challenge and stores it as a passkey named
// name (or "Passkey").
func (p *Passkeys) FinishRegistration(ctx context.Context, challengeID string, credential []byte, name *string) (*Passkey, error) {
	pr, err := p.guard.authorize(ctx, freshSession)
	if err != nil {
		return nil, err
	}
	label := defaultPasskeyName
	if name != nil && strings.TrimSpace(*name) != "" {
		if label, err = passkeyName(*name); err != nil {
			return nil, err
		}
	}
	if p.rp == nil {
		return nil, Internal(errNoRelyingParty)
	}
	c, err := p.spendChallenge(ctx, challengeID, purposeRegister, pr.User.ID)
	if err != nil {
		return nil, err
	}
	if len(credential) > MaxCredentialBytes {
		return nil, CredentialError(ReasonCredentialInvalid, "the credential is too large")
	}
	pk, err := p.rp.FinishRegistration(&pr.User, c.State, credential)
	if err != nil {
		return nil, wrap(err)
	}
	now := p.now().UTC()
	pk.ID, pk.UserID, pk.Name, pk.CreatedAt = NewID(), pr.User.ID, label, now
	err = p.store.Tx(ctx, func(q Queries) error {
		if err := q.CreatePasskey(ctx, pk); err != nil {
			if errors.Is(err, ErrDuplicateCredential) {
				return CredentialError(ReasonCredentialInvalid, "this passkey is registered already")
			}
			return err
		}
		return q.AddAuditEvent(ctx, p.audit.event(ctx, EventPasskeyRegistered, pr.User.ID, pr.User.Email, "passkey "+pk.ID))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return pk, nil
}

// List returns a user's passkeys: the caller's own, or (for an ADMIN)
// anyone's.
func (p *Passkeys) List(ctx context.Context, userID string) ([]Passkey, error) {
	pr, err := p.guard.authorize(ctx, anyone)
	if err != nil {
		return nil, err
	}
	if pr.User.ID != userID {
		if err := RequireAdmin(pr); err != nil {
			return nil, err
		}
	}
	pks, err := p.store.Passkeys(ctx, userID)
	if err != nil {
		return nil, Internal(err)
	}
	return pks, nil
}

// Rename gives one of the caller's passkeys a new name.
func (p *Passkeys) Rename(ctx context.Context, id, name string) (*Passkey, error) {
	pr, err := p.guard.authorize(ctx, requireSession)
	if err != nil {
		return nil, err
	}
	label, err := passkeyName(name)
	if err != nil {
		return nil, err
	}
	err = p.store.Tx(ctx, func(q Queries) error {
		ok, err := q.RenamePasskey(ctx, pr.User.ID, id, label)
		if err == nil && !ok {
			return errNoSuchPasskey
		}
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	return p.own(ctx, pr.User.ID, id)
}

// Delete removes one of the caller's passkeys. Sessions it opened go on
// (as a password change would not end them either unless asked): the
// caller ends them from the session list.
func (p *Passkeys) Delete(ctx context.Context, id string) error {
	pr, err := p.guard.authorize(ctx, freshSession)
	if err != nil {
		return err
	}
	err = p.store.Tx(ctx, func(q Queries) error {
		ok, err := q.DeletePasskey(ctx, pr.User.ID, id)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSuchPasskey
		}
		return q.AddAuditEvent(ctx, p.audit.event(ctx, EventPasskeyDeleted, pr.User.ID, pr.User.Email, "passkey "+id))
	})
	return wrap(err)
}

// own reads one of a user's passkeys.
func (p *Passkeys) own(ctx context.Context, userID, id string) (*Passkey, error) {
	pks, err := p.store.Passkeys(ctx, userID)
	if err != nil {
		return nil, Internal(err)
	}
	for i := range pks {
		if pks[i].ID == id {
			return &pks[i], nil
		}
	}
	return nil, errNoSuchPasskey
}

// saveChallenge keeps a begun ceremony for five minutes, bound to userID
// ("" for a discoverable login).
func (p *Passkeys) saveChallenge(ctx context.Context, purpose, userID string, cer *PasskeyCeremony) (*PasskeyChallenge, error) {
	now := p.now().UTC()
	c := &PasskeyChallenge{ID: NewID(), Purpose: purpose, State: cer.State, CreatedAt: now, ExpiresAt: now.Add(PasskeyChallengeTTL)}
	if userID != "" {
		c.UserID = &userID
	}
	if err := p.store.Tx(ctx, func(q Queries) error { return q.CreatePasskeyChallenge(ctx, c) }); err != nil {
		return nil, wrap(err)
	}
	return c, nil
}

// spendChallenge uses up the challenge of a ceremony of purpose, whatever
// comes of the credential: a challenge answers one credential only.
// CHALLENGE_EXPIRED past its lifetime; CHALLENGE_INVALID when unknown,
// used, of the other ceremony, or bound to another user than userID (""
// for a login, whose user the credential tells).
func (p *Passkeys) spendChallenge(ctx context.Context, id, purpose, userID string) (*PasskeyChallenge, error) {
	invalid := CredentialError(ReasonChallengeInvalid, "unknown or used challenge: begin again")
	if id == "" || len(id) > 64 {
		return nil, invalid
	}
	c, err := p.store.PasskeyChallenge(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, invalid
	}
	if err != nil {
		return nil, Internal(err)
	}
	if c.Purpose != purpose || c.UsedAt != nil || (userID != "" && (c.UserID == nil || *c.UserID != userID)) {
		return nil, invalid
	}
	now := p.now().UTC()
	if !now.Before(c.ExpiresAt) {
		return nil, CredentialError(ReasonChallengeExpired, "the challenge has expired: begin again")
	}
	var spent bool
	err = p.store.Tx(ctx, func(q Queries) (err error) {
		spent, err = q.ConsumePasskeyChallenge(ctx, c.ID, now)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	if !spent { // a racing request took it
		return nil, invalid
	}
	return c, nil
}

// passkeyName validates a passkey's name: 1 to 64 printable characters,
// trimmed.
func passkeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", BadInput("name", "the name must not be empty")
	case utf8.RuneCountInString(name) > maxPasskeyName:
		return "", BadInput("name", "the name must be at most %d characters", maxPasskeyName)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "", BadInput("name", "the name must not hold control characters")
	}
	return name, nil
}

// freshVerifiedSession is the rule of adding a factor: the caller's own
// session, a fresh token, a verified address (the schema's @fresh
// @verified).
func freshVerifiedSession(p *Principal) error {
	if err := requireSession(p); err != nil {
		return err
	}
	if err := RequireVerified(p); err != nil {
		return err
	}
	return RequireFresh(p)
}
