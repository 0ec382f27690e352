// Package idp is gqlauth's client of OpenID Connect providers: discovery,
// the authorization URL (code flow with PKCE S256 and a nonce), the code
// exchange, and the ID token's verification (signature against the
// provider's JWKS, iss, aud, azp, exp, nonce). It implements
// auth.IdentityProviders with github.com/coreos/go-oidc and
// golang.org/x/oauth2; what an identity may do is auth's to decide.
package idp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gqlauth/gqlauth/auth"
	"golang.org/x/oauth2"
)

// DefaultScopes are asked of a provider unless its configuration says
// otherwise: the ID token, and the email an account needs.
var DefaultScopes = []string{oidc.ScopeOpenID, "email", "profile"}

// DefaultTimeout bounds each request to a provider.
const DefaultTimeout = 10 * time.Second

// Config is one provider.
type Config struct {
	ID           string   // what the API's provider arguments name ("google")
	Name         string   // what buttons say ("Google")
	Issuer       string   // discovery at Issuer/.well-known/openid-configuration
	ClientID     string   // the client registered at the provider
	ClientSecret string   // its secret
	Scopes       []string // must include openid
}

// Options tune the client; zero values take defaults.
type Options struct {
	// HTTPClient makes every request to providers (discovery, JWKS,
	// token, userinfo); default: one with DefaultTimeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Providers are the configured providers, discovered on first use.
type Providers struct {
	list   []*provider
	client *http.Client
	log    *slog.Logger
}

var _ auth.IdentityProviders = (*Providers)(nil)

type provider struct {
	cfg Config
	// mu guards discovery: one attempt at a time, kept once it worked.
	mu       sync.Mutex
	disc     *oidc.Provider
	verifier *oidc.IDTokenVerifier
}

// New returns the providers of cfgs. Nothing is fetched yet: a provider
// that is down at start does not stop the server; its flows answer
// PROVIDER_UNAVAILABLE until it is back (see Warm).
func New(cfgs []Config, opts Options) *Providers {
	p := &Providers{client: opts.HTTPClient, log: opts.Logger}
	if p.client == nil {
		p.client = &http.Client{Timeout: DefaultTimeout}
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	for _, c := range cfgs {
		if len(c.Scopes) == 0 {
			c.Scopes = DefaultScopes
		}
		p.list = append(p.list, &provider{cfg: c})
	}
	return p
}

// Warm discovers every provider now, logging each outcome, so that a
// misconfigured issuer shows in the log at start rather than at the first
// sign-in. A failure is retried at the next use.
func (p *Providers) Warm(ctx context.Context) {
	for _, pr := range p.list {
		if _, _, err := p.discover(ctx, pr); err != nil {
			p.log.WarnContext(ctx, "identity provider not reachable; its sign-ins answer PROVIDER_UNAVAILABLE until it is",
				"provider", pr.cfg.ID, "issuer", pr.cfg.Issuer, "err", err)
			continue
		}
		p.log.InfoContext(ctx, "identity provider ready", "provider", pr.cfg.ID, "issuer", pr.cfg.Issuer)
	}
}

// Providers lists the configured providers, in configuration order.
func (p *Providers) Providers() []auth.OidcProvider {
	out := make([]auth.OidcProvider, len(p.list))
	for i, pr := range p.list {
		out[i] = auth.OidcProvider{ID: pr.cfg.ID, Name: pr.cfg.Name}
	}
	return out
}

func (p *Providers) find(id string) (*provider, error) {
	for _, pr := range p.list {
		if pr.cfg.ID == id {
			return pr, nil
		}
	}
	return nil, auth.ErrUnknownProvider
}

// discover fetches pr's discovery document, once it works.
func (p *Providers) discover(ctx context.Context, pr *provider) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.disc != nil {
		return pr.disc, pr.verifier, nil
	}
	// The provider keeps this context for its JWKS fetches, later and in
	// the background: it carries the client, not the request's deadline.
	dctx := oidc.ClientContext(context.WithoutCancel(ctx), p.client)
	disc, err := oidc.NewProvider(dctx, pr.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: discovery of %s: %w", auth.ErrProviderUnavailable, pr.cfg.Issuer, err)
	}
	pr.disc = disc
	// iss (the discovered issuer), aud (our client id), exp and the
	// signature (the provider's JWKS, its advertised algorithms) are
	// checked here; azp and the nonce in Exchange.
	pr.verifier = disc.Verifier(&oidc.Config{ClientID: pr.cfg.ClientID})
	return pr.disc, pr.verifier, nil
}

func (pr *provider) oauth2(disc *oidc.Provider, redirectURI string) *oauth2.Config {
	ep := disc.Endpoint()
	// client_secret_basic, which every provider supports (OpenID Connect
	// Core 9); a public client names itself in the body. Fixed rather than
	// auto-detected, so that a refused code is one request, not two.
	ep.AuthStyle = oauth2.AuthStyleInHeader
	if pr.cfg.ClientSecret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{ClientID: pr.cfg.ClientID, ClientSecret: pr.cfg.ClientSecret, Endpoint: ep,
		RedirectURL: redirectURI, Scopes: pr.cfg.Scopes}
}

// AuthCodeURL is the provider's authorization URL for r: response_type
// code, the state, the nonce and the S256 challenge of the verifier.
func (p *Providers) AuthCodeURL(ctx context.Context, id string, r auth.OidcRequest) (string, error) {
	pr, err := p.find(id)
	if err != nil {
		return "", err
	}
	disc, _, err := p.discover(ctx, pr)
	if err != nil {
		return "", err
	}
	return pr.oauth2(disc, r.RedirectURI).AuthCodeURL(r.State, oidc.Nonce(r.Nonce), oauth2.S256ChallengeOption(r.CodeVerifier)), nil
}

// claims are the ID token's claims beyond what go-oidc checks.
type claims struct {
	AuthorizedParty string `json:"azp"`
	Email           string `json:"email"`
	EmailVerified   any    `json:"email_verified"` // a boolean; some providers send "true"
}

// Exchange redeems code with r's redirect URI and PKCE verifier, verifies
// the ID token, and returns the identity it asserts.
func (p *Providers) Exchange(ctx context.Context, id, code string, r auth.OidcRequest) (*auth.ExternalIdentity, error) {
	pr, err := p.find(id)
	if err != nil {
		return nil, err
	}
	disc, verifier, err := p.discover(ctx, pr)
	if err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := pr.oauth2(disc, r.RedirectURI).Exchange(ctx, code, oauth2.VerifierOption(r.CodeVerifier))
	if err != nil {
		return nil, exchangeErr(err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%w: the token response has no id_token", auth.ErrCodeRejected)
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "fetching keys") { // the JWKS could not be had
			return nil, fmt.Errorf("%w: %w", auth.ErrProviderUnavailable, err)
		}
		return nil, fmt.Errorf("%w: id token: %w", auth.ErrCodeRejected, err)
	}
	// The nonce ties the ID token to this flow: a token from another
	// flow (replayed, or injected with a stolen code) carries another.
	if r.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(r.Nonce)) != 1 {
		return nil, fmt.Errorf("%w: id token: nonce does not match the flow's", auth.ErrCodeRejected)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: id token claims: %w", auth.ErrCodeRejected, err)
	}
	// OpenID Connect Core 3.1.3.7: with several audiences azp must be
	// present, and when present it must be this client.
	if (len(idt.Audience) > 1 && c.AuthorizedParty == "") || (c.AuthorizedParty != "" && c.AuthorizedParty != pr.cfg.ClientID) {
		return nil, fmt.Errorf("%w: id token: azp %q is not this client", auth.ErrCodeRejected, c.AuthorizedParty)
	}
	ext := &auth.ExternalIdentity{Provider: id, Subject: idt.Subject, Email: c.Email, EmailVerified: truthy(c.EmailVerified)}
	if ext.Email == "" && disc.UserInfoEndpoint() != "" {
		// Some providers keep the email out of the ID token.
		if err := p.userInfo(ctx, disc, tok, ext); err != nil {
			return nil, err
		}
	}
	return ext, nil
}

// userInfo fills ext's email from the userinfo endpoint, whose subject
// must be the ID token's (OpenID Connect Core 5.3.2).
func (p *Providers) userInfo(ctx context.Context, disc *oidc.Provider, tok *oauth2.Token, ext *auth.ExternalIdentity) error {
	ui, err := disc.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("%w: userinfo: %w", auth.ErrProviderUnavailable, err)
	}
	if ui.Subject != ext.Subject {
		return fmt.Errorf("%w: userinfo is about subject %q, not the id token's", auth.ErrCodeRejected, ui.Subject)
	}
	ext.Email, ext.EmailVerified = ui.Email, ui.EmailVerified
	return nil
}

// exchangeErr classifies a failed token request: the provider's 4xx
// answer (invalid_grant: a used, expired or foreign code, a wrong
// verifier) is a refusal; anything else (no answer, a 5xx) an outage.
func exchangeErr(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
		return fmt.Errorf("%w: token endpoint: %s %s", auth.ErrCodeRejected, re.Response.Status, re.ErrorCode)
	}
	return fmt.Errorf("%w: token endpoint: %w", auth.ErrProviderUnavailable, err)
}

// truthy reads email_verified: true, or the string "true".
func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true")
	}
	return false
}
