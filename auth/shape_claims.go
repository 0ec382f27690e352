package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"
)

// ReservedClaims are the claims gqlauth itself issues or that JWT (RFC
// 7519) and the gateways reading these tokens define: neither
// CLAIMS_TEMPLATE nor an administrator's customClaims can set them, so no
// configuration mistake or admin can forge a subject, a role, a session, a
// lifetime, an authentication level or a scope.
var ReservedClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti",
	"role", "sid", "type", "fresh", "csrf", "scope", "scp",
	"amr", "aal", "acr", "auth_time", "azp", "nonce", "cnf", "client_id",
}

// isReservedClaim compares without case: Go's encoding/json matches
// claim names to fields without case, so "Sub" or "AAL" in a token would
// be read back here as "sub" or "aal".
func isReservedClaim(name string) bool {
	return slices.ContainsFunc(ReservedClaims, func(r string) bool { return strings.EqualFold(r, name) })
}

// Bounds on what shapes an access token: together far below MaxTokenBytes,
// so a token with every extra is still accepted.
const (
	// MaxCustomClaimsBytes bounds one user's customClaims as JSON.
	MaxCustomClaimsBytes = 2 << 10
	// maxTemplateClaimsBytes bounds the claims CLAIMS_TEMPLATE renders.
	maxTemplateClaimsBytes = 2 << 10
)

// DefaultRoleScopes are the scope claims of each role (ROLE_SCOPES): what
// a router's @requiresScopes checks at the edge.
var DefaultRoleScopes = map[Role]string{
	RoleUser:  "user:read user:write",
	RoleAdmin: "user:read user:write admin",
}

// ClaimShaper computes the extra claims of an access token from its user:
// the scope of the user's role, the claims CLAIMS_TEMPLATE renders, and
// the user's customClaims under a namespace. The zero value adds nothing.
type ClaimShaper struct {
	// Scopes maps a role to its space-separated scope claim.
	Scopes map[Role]string
	// Template renders extra top-level claims (nil: none).
	Template *ClaimsTemplate
	// Namespace is the claim that holds a user's customClaims ("": they
	// are not issued).
	Namespace string
	// AdminNeedsAAL2 is REQUIRE_ADMIN_MFA: an ADMIN's token whose login
	// had no second factor gets the USER scopes, so that a router does
	// not admit a phished admin password to another subgraph's admin
	// fields (gqlauth's own would refuse it anyway).
	AdminNeedsAAL2 bool
}

// Check refuses a shaper whose template or namespace would set a reserved
// claim, or whose namespace is also one of the template's claims.
func (s *ClaimShaper) Check() error {
	if s.Namespace != "" && isReservedClaim(s.Namespace) {
		return fmt.Errorf("namespace %q is a reserved claim", s.Namespace)
	}
	if s.Template != nil && s.Namespace != "" && slices.ContainsFunc(s.Template.keys, func(k string) bool { return strings.EqualFold(k, s.Namespace) }) {
		return fmt.Errorf("namespace %q is also a claim of the template", s.Namespace)
	}
	for role, scope := range s.Scopes {
		if strings.ContainsAny(scope, "\"\\") || scope != strings.Join(strings.Fields(scope), " ") {
			return fmt.Errorf("scope of %s: scopes are space-separated words, got %q", role, scope)
		}
	}
	return nil
}

// extra returns the claims to add to an access token of u.
func (s *ClaimShaper) extra(u *User, aal string) (scope string, extra map[string]any, err error) {
	if s == nil {
		return "", nil, nil
	}
	role := u.Role
	if role == RoleAdmin && s.AdminNeedsAAL2 && aal != AAL2 {
		role = RoleUser
	}
	scope = s.Scopes[role]
	if s.Template != nil {
		if extra, err = s.Template.Render(u); err != nil {
			return "", nil, err
		}
	}
	if s.Namespace != "" && len(u.CustomClaims) > 0 {
		var custom map[string]any
		if err := json.Unmarshal(u.CustomClaims, &custom); err != nil {
			return "", nil, fmt.Errorf("user %s: custom claims: %w", u.ID, err)
		}
		if len(custom) > 0 {
			if extra == nil {
				extra = map[string]any{}
			}
			extra[s.Namespace] = custom
		}
	}
	return scope, extra, nil
}

// ClaimsTemplate is CLAIMS_TEMPLATE: a JSON object whose string values
// are Go templates over the user, rendered into every access token, e.g.
// Hasura's
//
//	{"https://hasura.io/jwt/claims": {"x-hasura-user-id": "{{.ID}}",
//	 "x-hasura-default-role": "{{.Role | lower}}", "x-hasura-allowed-roles": ["user"]}}
//
// A template sees .ID, .Email, .Role, .Verified (true or false) and
// .Claims (the user's customClaims object); functions lower, upper. Other
// JSON values (numbers, booleans, arrays of them) are copied as they are.
type ClaimsTemplate struct {
	root map[string]any // strings replaced by *template.Template
	keys []string       // top-level claims
}

// claimsTemplateData is what a claims template sees of a user.
type claimsTemplateData struct {
	ID, Email, Role string
	Verified        bool
	Claims          map[string]any
}

// ParseClaimsTemplate parses and checks a CLAIMS_TEMPLATE: a JSON object,
// no reserved top-level claim, every template valid and rendering for a
// sample user within the size bound.
func ParseClaimsTemplate(src string) (*ClaimsTemplate, error) {
	var root map[string]any
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil || root == nil {
		return nil, errors.New("must be a JSON object of claims")
	}
	if dec.More() {
		return nil, errors.New("must be one JSON object")
	}
	t := &ClaimsTemplate{keys: slices.Sorted(maps.Keys(root))}
	for _, k := range t.keys {
		if isReservedClaim(k) {
			return nil, fmt.Errorf("claim %q is reserved", k)
		}
	}
	funcs := template.FuncMap{"lower": strings.ToLower, "upper": strings.ToUpper}
	var compile func(v any) (any, error)
	compile = func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return template.New("claim").Funcs(funcs).Option("missingkey=zero").Parse(x)
		case map[string]any:
			for k, e := range x {
				c, err := compile(e)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				x[k] = c
			}
		case []any:
			for i, e := range x {
				c, err := compile(e)
				if err != nil {
					return nil, err
				}
				x[i] = c
			}
		}
		return v, nil
	}
	compiled, err := compile(root)
	if err != nil {
		return nil, err
	}
	t.root = compiled.(map[string]any)
	sample := &User{ID: NewID(), Email: "someone@example.com", Role: RoleUser, CustomClaims: RawJSON(`{}`)}
	if _, err := t.Render(sample); err != nil {
		return nil, err
	}
	return t, nil
}

// Render fills the template for u.
func (t *ClaimsTemplate) Render(u *User) (map[string]any, error) {
	data := claimsTemplateData{ID: u.ID, Email: u.Email, Role: string(u.Role), Verified: u.EmailVerified(), Claims: map[string]any{}}
	if len(u.CustomClaims) > 0 {
		if err := json.Unmarshal(u.CustomClaims, &data.Claims); err != nil {
			return nil, fmt.Errorf("custom claims: %w", err)
		}
	}
	var render func(v any) (any, error)
	render = func(v any) (any, error) {
		switch x := v.(type) {
		case *template.Template:
			var b bytes.Buffer
			if err := x.Execute(&b, data); err != nil {
				return nil, err
			}
			// A custom claim the user lacks renders as "", not as
			// text/template's "<no value>".
			return strings.ReplaceAll(b.String(), "<no value>", ""), nil
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				r, err := render(e)
				if err != nil {
					return nil, err
				}
				out[k] = r
			}
			return out, nil
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				r, err := render(e)
				if err != nil {
					return nil, err
				}
				out[i] = r
			}
			return out, nil
		}
		return v, nil
	}
	out, err := render(t.root)
	if err != nil {
		return nil, fmt.Errorf("claims template: %w", err)
	}
	m := out.(map[string]any)
	if b, err := json.Marshal(m); err != nil || len(b) > maxTemplateClaimsBytes {
		return nil, fmt.Errorf("claims template renders %d bytes, over %d", len(b), maxTemplateClaimsBytes)
	}
	return m, nil
}

// CheckCustomClaims validates an administrator's customClaims for a user:
// a JSON object of at most MaxCustomClaimsBytes. They live under their own
// namespace claim, so their keys cannot reach a reserved claim.
func CheckCustomClaims(field string, v any) (RawJSON, error) {
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, BadInput(field, "claims must be a JSON object")
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, BadInput(field, "claims must be JSON")
	}
	if len(b) > MaxCustomClaimsBytes {
		return nil, BadInput(field, "claims must be at most %d bytes of JSON, got %d", MaxCustomClaimsBytes, len(b))
	}
	return b, nil
}
