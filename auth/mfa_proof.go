package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// factorProof is a code found right for a user, still to be spent inside
// the transaction that acts on it (spend), so that two requests with one
// code cannot both succeed.
type factorProof struct {
	userID string
	method string // AMROTP or AMRRecovery
	step   int64  // the TOTP code's time step
	secret string // the sealed secret the TOTP code was checked against
	reseal string // the same secret sealed under the current key, when a previous key opened it
	hash   string // the recovery code's hash
	key    ThrottleKey
}

// prove checks code against u's authenticator (and, when recovery is
// allowed, u's unused recovery codes). Every attempt counts against the
// account's "mfa" throttle before any work, so racing guesses cannot slip
// under the limit; success forgets them (in the spending transaction).
func (m *Mfa) prove(ctx context.Context, u *User, code string, recovery bool) (*factorProof, error) {
	key := m.throttle.Account("mfa", u.ID)
	if err := m.throttle.Take(ctx, m.throttle.IP(ctx, "mfa"), key); err != nil {
		return nil, err
	}
	code = strings.TrimSpace(code)
	if code == "" || len(code) > maxCodeLen {
		return nil, errWrongCode
	}
	if !isTotpCode(code) {
		if !recovery {
			return nil, errWrongCode
		}
		return &factorProof{userID: u.ID, method: AMRRecovery, hash: hashRecoveryCode(code), key: key}, nil
	}
	if m.box == nil {
		return nil, Internal(m.boxErr)
	}
	f, err := m.store.TotpFactor(ctx, u.ID)
	if errors.Is(err, ErrNotFound) {
		if !u.MfaEnabled() {
			return nil, errNoPendingTotp
		}
		return nil, errWrongCode
	}
	if err != nil {
		return nil, Internal(err)
	}
	if f.FailedCodes >= MaxTotpFailures {
		return nil, errTotpLocked
	}
	secret, stale, err := m.box.open(u.ID, f.SecretEnc)
	if err != nil {
		return nil, Internal(fmt.Errorf("user %s: %w", u.ID, err))
	}
	reseal := ""
	if stale {
		reseal = m.box.seal(u.ID, secret)
	}
	step, ok := matchTotp(secret, code, m.now())
	if !ok {
		n, err := m.store.CountTotpFailure(ctx, u.ID)
		if err != nil {
			m.log.ErrorContext(ctx, "wrong second-factor code not counted", "user_id", u.ID, "err", err)
		} else if n == MaxTotpFailures {
			m.audit.record(ctx, EventMfaLocked, u.ID, u.Email, fmt.Sprintf("%d wrong codes in a row", n))
		}
		return nil, errWrongCode
	}
	if step <= f.LastStep {
		return nil, errCodeUsed
	}
	return &factorProof{userID: u.ID, method: AMROTP, step: step, secret: f.SecretEnc, reseal: reseal, key: key}, nil
}

// spend uses a proof up inside q's transaction: it moves the last
// accepted time step forward (refusing a code whose step, or a later one,
// was accepted meanwhile) or marks the recovery code used.
func (m *Mfa) spend(ctx context.Context, q Queries, pr *factorProof, now time.Time) error {
	if pr.method == AMRRecovery {
		ok, err := q.UseRecoveryCode(ctx, pr.userID, pr.hash, now)
		if err != nil {
			return err
		}
		if !ok { // unknown and used alike: the answer does not say which
			return errWrongCode
		}
		return q.ClearTotpFailures(ctx, pr.userID)
	}
	ok, err := q.AdvanceTotpStep(ctx, pr.userID, pr.secret, pr.step)
	if err != nil {
		return err
	}
	if !ok {
		return errCodeUsed
	}
	if pr.reseal != "" { // finishing a key rotation, one factor at a time
		_, err := q.ResealTotpSecret(ctx, pr.userID, pr.secret, pr.reseal)
		return err
	}
	return nil
}
