package graph

import (
	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
)

// The GraphQL models are generated; these map the domain types onto them so
// that the auth package knows nothing of GraphQL.

func user(u *auth.User) *model.User {
	return &model.User{ID: u.ID, Email: u.Email, Role: model.Role(u.Role), CreatedAt: u.CreatedAt}
}

func authPayload(r *auth.AuthResult) *model.AuthPayload {
	exp := r.Access.Claims.ExpiresAt.Sub(r.Access.Claims.IssuedAt.Time)
	return &model.AuthPayload{
		AccessToken:  r.Access.Token,
		RefreshToken: r.Refresh.Token,
		TokenType:    "Bearer",
		ExpiresIn:    int(exp.Seconds()),
		Fresh:        r.Access.Claims.Fresh,
		User:         user(r.User),
	}
}

func adminStats(s *auth.Stats) *model.AdminStats {
	return &model.AdminStats{
		Users: s.Users, Admins: s.Admins, ActiveSessions: s.ActiveSessions, RevokedTokens: s.RevokedTokens,
		LoginsLast24h: s.LoginsLast24h, FailedLoginsLast24h: s.FailedLoginsLast24h,
	}
}
