package graph

import (
	"strconv"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one request can make the server do. A zero field
// disables that limit.
type Limits struct {
	MaxDepth      int // nesting of selection sets
	MaxAliases    int // aliased fields in the operation, counted along every fragment spread
	MaxComplexity int // gqlgen's pricing; credential mutations are priced high
	MaxTokens     int // parser token limit
	// MaxNodes bounds the document as written (selections, arguments,
	// values, directives, variable definitions), checked before validation:
	// some of gqlparser's rules are quadratic in it.
	MaxNodes int
}

// DefaultLimits fit every legitimate client with room to spare. The
// standard introspection queries (15 deep, up to 91 nodes) pass them on
// their own terms whatever they are (introspection.go).
var DefaultLimits = Limits{MaxDepth: 12, MaxAliases: 30, MaxComplexity: 500, MaxTokens: 5000, MaxNodes: 300}

// credentialMutations are the fields that check or issue credentials. One
// request may run at most one of them, so that aliases or several fields
// cannot multiply guesses behind one rate-limit check.
var credentialMutations = map[string]bool{
	"login": true, "register": true, "refresh": true, "changePassword": true,
	// The email lifecycle: each mails a link, spends one, or hashes.
	"sendVerificationEmail": true, "verifyEmail": true, "requestPasswordReset": true,
	"resetPassword": true, "requestEmailChange": true, "confirmEmailChange": true,
	// The second factor: each checks a code.
	"verifyMfa": true, "confirmTotp": true, "regenerateRecoveryCodes": true, "disableTotp": true,
	// Passkeys: each begins a ceremony (a stored challenge) or verifies a
	// credential and signs tokens.
	"beginPasskeyRegistration": true, "finishPasskeyRegistration": true, "beginPasskeyLogin": true,
	"finishPasskeyLogin": true, "verifyMfaPasskey": true,
	// Sign-in with providers: each spends a state, calls the provider, or
	// opens a session.
	"beginOidcLogin": true, "finishOidcLogin": true, "beginOidcLink": true, "finishOidcLink": true, "unlinkIdentity": true,
}

// credentialCost is the complexity of a credential mutation: each hashes a
// password or signs tokens.
const credentialCost = 100

// unbounded is where counts saturate: a document whose fragments spread
// each other twice at every level counts 2^levels paths, and is refused
// as over every limit instead of being enumerated or overflowing.
const unbounded = 1 << 50

// satAdd adds two counts in [0, unbounded] without passing unbounded.
func satAdd(a, b int) int {
	if a >= unbounded-b {
		return unbounded
	}
	return a + b
}

func limitError(code auth.Code, what string, got, limit int) *gqlerror.Error {
	n := strconv.Itoa(got)
	if got >= unbounded {
		n = "more than " + strconv.Itoa(unbounded)
	}
	return &gqlerror.Error{
		Message:    "operation exceeds the limit on " + what + ": " + n + " > " + strconv.Itoa(limit),
		Extensions: map[string]any{"code": string(code), "limit": limit},
	}
}

// priceCredentialMutations makes each credential mutation expensive in
// the complexity count, so the complexity limit also bounds hashing work.
func priceCredentialMutations(c *ComplexityRoot) {
	c.Mutation.Login = func(child int, _ model.LoginInput) int { return credentialCost + child }
	c.Mutation.Register = func(child int, _ model.RegisterInput) int { return credentialCost + child }
	c.Mutation.Refresh = func(child int, _ *string) int { return credentialCost + child }
	c.Mutation.ChangePassword = func(child int, _, _ string) int { return credentialCost + child }
	c.Mutation.SendVerificationEmail = func(child int) int { return credentialCost + child }
	c.Mutation.VerifyEmail = func(child int, _ string) int { return credentialCost + child }
	c.Mutation.RequestPasswordReset = func(child int, _ string) int { return credentialCost + child }
	c.Mutation.ResetPassword = func(child int, _, _ string) int { return credentialCost + child }
	c.Mutation.RequestEmailChange = func(child int, _ string) int { return credentialCost + child }
	c.Mutation.ConfirmEmailChange = func(child int, _ string) int { return credentialCost + child }
	c.Mutation.VerifyMfa = func(child int, _, _ string) int { return credentialCost + child }
	c.Mutation.ConfirmTotp = func(child int, _ string) int { return credentialCost + child }
	c.Mutation.RegenerateRecoveryCodes = func(child int, _ string) int { return credentialCost + child }
	c.Mutation.DisableTotp = func(child int, _ string) int { return credentialCost + child }
	c.Mutation.BeginPasskeyRegistration = func(child int) int { return credentialCost + child }
	c.Mutation.FinishPasskeyRegistration = func(child int, _ string, _ any, _ *string) int { return credentialCost + child }
	c.Mutation.BeginPasskeyLogin = func(child int, _ *string) int { return credentialCost + child }
	c.Mutation.FinishPasskeyLogin = func(child int, _ string, _ any) int { return credentialCost + child }
	c.Mutation.VerifyMfaPasskey = func(child int, _, _ string, _ any) int { return credentialCost + child }
	c.Mutation.BeginOidcLogin = func(child int, _, _ string) int { return credentialCost + child }
	c.Mutation.FinishOidcLogin = func(child int, _, _, _ string) int { return credentialCost + child }
	c.Mutation.BeginOidcLink = func(child int, _, _ string) int { return credentialCost + child }
	c.Mutation.FinishOidcLink = func(child int, _, _, _ string) int { return credentialCost + child }
	c.Mutation.UnlinkIdentity = func(child int, _ string) int { return credentialCost + child }
}
