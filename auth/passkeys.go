package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	errTooManyKeys    = &Error{Code: CodeBadUserInput, Message: fmt.Sprintf("an account may have at most %d passkeys: delete one first", MaxPasskeys)}
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
	pr, err := p.guard.authorize(ctx, requireFreshSession)
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
// caller ends them from the session list. It is refused when the passkey
// is the account's last way to sign in (an account a provider made, whose
// identity was unlinked once the passkey was there).
func (p *Passkeys) Delete(ctx context.Context, id string) error {
	pr, err := p.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return err
	}
	err = p.store.Tx(ctx, func(q Queries) error {
		u, err := q.UserForUpdate(ctx, pr.User.ID)
		if err != nil {
			return err
		}
		n, err := countSignInMethods(ctx, q, u, p.rp != nil)
		if err != nil {
			return err
		}
		ok, err := q.DeletePasskey(ctx, pr.User.ID, id)
		if err != nil {
			return err
		}
		if !ok {
			return errNoSuchPasskey
		}
		// With passkeys off, the passkey was no way in: n did not count it.
		if p.rp != nil && n <= 1 {
			return errLastSignInMethod("id")
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
