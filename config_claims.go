package main

import (
	"fmt"
	"strings"

	"github.com/gqlauth/gqlauth/auth"
)

// readClaims reads what shapes access tokens beyond gqlauth's own claims:
// the scope of each role, CLAIMS_TEMPLATE and the namespace of custom
// claims. The template is parsed and rendered for a sample user now, so a
// mistake stops the start-up rather than a login.
func readClaims(r *envReader, c *config) {
	s := &auth.ClaimShaper{Scopes: auth.DefaultRoleScopes, Namespace: r.get("CLAIMS_NAMESPACE")}
	if v := r.get("ROLE_SCOPES"); v != "" {
		scopes, err := parseRoleScopes(v)
		if err != nil {
			r.bad("ROLE_SCOPES", "%v", err)
		}
		s.Scopes = scopes
	}
	if src := r.fromFile("CLAIMS_TEMPLATE", false); src != "" {
		t, err := auth.ParseClaimsTemplate(src)
		if err != nil {
			r.bad("CLAIMS_TEMPLATE", "%v", err)
		}
		s.Template = t
	}
	if err := s.Check(); err != nil {
		r.bad("CLAIMS_NAMESPACE", "%v", err)
	}
	c.Claims = s
	c.EdgeDirectives = r.boolean("FEDERATION_EDGE_DIRECTIVES", true)
}

// parseRoleScopes reads ROLE_SCOPES: ROLE=scope scope;ROLE=scope. A role
// left out gets no scope claim.
func parseRoleScopes(v string) (map[auth.Role]string, error) {
	out := map[auth.Role]string{}
	for _, part := range strings.Split(v, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		name, scopes, ok := strings.Cut(part, "=")
		role := auth.Role(strings.ToUpper(strings.TrimSpace(name)))
		if !ok || !role.Valid() {
			return nil, fmt.Errorf("want ROLE=scope scope;ROLE=scope with roles USER and ADMIN, got %q", part)
		}
		if _, dup := out[role]; dup {
			return nil, fmt.Errorf("%s is given twice", role)
		}
		out[role] = strings.Join(strings.Fields(scopes), " ")
	}
	return out, nil
}
