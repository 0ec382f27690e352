package auth

import "context"

// RekeyReport is what a pass of RekeyTotpSecrets found.
type RekeyReport struct {
	// Resealed secrets were opened by a previous key and are now sealed
	// under the current one.
	Resealed int
	// Current secrets were sealed under the current key already.
	Current int
	// Skipped factors changed while the pass read them (a login resealed
	// one, an enrollment replaced or a reset removed it): left as that
	// made them.
	Skipped int
	// Unreadable secrets open under no configured key: their users sign
	// in with a recovery code, or an operator resets their factor.
	Unreadable []string
}

// rekeyPage is how many factors one read of a rekey pass takes.
const rekeyPage = 500

// RekeyTotpSecrets finishes a rotation of MFA_ENCRYPTION_KEY: every TOTP
// secret a previous key (MFA_ENCRYPTION_KEY_PREVIOUS) still opens is
// sealed again under the current key, so that the previous key can be
// dropped without waiting for each user's next code. Each swap is
// conditional on the row being unchanged, so a factor replaced or
// resealed by a login meanwhile is left as that made it. Operator only
// (the CLI's `gqlauth mfa rekey`).
func (m *Mfa) RekeyTotpSecrets(ctx context.Context) (*RekeyReport, error) {
	p, err := m.guard.authorize(ctx, anyone)
	if err != nil {
		return nil, err
	}
	if !p.operator {
		return nil, errForbidden
	}
	if m.box == nil {
		return nil, Internal(m.boxErr)
	}
	r := &RekeyReport{}
	after := ""
	for {
		fs, err := m.store.TotpFactorsAfter(ctx, after, rekeyPage)
		if err != nil {
			return r, Internal(err)
		}
		for _, f := range fs {
			secret, stale, err := m.box.open(f.UserID, f.SecretEnc)
			switch {
			case err != nil:
				r.Unreadable = append(r.Unreadable, f.UserID)
			case !stale:
				r.Current++
			default:
				swapped, err := m.store.ResealTotpSecret(ctx, f.UserID, f.SecretEnc, m.box.seal(f.UserID, secret))
				if err != nil {
					return r, Internal(err)
				}
				if swapped {
					r.Resealed++
				} else {
					r.Skipped++
				}
			}
		}
		if len(fs) < rekeyPage {
			return r, nil
		}
		after = fs[len(fs)-1].UserID
	}
}
