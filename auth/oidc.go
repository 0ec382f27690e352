package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Oidc are the use cases of signing in with an OpenID Connect provider
// (Google, Microsoft, GitLab, a company's Keycloak…): the two steps of an
// authorization-code flow, for a login or to link a provider to the
// caller's account, and unlinking.
//
// The rules against account takeover live here: an asserted identity
// signs in to the account it is linked to; an unknown one creates an
// account, unless its email names an existing account, which it joins
// only when both sides proved that address (the provider's email_verified
// and the account's verified email) and the account has no second factor
// to bypass; otherwise IDENTITY_LINK_REQUIRED, and nothing is linked.
type Oidc struct {
	store    oidcStore
	guard    *Guard
	throttle *Throttle
	issue    *issuer
	audit    *auditor
	links    *links
	mfa      *Mfa
	accounts *Accounts
	log      *slog.Logger
	now      func() time.Time
	idps     IdentityProviders // nil: none configured
	// redirects is OIDC_REDIRECT_URIS.
	redirects []string
	// requireVerified is REQUIRE_VERIFIED_EMAIL.
	requireVerified bool
	// passkeysOn: a WebAuthn relying party is configured, so passkeys are
	// a way in (unlinkIdentity counts them).
	passkeysOn bool
}

// Providers lists the configured providers.
func (o *Oidc) Providers() []OidcProvider {
	if o.idps == nil {
		return []OidcProvider{}
	}
	return o.idps.Providers()
}

// BeginLogin starts a sign-in at provider and returns where to send the
// browser. The provider sends it back to redirectURI (which must be
// allow-listed) with a code and the state, for FinishLogin.
func (o *Oidc) BeginLogin(ctx context.Context, provider, redirectURI string) (string, error) {
	return o.begin(ctx, provider, redirectURI, nil)
}

// BeginLink is BeginLogin for linking provider to the caller's account,
// which needs a fresh token; FinishLink completes it.
func (o *Oidc) BeginLink(ctx context.Context, provider, redirectURI string) (string, error) {
	p, err := o.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return "", err
	}
	if _, err := o.known(provider); err != nil {
		return "", err
	}
	ids, err := o.store.Identities(ctx, p.User.ID)
	if err != nil {
		return "", Internal(err)
	}
	if slices.ContainsFunc(ids, func(i Identity) bool { return i.Provider == provider }) {
		return "", BadInput("provider", "your account is linked to %s already: unlink it first", provider)
	}
	return o.begin(ctx, provider, redirectURI, &p.User.ID)
}

func (o *Oidc) begin(ctx context.Context, provider, redirectURI string, userID *string) (string, error) {
	name, err := o.known(provider)
	if err != nil {
		return "", err
	}
	if !slices.Contains(o.redirects, redirectURI) {
		return "", BadInput("redirectUri", "this redirect URI is not allowed (OIDC_REDIRECT_URIS lists those that are)")
	}
	// Each flow is a row: counted per client before anything is written.
	if err := o.throttle.Take(ctx, o.throttle.IP(ctx, "beginOidc")); err != nil {
		return "", err
	}
	req := OidcRequest{RedirectURI: redirectURI, State: randomToken(), Nonce: randomToken(), CodeVerifier: randomToken()}
	url, err := o.idps.AuthCodeURL(ctx, provider, req)
	if err != nil {
		return "", o.providerErr(ctx, provider, name, err)
	}
	now := o.now().UTC()
	f := &OidcFlow{ID: flowID(req.State), Provider: provider, RedirectURI: redirectURI, UserID: userID,
		Nonce: req.Nonce, CodeVerifier: req.CodeVerifier, CreatedAt: now, ExpiresAt: now.Add(OidcFlowTTL)}
	// Where cookies are used, the flow is bound to this browser too: a
	// state and code an attacker got by beginning a sign-in to their own
	// account cannot be finished in a victim's browser (login CSRF). The
	// browser keeps one secret for all its flows (a second tab's begin
	// does not undo the first's).
	carrier := TokenCarrierFrom(ctx)
	binding := carrier.FlowBinding()
	if !isRandomToken(binding) {
		binding = randomToken()
	}
	if carrier.BindFlow(binding) {
		f.BindingHash = flowID(binding)
	}
	if err := o.store.Tx(ctx, func(q Queries) error { return q.CreateOidcFlow(ctx, f) }); err != nil {
		return "", wrap(err)
	}
	return url, nil
}

// FinishLogin completes a sign-in with the code and state the provider
// sent back: it spends the state, redeems the code, and signs in to the
// account the identity is linked to, a new account, or (under the rules
// above) an existing account with the same verified email. An account
// with a second factor answers mfaRequired, as after a password.
func (o *Oidc) FinishLogin(ctx context.Context, provider, code, state string) (*AuthResult, error) {
	ip := o.throttle.IP(ctx, "finishOidc")
	if err := o.throttle.Check(ctx, ip); err != nil {
		return nil, err
	}
	f, ext, err := o.finish(ctx, provider, code, state, func(f *OidcFlow) bool { return f.UserID == nil })
	if err != nil {
		o.refused(ctx, ip, "", "login with "+provider, err)
		return nil, err
	}
	res, err := o.signIn(ctx, ext)
	if err != nil {
		o.refused(ctx, ip, "", "login with "+provider, err)
		return nil, err
	}
	res.BodyOnly = !boundHere(ctx, f)
	return res, nil
}

// FinishLink completes BeginLink: the identity is linked to the caller's
// account, the one that began the flow, unless it is linked to another.
func (o *Oidc) FinishLink(ctx context.Context, provider, code, state string) (*User, error) {
	p, err := o.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return nil, err
	}
	ip := o.throttle.IP(ctx, "finishOidc")
	if err := o.throttle.Check(ctx, ip); err != nil {
		return nil, err
	}
	// A flow another user began is no use here: a link is bound to the
	// account that asked for it, so that a victim lured to an attacker's
	// callback URL links nothing.
	_, ext, err := o.finish(ctx, provider, code, state, func(f *OidcFlow) bool { return f.UserID != nil && *f.UserID == p.User.ID })
	if err == nil {
		err = o.link(ctx, p, ext)
	}
	if err != nil {
		o.refused(ctx, ip, p.User.ID, "link "+provider, err)
		return nil, err
	}
	u, err := o.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return nil, Internal(err)
	}
	return u, nil
}

// Unlink removes the caller's identity at provider and ends the caller's
// other sessions (a device signed in with that identity keeps nothing).
// It is refused when the identity is the last way to sign in.
func (o *Oidc) Unlink(ctx context.Context, provider string) (*User, error) {
	p, err := o.guard.authorize(ctx, requireFreshSession)
	if err != nil {
		return nil, err
	}
	now := o.now().UTC()
	var u *User
	err = o.store.Tx(ctx, func(q Queries) error {
		var err error
		if u, err = q.UserForUpdate(ctx, p.User.ID); err != nil {
			return err
		}
		n, err := countSignInMethods(ctx, q, u, o.passkeysOn)
		if err != nil {
			return err
		}
		gone, err := q.DeleteIdentity(ctx, u.ID, provider)
		if err != nil {
			return err
		}
		if !gone {
			return BadInput("provider", "no %s identity is linked to your account", provider)
		}
		if n <= 1 {
			return errLastSignInMethod("provider")
		}
		ended, err := endUserSessions(ctx, q, u.ID, p.Claims.SessionID, now)
		if err != nil {
			return err
		}
		return q.AddAuditEvent(ctx, o.audit.event(ctx, EventIdentityUnlinked, u.ID, u.Email,
			fmt.Sprintf("%s; ended %d other sessions", provider, ended)))
	})
	if err != nil {
		err = wrap(err)
		if e, ok := err.(*Error); ok && e.Code == CodeBadUserInput {
			o.audit.record(ctx, EventOidcRefused, p.User.ID, p.User.Email, "unlink "+provider+": "+e.Message)
		}
		return nil, err
	}
	return u, nil
}

// IdentitiesOf lists u's identities. The caller was allowed to see u (its
// own account, or any as ADMIN): whoever may see an account may see how
// it signs in.
func (o *Oidc) IdentitiesOf(ctx context.Context, u *User) ([]Identity, error) {
	ids, err := o.store.Identities(ctx, u.ID)
	if err != nil {
		return nil, Internal(err)
	}
	return ids, nil
}

// known returns provider's display name, or BAD_USER_INPUT.
func (o *Oidc) known(provider string) (string, error) {
	for _, p := range o.Providers() {
		if p.ID == provider {
			return p.Name, nil
		}
	}
	return "", BadInput("provider", "no provider %q is configured", provider)
}

// finish spends the flow of state, which must be provider's and pass
// belongs, then redeems code under it.
func (o *Oidc) finish(ctx context.Context, provider, code, state string, belongs func(*OidcFlow) bool) (*OidcFlow, *ExternalIdentity, error) {
	name, err := o.known(provider)
	if err != nil {
		return nil, nil, err
	}
	if code == "" || len(code) > 2048 {
		return nil, nil, &Error{Code: CodeBadUserInput, Field: "code", Reason: ReasonCodeRejected, Message: "the code is missing or too long"}
	}
	f, err := o.spendFlow(ctx, provider, state, belongs)
	if err != nil {
		return nil, nil, err
	}
	ext, err := o.idps.Exchange(ctx, provider, code, OidcRequest{RedirectURI: f.RedirectURI, State: state, Nonce: f.Nonce, CodeVerifier: f.CodeVerifier})
	if err != nil {
		return nil, nil, o.providerErr(ctx, provider, name, err)
	}
	return f, ext, nil
}

var (
	errStateInvalid = &Error{Code: CodeBadUserInput, Field: "state", Reason: ReasonStateInvalid,
		Message: "this sign-in is unknown, was used already, or was begun for another provider or account: begin again"}
	errStateExpired = &Error{Code: CodeBadUserInput, Field: "state", Reason: ReasonStateExpired,
		Message: "this sign-in took longer than 10 minutes: begin again"}
	errStateElsewhere = &Error{Code: CodeBadUserInput, Field: "state", Reason: ReasonStateInvalid,
		Message: "this sign-in was begun in another browser: begin again here"}
)

// boundHere reports whether f is finished in the browser that began it:
// true for a flow nothing bound, else only for a request that carries its
// secret back.
func boundHere(ctx context.Context, f *OidcFlow) bool {
	if f.BindingHash == "" {
		return true
	}
	got := TokenCarrierFrom(ctx).FlowBinding()
	return got != "" && subtle.ConstantTimeCompare([]byte(flowID(got)), []byte(f.BindingHash)) == 1
}

// spendFlow finds the flow of state and uses it up, once: a state is
// STATE_INVALID when unknown, used, or not the provider's (the defence
// against mix-up: a code from one provider is never taken to another) or
// not for this purpose; STATE_EXPIRED past its 10 minutes.
func (o *Oidc) spendFlow(ctx context.Context, provider, state string, belongs func(*OidcFlow) bool) (*OidcFlow, error) {
	if state == "" || len(state) > 256 {
		return nil, errStateInvalid
	}
	f, err := o.store.OidcFlow(ctx, flowID(state))
	if errors.Is(err, ErrNotFound) {
		return nil, errStateInvalid
	}
	if err != nil {
		return nil, Internal(err)
	}
	now := o.now().UTC()
	switch {
	case f.UsedAt != nil || f.Provider != provider || !belongs(f):
		return nil, errStateInvalid
	case !now.Before(f.ExpiresAt):
		return nil, errStateExpired
	case !boundHere(ctx, f) && !TokenCarrierFrom(ctx).TokensInBody():
		// Cookie mode: refused before it is spent, so the flow stays
		// the browser's that began it. (With headers,cookies the caller
		// may be a header-mode page on another site, which never gets
		// the cookie back: it finishes, but gets its tokens in the body
		// only, so no cookie session is forced on a browser.)
		return nil, errStateElsewhere
	}
	var ok bool
	err = o.store.Tx(ctx, func(q Queries) error {
		ok, err = q.ConsumeOidcFlow(ctx, f.ID, now)
		return err
	})
	if err != nil {
		return nil, wrap(err)
	}
	if !ok { // spent by a racing request, or expired meanwhile
		return nil, errStateInvalid
	}
	return f, nil
}

// providerErr turns an IdentityProviders failure into the client's
// answer: a provider's refusal or outage is never an internal error.
func (o *Oidc) providerErr(ctx context.Context, provider, name string, err error) error {
	switch {
	case errors.Is(err, ErrCodeRejected):
		// Often an expired or replayed code; a bad ID token is worth a look.
		o.log.WarnContext(ctx, "identity provider's answer rejected", "provider", provider, "err", err)
		return &Error{Code: CodeBadUserInput, Field: "code", Reason: ReasonCodeRejected,
			Message: fmt.Sprintf("%s did not confirm this sign-in: begin again", name), Err: err}
	case errors.Is(err, ErrProviderUnavailable):
		o.log.WarnContext(ctx, "identity provider unavailable", "provider", provider, "err", err)
		return &Error{Code: CodeBadUserInput, Field: "provider", Reason: ReasonProviderUnavailable,
			Message: fmt.Sprintf("%s cannot be reached right now: try again later", name), Err: err}
	case errors.Is(err, ErrUnknownProvider):
		return BadInput("provider", "no provider %q is configured", provider)
	}
	return Internal(err)
}

// refused audits (and, for a bad state or code, counts against the
// client) a flow that did not end in a sign-in or a link.
func (o *Oidc) refused(ctx context.Context, ip ThrottleKey, userID, what string, err error) {
	var e *Error
	if !errors.As(err, &e) || e.Code == CodeInternal || e.Code == CodeUnavailable || e.Code == CodeRateLimited {
		return
	}
	if e.Reason == ReasonStateInvalid || e.Reason == ReasonStateExpired || e.Reason == ReasonCodeRejected {
		o.throttle.Fail(ctx, ip) // guessing states costs like guessing tokens
	}
	detail := what + ": " + string(e.Code)
	if e.Reason != "" {
		detail += "/" + string(e.Reason)
	}
	if e.Code == CodeIdentityLinkRequired && e.Err != nil {
		detail += " (" + e.Err.Error() + ")"
	}
	if e == errStateElsewhere { // the mark of a login CSRF attempt
		detail += " (begun in another browser)"
	}
	o.audit.record(ctx, EventOidcRefused, userID, "", detail)
}

// flowID is what the store keeps of a state.
func flowID(state string) string { return tokenDigest(state) }
