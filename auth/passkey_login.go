package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// BeginLogin starts a passkey login: the options for
// navigator.credentials.get. Without an address, any discoverable passkey
// of this relying party may answer (the browser offers the ones it has).
// With one that has passkeys, the options list them and only they may
// answer. An address that has none, whether or not it has an account, is
// answered exactly as no address: so the answer tells nothing about an
// address beyond what WebAuthn itself shows of it (its credential ids), and
// the same work is done for an unknown address as for a known one.
func (p *Passkeys) BeginLogin(ctx context.Context, email *string) (*PasskeyChallenge, json.RawMessage, error) {
	if p.rp == nil {
		return nil, nil, Internal(errNoRelyingParty)
	}
	if err := p.throttle.Take(ctx, p.throttle.IP(ctx, "beginPasskeyLogin")); err != nil {
		return nil, nil, err
	}
	var allowed []Passkey
	userID := ""
	if email != nil && *email != "" {
		addr, err := NormalizeEmail("email", *email)
		if err != nil {
			return nil, nil, err
		}
		u, err := p.store.UserByEmail(ctx, addr)
		owner := ""
		switch {
		case err == nil:
			owner = u.ID
		case !errors.Is(err, ErrNotFound):
			return nil, nil, Internal(err)
		}
		// Asked for an unknown address too (owner ""), finding none.
		pks, err := p.store.Passkeys(ctx, owner)
		if err != nil {
			return nil, nil, Internal(err)
		}
		if len(pks) > 0 {
			allowed, userID = pks, owner
		}
	}
	cer, err := p.rp.BeginLogin(allowed)
	if err != nil {
		return nil, nil, Internal(err)
	}
	c, err := p.saveChallenge(ctx, purposeLogin, userID, cer)
	if err != nil {
		return nil, nil, err
	}
	return c, cer.Options, nil
}

// FinishLogin verifies a login's assertion and opens a session: a passkey
// proves possession and, as user verification is required, the person
// too, so the session is aal2 (amr ["hwk"]) with no password and no second
// step, whether or not the account also has TOTP.
func (p *Passkeys) FinishLogin(ctx context.Context, challengeID string, credential []byte) (*AuthResult, error) {
	if p.rp == nil {
		return nil, Internal(errNoRelyingParty)
	}
	if err := p.throttle.Take(ctx, p.throttle.IP(ctx, "passkeyLogin")); err != nil {
		return nil, err
	}
	c, err := p.spendChallenge(ctx, challengeID, purposeLogin, "")
	if err != nil {
		return nil, err
	}
	u, pk, use, err := p.verifyAssertion(ctx, c, credential, "")
	if err != nil {
		return nil, err
	}
	// Told only to whoever holds the passkey, so it reveals nothing more.
	if u.Disabled() {
		p.audit.record(ctx, EventLoginFailed, u.ID, u.Email, "passkey "+pk.ID+": account disabled")
		return nil, errAccountDisabled
	}
	now := p.now().UTC()
	var res *AuthResult
	err = p.store.Tx(ctx, func(q Queries) error {
		if err := p.use(ctx, q, pk, use); err != nil {
			return err
		}
		if res, err = p.issue.openSessionAMR(ctx, q, u, now, []string{AMRHardwareKey}); err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, p.audit.event(ctx, EventLoginSucceeded, u.ID, u.Email, "with passkey "+pk.ID))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return res, nil
}

// VerifyMfa completes a login's second step (after a password or a
// provider's sign-in) with a passkey of the account, instead of a TOTP
// code: the mfaToken as for verifyMfa, and a login challenge
// (beginPasskeyLogin, with the address or without). The session is aal2
// with amr ["pwd", "hwk"] (["ext", "hwk"] after a provider). As with a code, a failure
// leaves the mfaToken usable until it expires, and counts against the
// account's second-factor throttle.
func (p *Passkeys) VerifyMfa(ctx context.Context, mfaToken, challengeID string, credential []byte) (*AuthResult, error) {
	mc, u, err := p.mfa.pendingLogin(ctx, mfaToken)
	if err != nil {
		return nil, err
	}
	if p.rp == nil {
		return nil, Internal(errNoRelyingParty)
	}
	key := p.throttle.Account("mfa", u.ID)
	if err := p.throttle.Take(ctx, p.throttle.IP(ctx, "mfa"), key); err != nil {
		return nil, err
	}
	c, err := p.spendChallenge(ctx, challengeID, purposeLogin, "")
	if err != nil {
		return nil, err
	}
	_, pk, use, err := p.verifyAssertion(ctx, c, credential, u.ID)
	if err != nil {
		return nil, err
	}
	detail := "with password and passkey " + pk.ID
	if mc.firstFactor() == AMRExternal {
		detail = "with provider and passkey " + pk.ID
	}
	return p.mfa.finishLogin(ctx, u, mc, AMRHardwareKey, key, detail,
		func(q Queries, _ time.Time) error { return p.use(ctx, q, pk, use) })
}

// verifyAssertion checks a login's credential against the spent challenge
// c: a registered passkey (of want, when set; of the user c is bound to,
// when it is), whose owner the user handle names, whose signature over
// this challenge, origin and RP ID verifies with user verification, and
// whose counter moved on. It returns the owner, the passkey and what the
// use changes. A failure with a known owner is audited as a failed login,
// a counter that went back as passkey_counter_regressed.
func (p *Passkeys) verifyAssertion(ctx context.Context, c *PasskeyChallenge, credential []byte, want string) (*User, *Passkey, *PasskeyUse, error) {
	if len(credential) > MaxCredentialBytes {
		return nil, nil, nil, CredentialError(ReasonCredentialInvalid, "the credential is too large")
	}
	a, err := p.rp.ParseAssertion(credential)
	if err != nil {
		return nil, nil, nil, wrap(err)
	}
	pk, err := p.store.PasskeyByCredentialID(ctx, a.CredentialID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, CredentialError(ReasonCredentialUnknown, "no passkey is registered with this credential")
	}
	if err != nil {
		return nil, nil, nil, Internal(err)
	}
	switch {
	case c.UserID != nil && *c.UserID != pk.UserID:
		return nil, nil, nil, CredentialError(ReasonChallengeInvalid, "this challenge is for another account's passkeys")
	case want != "" && pk.UserID != want:
		return nil, nil, nil, CredentialError(ReasonCredentialUnknown, "this passkey is not one of this account's")
	case len(a.UserHandle) > 0 && string(a.UserHandle) != pk.UserID:
		return nil, nil, nil, CredentialError(ReasonCredentialInvalid, "the user handle is not the passkey's account")
	}
	u, err := p.store.UserByID(ctx, pk.UserID)
	if err != nil { // the passkey's row goes with its user
		return nil, nil, nil, Internal(err)
	}
	all, err := p.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, nil, nil, Internal(err)
	}
	use, err := p.rp.FinishLogin(c.State, a, u, all)
	if err != nil {
		p.audit.record(ctx, EventLoginFailed, u.ID, u.Email, fmt.Sprintf("passkey %s: %s", pk.ID, failure(err)))
		return nil, nil, nil, wrap(err)
	}
	if !counterAdvanced(pk.SignCount, use.SignCount) {
		p.audit.record(ctx, EventPasskeyCounterRegressed, u.ID, u.Email,
			fmt.Sprintf("passkey %s: counter %d after %d (a cloned authenticator?)", pk.ID, use.SignCount, pk.SignCount))
		return nil, nil, nil, errCounterRegressed
	}
	return u, pk, use, nil
}

var errCounterRegressed = CredentialError(ReasonCounterRegressed,
	"the authenticator's signature counter went back: this passkey may have been copied")

// use records a verified use of pk inside q's transaction, refusing it
// when another use moved the counter since it was read.
func (p *Passkeys) use(ctx context.Context, q Queries, pk *Passkey, use *PasskeyUse) error {
	ok, err := q.UsePasskey(ctx, pk.ID, pk.SignCount, use, p.now().UTC())
	if err != nil {
		return err
	}
	if !ok {
		return errCounterRegressed
	}
	return nil
}

// counterAdvanced is WebAuthn's signature counter rule (§6.1.1): a
// counter must grow with every use, or stay 0 for an authenticator that
// keeps none. Anything else means two copies of the key are in use.
func counterAdvanced(stored, got int64) bool {
	return got > stored || (got == 0 && stored == 0)
}

// failure names a failed check for the audit log: its reason, or its code.
func failure(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Reason != "" {
		return string(e.Reason)
	}
	return string(ErrorCode(err))
}
