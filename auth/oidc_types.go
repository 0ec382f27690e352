package auth

import (
	"context"
	"errors"
	"time"
)

// The audited events of sign-in with a provider. A sign-in itself is a
// login_succeeded (detail "with PROVIDER"), and an account it creates a
// register (detail "via PROVIDER"), so that the login figures count them.
const (
	EventIdentityLinked   EventType = "identity_linked"
	EventIdentityUnlinked EventType = "identity_unlinked"
	// EventOidcRefused: a flow refused (a bad or expired state, a code or
	// an ID token the provider's answer did not back, a provider that
	// did not answer, a link required, the last sign-in method kept).
	EventOidcRefused EventType = "oidc_refused"
)

// AMRExternal is the amr of a login proved by an identity provider.
const AMRExternal = "ext"

// The reasons of a refused OpenID Connect flow (BAD_USER_INPUT).
const (
	// ReasonStateInvalid: the state is unknown, used, for another
	// provider or another purpose, or another user's.
	ReasonStateInvalid Reason = "STATE_INVALID"
	// ReasonStateExpired: the flow outlived its 10 minutes; begin again.
	ReasonStateExpired Reason = "STATE_EXPIRED"
	// ReasonCodeRejected: the provider refused the code, or its answer
	// (the ID token) did not pass verification.
	ReasonCodeRejected Reason = "CODE_REJECTED"
	// ReasonProviderUnavailable: the provider could not be reached, or
	// answered with a server error; try again later.
	ReasonProviderUnavailable Reason = "PROVIDER_UNAVAILABLE"
	// ReasonLastSignInMethod: unlinkIdentity or deletePasskey would leave
	// the account with no way to sign in.
	ReasonLastSignInMethod Reason = "LAST_SIGN_IN_METHOD"
)

// OidcFlowTTL is how long a begun flow may be finished: enough to sign in
// at the provider, short enough that a leaked state soon stops working.
const OidcFlowTTL = 10 * time.Minute

// OidcProvider is a configured identity provider, as clients list them.
type OidcProvider struct {
	ID   string // what the API's provider arguments name
	Name string // what a "Sign in with …" button says
}

// OidcRequest is one flow's side of an authorization-code exchange: what
// the authorization request carries (the redirect URI, the state, the
// nonce, the PKCE challenge of the verifier) and what the token request
// must repeat (the redirect URI, the verifier).
type OidcRequest struct {
	RedirectURI  string
	State        string
	Nonce        string
	CodeVerifier string
}

// ExternalIdentity is what a provider asserted about the person who signed
// in, from an ID token whose signature, issuer, audience, authorized party,
// expiry and nonce were checked.
type ExternalIdentity struct {
	Provider string
	Subject  string
	Email    string // "" when the provider shared none
	// EmailVerified is the provider's email_verified claim: only then is
	// Email taken as proof that the person receives mail there.
	EmailVerified bool
}

// IdentityProviders is the outbound side of OpenID Connect: discovery,
// the authorization URL, the code exchange and the ID token's
// verification. The idp package implements it; auth only decides what an
// asserted identity may do.
type IdentityProviders interface {
	// Providers lists the configured providers, in configuration order.
	Providers() []OidcProvider
	// AuthCodeURL is where the browser goes to sign in at provider (an
	// authorization-code request with PKCE S256 and the nonce).
	// ErrUnknownProvider, or ErrProviderUnavailable when the provider's
	// discovery document cannot be had.
	AuthCodeURL(ctx context.Context, provider string, r OidcRequest) (string, error)
	// Exchange redeems code at provider's token endpoint and verifies the
	// ID token it answers. ErrCodeRejected when the provider refused the
	// code or its ID token failed a check; ErrProviderUnavailable when it
	// could not be reached or failed itself.
	Exchange(ctx context.Context, provider, code string, r OidcRequest) (*ExternalIdentity, error)
}

// The errors an IdentityProviders answers with.
var (
	ErrUnknownProvider     = errors.New("unknown identity provider")
	ErrProviderUnavailable = errors.New("identity provider unavailable")
	ErrCodeRejected        = errors.New("identity provider's answer rejected")
)

// OidcOptions configure sign-in with providers.
type OidcOptions struct {
	// Providers is nil when none is configured.
	Providers IdentityProviders
	// RedirectURIs are the only redirect URIs a flow may name
	// (OIDC_REDIRECT_URIS), compared exactly.
	RedirectURIs []string
}

// OidcFlow is a begun authorization-code flow as the store keeps it. ID is
// the SHA-256 of the state the browser carries.
type OidcFlow struct {
	ID           string  `db:"id"`
	Provider     string  `db:"provider"`
	RedirectURI  string  `db:"redirect_uri"`
	UserID       *string `db:"user_id"` // the user linking; nil for a login
	Nonce        string  `db:"nonce"`
	CodeVerifier string  `db:"code_verifier"`
	// BindingHash is the SHA-256 (hex) of the secret kept in the browser
	// that began the flow (TokenCarrier.BindFlow); "" when none was.
	BindingHash string `db:"binding_hash"`
	// CreatedAt, ExpiresAt and UsedAt bound it to one use in OidcFlowTTL.
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
}

// Identity is an account at a provider linked to a user.
type Identity struct {
	Provider  string    `db:"provider"`
	Subject   string    `db:"subject"`
	UserID    string    `db:"user_id"`
	Email     *string   `db:"email"`
	CreatedAt time.Time `db:"created_at"`
}

// ProviderCount is how many users have an identity at a provider.
type ProviderCount struct {
	Provider string `db:"provider"`
	Users    int    `db:"users"`
}

// ErrDuplicateIdentity reports that the identity, or the user's identity at
// that provider, is linked already.
var ErrDuplicateIdentity = errors.New("duplicate identity")

// oidcQueries are the writes of sign-in with providers inside a
// transaction (part of Queries).
type oidcQueries interface {
	// CreateOidcFlow inserts f.
	CreateOidcFlow(ctx context.Context, f *OidcFlow) error
	// ConsumeOidcFlow marks the flow used, only if it is unused and
	// unexpired at now; false otherwise (of two finishes, one wins).
	ConsumeOidcFlow(ctx context.Context, id string, now time.Time) (bool, error)
	// IdentityBySubject reads the identity of subject at provider;
	// ErrNotFound when none.
	IdentityBySubject(ctx context.Context, provider, subject string) (*Identity, error)
	// AddIdentity links i; ErrDuplicateIdentity when the subject, or
	// the user's identity at the provider, is linked already.
	AddIdentity(ctx context.Context, i *Identity) error
	// DeleteIdentity unlinks the user's identity at provider; false when
	// there was none.
	DeleteIdentity(ctx context.Context, userID, provider string) (bool, error)
	// DeleteUserIdentities unlinks every identity of the user and says
	// how many there were.
	DeleteUserIdentities(ctx context.Context, userID string) (int, error)
	// CountIdentities counts the user's identities.
	CountIdentities(ctx context.Context, userID string) (int, error)
}

// oidcStore is what Oidc needs of the store outside transactions.
type oidcStore interface {
	txRunner
	UserByID(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// OidcFlow reads a flow; ErrNotFound when there is none.
	OidcFlow(ctx context.Context, id string) (*OidcFlow, error)
	// Identities lists a user's identities, oldest first.
	Identities(ctx context.Context, userID string) ([]Identity, error)
}

// HasPassword reports whether the account has a password; an account
// created by a provider's sign-in has none until a reset sets one.
func (u *User) HasPassword() bool { return u.PasswordHash != "" }
