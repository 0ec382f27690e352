package auth

import "context"

// The authorization rules, one function each. The schema declares which
// field needs what (@auth, @fresh, @hasRole) and its directives call these;
// the use cases call the same functions for callers that do not come
// through GraphQL (the CLI operator), so a rule has one definition.

// RequireRole returns FORBIDDEN unless the caller's current role (the
// database's, not the token's) includes role. ADMIN work also answers to
// RequireAdminFactor.
func RequireRole(p *Principal, role Role) error {
	if p == nil {
		return Unauthenticated(ReasonTokenMissing)
	}
	if !p.User.Role.Includes(role) {
		return errForbidden
	}
	if role == RoleAdmin {
		return RequireAdminFactor(p)
	}
	return nil
}

// RequireMFA is the rule of the schema's `@mfa`: the caller's token comes
// from a login with a second factor (aal2): MFA_REQUIRED otherwise (the
// schema's @mfa). A caller without a factor is told to enroll one first.
func RequireMFA(p *Principal) error {
	switch {
	case p == nil:
		return Unauthenticated(ReasonTokenMissing)
	case p.operator:
		return nil
	case p.Claims != nil && p.Claims.AAL == AAL2 && factorStillThere(p):
		return nil
	case !p.User.MfaEnabled():
		return errMfaRequiredNoFactor
	}
	return errMfaRequired
}

// factorStillThere reports whether the factor an aal2 token was earned
// with is still the user's: a token from a TOTP code (or a recovery code)
// stops counting as aal2 once the user disabled the authenticator or an
// admin reset it, though its session (and refreshes) go on.
func factorStillThere(p *Principal) bool {
	for _, m := range p.Claims.AMR {
		if (m == AMROTP || m == AMRRecovery) && !p.User.MfaEnabled() {
			return false
		}
	}
	return true
}

// RequireAdminFactor is REQUIRE_ADMIN_MFA: when it is on, everything an
// ADMIN may do (each `@hasRole(role: ADMIN)` field and each admin use
// case) needs an aal2 token too, so that a phished admin password alone
// does not reach the user base: MFA_REQUIRED for an admin with a factor
// (TOTP or a passkey) and an aal1 token, MFA_ENROLLMENT_REQUIRED for an
// admin without one.
// The operator, who holds the database already, is exempt.
func RequireAdminFactor(p *Principal) error {
	if p == nil || !p.adminMFA || p.operator {
		return nil
	}
	err := RequireMFA(p)
	if err != nil && !p.User.MfaEnabled() && !p.hasPasskey() {
		return errMfaEnrollmentRequired
	}
	return err
}

// RequireFresh returns FRESH_TOKEN_REQUIRED unless the caller proved its
// password just now: an access token from a login, not from a refresh.
func RequireFresh(p *Principal) error {
	if p == nil {
		return Unauthenticated(ReasonTokenMissing)
	}
	if !p.Fresh() {
		return errFreshTokenRequired
	}
	return nil
}

// RequireVerified returns EMAIL_NOT_VERIFIED unless the caller's account
// has proved its address (the schema's @verified). The operator has no
// address and passes.
func RequireVerified(p *Principal) error {
	if p == nil {
		return Unauthenticated(ReasonTokenMissing)
	}
	if !p.operator && !p.User.EmailVerified() {
		return errEmailNotVerified
	}
	return nil
}

// RequireAdmin is the rule for reading what only administrators see (the
// schema's `@hasRole(role: ADMIN)`): the user list, the audit log.
func RequireAdmin(p *Principal) error { return RequireRole(p, RoleAdmin) }

// RequireFreshAdmin is the rule for administrative changes and figures
// (the schema's `@hasRole(role: ADMIN) @fresh`): an ADMIN with a fresh
// token, so that a stolen refresh token cannot be turned into account
// takeovers. The role is checked first: there is no use asking a USER to
// log in again.
func RequireFreshAdmin(p *Principal) error {
	if err := RequireAdmin(p); err != nil {
		return err
	}
	return RequireFresh(p)
}

// requireSession is the rule of use cases that act on the caller's own
// session or password, which the operator does not have.
func requireSession(p *Principal) error {
	if p == nil {
		return Unauthenticated(ReasonTokenMissing)
	}
	if p.operator || p.Claims == nil {
		return &Error{Code: CodeForbidden, Message: "the operator has no session or password here"}
	}
	return nil
}

// requireFreshSession is the rule of changes to the caller's own
// credentials (password, address): their own session, proved just now.
func requireFreshSession(p *Principal) error {
	if err := requireSession(p); err != nil {
		return err
	}
	return RequireFresh(p)
}

// AsOperator marks ctx as acting on the authority of the command-line
// operator, who talks to the database directly and so holds every right:
// an ADMIN whose proof is always fresh, with no user row, session or
// token. The principal is made here, for each call, and not kept in an
// exported variable, which any importer could change (or a use case
// mutate through the context) for every later command.
func AsOperator(ctx context.Context) context.Context {
	return WithPrincipal(ctx, &Principal{User: User{ID: "", Email: "operator", Role: RoleAdmin}, operator: true})
}

// Fresh reports whether the principal's proof of identity is fresh.
func (p *Principal) Fresh() bool { return p.operator || (p.Claims != nil && p.Claims.Fresh) }

// IsOperator reports whether p is the command-line operator.
func (p *Principal) IsOperator() bool { return p.operator }

// actor names who did something, for audit details: "by <user id>" or
// "by operator".
func (p *Principal) actor() string {
	if p.operator {
		return "by operator"
	}
	return "by " + p.User.ID
}

// socketVerdict is the rule of a live socket after a change: what it
// hears, and the error that ends it (nil while it may go on). The token
// state is judged as the Guard judges every request; the event says why
// in the user's terms. before is what the sockets knew of the user, fp the
// fingerprint of the password hash now, needs the roles its running
// subscriptions need.
func socketVerdict(before *socketUser, fp uint64, st *TokenState, needs map[Role]int) (SessionEventType, error) {
	switch {
	case st.User != nil && st.User.Disabled():
		return SessionAccountDisabled, Unauthenticated(ReasonTokenRevoked)
	case !st.valid() && st.User != nil && fp != before.password:
		return SessionPasswordChanged, Unauthenticated(ReasonTokenRevoked)
	case !st.valid():
		return SessionRevoked, Unauthenticated(ReasonTokenRevoked)
	case st.User.Role != before.role:
		p := &Principal{User: *st.User}
		for role := range needs {
			if RequireRole(p, role) != nil {
				return SessionRoleChanged, errRoleLowered
			}
		}
		return SessionRoleChanged, nil
	}
	return "", nil
}
