package graph

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
)

// The GraphQL models are generated; these map the domain types onto them so
// that the auth package knows nothing of GraphQL.

func user(u *auth.User) *model.User {
	m := &model.User{ID: u.ID, Email: u.Email, Role: model.Role(u.Role), CreatedAt: u.CreatedAt, Disabled: u.Disabled(),
		EmailVerified: u.EmailVerified(), MfaEnabled: u.MfaEnabled()}
	if len(u.CustomClaims) > 0 {
		var c any
		if json.Unmarshal(u.CustomClaims, &c) == nil { // written by SetClaims as valid JSON
			m.CustomClaims = c
		}
	}
	return m
}

// authPayload hands an issued token pair to the client: through the
// request's token carrier (cookies in cookie mode), and in the body unless
// tokens travel only in cookies.
func authPayload(ctx context.Context, r *auth.AuthResult) *model.AuthPayload {
	if r.MfaToken != "" { // a login's first step: no tokens, no cookies
		// Whoever has only the password does not see the claims an
		// administrator set (tenant, plan…): they wait for the factor.
		u := user(r.User)
		u.CustomClaims = nil
		return &model.AuthPayload{TokenType: "Bearer", User: u, MfaRequired: true, MfaToken: &r.MfaToken}
	}
	tt := auth.TokenCarrierFrom(ctx)
	if !r.BodyOnly {
		tt.Deliver(r)
	}
	exp := r.Access.Claims.ExpiresAt.Sub(r.Access.Claims.IssuedAt.Time)
	p := &model.AuthPayload{
		TokenType: "Bearer",
		ExpiresIn: int(exp.Seconds()),
		Fresh:     r.Access.Claims.Fresh,
		User:      user(r.User),
	}
	if tt.TokensInBody() || r.BodyOnly {
		p.AccessToken, p.RefreshToken = &r.Access.Token, &r.Refresh.Token
	}
	if r.CSRF != "" {
		p.CsrfToken = &r.CSRF
	}
	return p
}

// refreshCredential is the refresh token a `refresh` call presents: its
// argument, or else the one the client's token carrier holds (the refresh
// cookie), which then counts only with the CSRF value the request carried.
func refreshCredential(ctx context.Context, arg *string) (raw string, csrf *string) {
	if arg != nil && *arg != "" {
		return *arg, nil
	}
	tok, sent, ok := auth.TokenCarrierFrom(ctx).StoredRefresh()
	if !ok {
		return "", nil
	}
	return tok, &sent
}

func sessions(ss []auth.SessionView) []model.Session {
	out := make([]model.Session, len(ss))
	for i, s := range ss {
		out[i] = model.Session{ID: s.ID, CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt,
			UserAgent: s.UserAgent, IP: s.IP, Current: s.Current}
	}
	return out
}

func adminStats(s *auth.Stats) *model.AdminStats {
	return &model.AdminStats{
		Users: s.Users, Admins: s.Admins, ActiveSessions: s.ActiveSessions, RevokedTokens: s.RevokedTokens,
		LoginsLast24h: s.LoginsLast24h, FailedLoginsLast24h: s.FailedLoginsLast24h, UnverifiedUsers: s.UnverifiedUsers,
		UsersByProvider: providerCounts(s.UsersByProvider),
	}
}

func userConnection(l *auth.UserList) *model.UserConnection {
	c := &model.UserConnection{Edges: make([]model.UserEdge, len(l.Users)), PageInfo: pageInfo(l.HasNextPage, l.EndCursor)}
	for i := range l.Users {
		u := &l.Users[i]
		c.Edges[i] = model.UserEdge{Cursor: auth.UserCursor(u), Node: user(u)}
	}
	return c
}

func auditConnection(l *auth.AuditList) *model.AuditEventConnection {
	c := &model.AuditEventConnection{Edges: make([]model.AuditEventEdge, len(l.Events)), PageInfo: pageInfo(l.HasNextPage, l.EndCursor)}
	for i, e := range l.Events {
		c.Edges[i] = model.AuditEventEdge{Cursor: auth.AuditCursor(&e), Node: &model.AuditEvent{
			ID: strconv.FormatInt(e.ID, 10), At: e.At, Type: string(e.Type), UserID: e.UserID,
			Email: e.Email, IP: e.IP, UserAgent: e.UserAgent, Detail: e.Detail,
		}}
	}
	return c
}

func pageInfo(hasNext bool, end string) *model.PageInfo {
	p := &model.PageInfo{HasNextPage: hasNext}
	if end != "" {
		p.EndCursor = &end
	}
	return p
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func sessionEvent(e auth.SessionEvent) *model.SessionEvent {
	return &model.SessionEvent{Type: model.SessionEventType(e.Type), At: e.At}
}

func oidcProviders(ps []auth.OidcProvider) []model.OidcProvider {
	out := make([]model.OidcProvider, len(ps))
	for i, p := range ps {
		out[i] = model.OidcProvider{ID: p.ID, Name: p.Name}
	}
	return out
}

func identities(ids []auth.Identity) []model.Identity {
	out := make([]model.Identity, len(ids))
	for i, id := range ids {
		out[i] = model.Identity{Provider: id.Provider, Subject: id.Subject, Email: id.Email, CreatedAt: id.CreatedAt}
	}
	return out
}

func providerCounts(cs []auth.ProviderCount) []model.ProviderCount {
	out := make([]model.ProviderCount, len(cs))
	for i, c := range cs {
		out[i] = model.ProviderCount{Provider: c.Provider, Users: c.Users}
	}
	return out
}
