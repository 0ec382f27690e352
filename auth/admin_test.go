package auth_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// adminOp is one admin use case, run as the caller in ctx against target.
type adminOp struct {
	name string
	run  func(h *harness, ctx context.Context, target string) error
}

// adminOps are every admin use case, each harmless to repeat.
var adminOps = []adminOp{
	{"setUserRole", func(h *harness, ctx context.Context, id string) error {
		_, err := h.setRole(ctx, id, auth.RoleUser)
		return err
	}},
	{"setUserDisabled", func(h *harness, ctx context.Context, id string) error {
		_, err := h.setDisabled(ctx, id, false)
		return err
	}},
	{"revokeUserSessions", func(h *harness, ctx context.Context, id string) error {
		_, err := h.revokeUserSessions(ctx, id)
		return err
	}},
	{"users", func(h *harness, ctx context.Context, _ string) error {
		_, err := h.listUsers(ctx, 0, "", "")
		return err
	}},
	{"user", func(h *harness, ctx context.Context, id string) error {
		_, err := h.user(ctx, id)
		return err
	}},
	{"auditEvents", func(h *harness, ctx context.Context, _ string) error {
		_, err := h.auditEvents(ctx, 0, "", "")
		return err
	}},
	{"adminStats", func(h *harness, ctx context.Context, _ string) error {
		_, err := h.stats(ctx)
		return err
	}},
	{"resetUserMfa", func(h *harness, ctx context.Context, id string) error {
		giveFactor(h, id) // a reset of a user without one is refused as bad input
		_, err := h.resetUserMfa(ctx, id)
		return err
	}},
}

func TestAdminOpsNeedAnAdmin(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.newAdmin("root@example.com")
	user := h.newUser("alice@example.com")
	callers := []struct {
		name string
		ctx  context.Context
		want want
	}{
		{"anonymous", h.anon(), missing},
		{"garbage token", h.asUser("garbage"), invalid},
		{"USER", h.asUser(user.Access), forbidden},
		{"ADMIN", h.asUser(admin.Access), ok},
	}
	for _, c := range callers {
		for _, op := range adminOps {
			t.Run(c.name+"/"+op.name, func(t *testing.T) {
				check(t, op.name, op.run(h, c.ctx, user.User.ID), c.want)
			})
		}
	}
}

func TestAdminBadInput(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.newAdmin("root@example.com")
	ctx := h.asUser(admin.Access)
	unknown := auth.NewID()
	tests := []struct {
		name string
		run  func() error
		want want
	}{
		{"setUserRole unknown role", func() error { _, err := h.setRole(ctx, admin.User.ID, "ROOT"); return err }, badInput("role")},
		{"setUserRole unknown user", func() error { _, err := h.setRole(ctx, unknown, auth.RoleUser); return err }, badInput("userId")},
		{"setUserDisabled unknown user", func() error { _, err := h.setDisabled(ctx, unknown, true); return err }, badInput("userId")},
		{"setUserDisabled self", func() error { _, err := h.setDisabled(ctx, admin.User.ID, true); return err }, badInput("userId")},
		{"revokeUserSessions unknown user", func() error { _, err := h.revokeUserSessions(ctx, unknown); return err }, badInput("userId")},
		{"operator setRole unknown email", func() error { _, err := h.operatorSetRole("nobody@example.com", auth.RoleAdmin); return err }, badInput("email")},
		{"operator setRole bad email", func() error { _, err := h.operatorSetRole("nobody", auth.RoleAdmin); return err }, badInput("email")},
		{"operator setRole unknown role", func() error { _, err := h.operatorSetRole("root@example.com", "ROOT"); return err }, badInput("role")},
		{"operator disable unknown email", func() error { _, err := h.operatorSetDisabled("nobody@example.com", true); return err }, badInput("email")},
		{"operator revoke unknown email", func() error { _, err := h.operatorRevokeSessions("nobody@example.com"); return err }, badInput("email")},
		{"operator create bad email", func() error { _, err := h.operatorCreateUser("x", goodPassword, auth.RoleUser); return err }, badInput("email")},
		{"operator create weak password", func() error { _, err := h.operatorCreateUser("x@example.com", "short", auth.RoleUser); return err }, badInput("password")},
		{"operator create unknown role", func() error { _, err := h.operatorCreateUser("x@example.com", goodPassword, "ROOT"); return err }, badInput("role")},
		{"operator create taken", func() error {
			_, err := h.operatorCreateUser("root@example.com", goodPassword, auth.RoleUser)
			return err
		}, want{Code: auth.CodeEmailTaken}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.name, tc.run(), tc.want) })
	}
	// Bad input changed nothing.
	u, err := h.me(ctx)
	check(t, "me", err, ok)
	if u.Role != auth.RoleAdmin || u.Disabled() {
		t.Fatalf("admin changed by refused requests: %+v", u)
	}
}

// Disabling ends every session of the account; enabling lets it log in
// again, but revives no session.
func TestAdminDisableAndEnable(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.asUser(h.newAdmin("root@example.com").Access)
	p := h.newUser("alice@example.com")
	u, err := h.setDisabled(admin, p.User.ID, true)
	check(t, "disable", err, ok)
	if !u.Disabled() {
		t.Fatal("not disabled")
	}
	_, err = h.me(h.asUser(p.Access))
	check(t, "me", err, revoked)
	_, err = h.login(h.anon(), "alice@example.com", goodPassword)
	check(t, "login", err, disabledAcct)

	u, err = h.setDisabled(admin, p.User.ID, false)
	check(t, "enable", err, ok)
	if u.Disabled() {
		t.Fatal("still disabled")
	}
	_, err = h.refresh(h.anon(), p.Refresh)
	check(t, "old session after enabling", err, revoked)
	_, err = h.login(h.anon(), "alice@example.com", goodPassword)
	check(t, "login after enabling", err, ok)
}

func TestAdminRevokeUserSessions(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.asUser(h.newAdmin("root@example.com").Access)
	p := h.newUser("alice@example.com")
	_, err := h.login(h.anon(), "alice@example.com", goodPassword)
	check(t, "second login", err, ok)
	n, err := h.revokeUserSessions(admin, p.User.ID)
	check(t, "revoke", err, ok)
	if n != 2 {
		t.Fatalf("ended %d sessions, want 2", n)
	}
	_, err = h.me(h.asUser(p.Access))
	check(t, "me", err, revoked)
	_, err = h.me(admin)
	check(t, "the admin's own session", err, ok)
	q, err := h.login(h.anon(), "alice@example.com", goodPassword)
	check(t, "login", err, ok)
	if n, err = h.operatorRevokeSessions("alice@example.com"); err != nil || n != 1 {
		t.Fatalf("operator revoke: %d, %v", n, err)
	}
	_, err = h.me(h.asUser(q.Access))
	check(t, "me after the operator's revoke", err, revoked)
}

// A user may resolve their own entity; anyone else's is FORBIDDEN whether
// it exists or not, so a gateway's lookups cannot probe for accounts.
func TestUserEntityAndUser(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.asUser(h.newAdmin("root@example.com").Access)
	alice := h.newUser("alice@example.com")
	bob := h.newUser("bob@example.com")
	unknown := auth.NewID()
	as := h.asUser(alice.Access)
	tests := []struct {
		name  string
		run   func() (*auth.User, error)
		want  want
		email string // "" : nil user
	}{
		{"own entity", func() (*auth.User, error) { return h.userEntity(as, alice.User.ID) }, ok, "alice@example.com"},
		{"another's entity", func() (*auth.User, error) { return h.userEntity(as, bob.User.ID) }, forbidden, ""},
		{"unknown entity", func() (*auth.User, error) { return h.userEntity(as, unknown) }, forbidden, ""},
		{"admin, another's entity", func() (*auth.User, error) { return h.userEntity(admin, bob.User.ID) }, ok, "bob@example.com"},
		{"admin, unknown entity", func() (*auth.User, error) { return h.userEntity(admin, unknown) }, ok, ""},
		{"anonymous entity", func() (*auth.User, error) { return h.userEntity(h.anon(), bob.User.ID) }, missing, ""},
		{"admin, user", func() (*auth.User, error) { return h.user(admin, bob.User.ID) }, ok, "bob@example.com"},
		{"admin, unknown user", func() (*auth.User, error) { return h.user(admin, unknown) }, ok, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.run()
			check(t, tc.name, err, tc.want)
			switch {
			case tc.email == "" && u != nil:
				t.Fatalf("got %+v, want none", u)
			case tc.email != "" && (u == nil || u.Email != tc.email):
				t.Fatalf("got %+v, want %s", u, tc.email)
			}
		})
	}
}

func TestAdminStats(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.asUser(h.newAdmin("root@example.com").Access)
	p := h.newUser("alice@example.com")
	h.newUser("bob@example.com")
	_, err := h.login(h.anon(), "alice@example.com", "wrong password")
	check(t, "failed login", err, badCreds)
	check(t, "logout", h.logout(h.asUser(p.Access), false), ok)
	st, err := h.stats(admin)
	check(t, "stats", err, ok)
	// Nobody followed a verification link.
	want := auth.Stats{Users: 3, Admins: 1, ActiveSessions: 2, RevokedTokens: 1, LoginsLast24h: 1, FailedLoginsLast24h: 1, UnverifiedUsers: 3,
		UsersByProvider: []auth.ProviderCount{}}
	if !reflect.DeepEqual(*st, want) {
		t.Fatalf("stats %+v, want %+v", *st, want)
	}
}

func TestListUsersPaging(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.asUser(h.newAdmin("root@example.com").Access)
	for i := range 5 {
		h.clock.Advance(time.Second) // creation order is the list's order
		h.newUser(fmt.Sprintf("user%d@example.com", i))
	}
	var seen []string
	after := ""
	for page := 0; ; page++ {
		l, err := h.listUsers(admin, 2, after, "user")
		check(t, "listUsers", err, ok)
		for _, u := range l.Items {
			seen = append(seen, u.Email)
		}
		if !l.HasNext {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
		after = l.End
	}
	want := "[user0@example.com user1@example.com user2@example.com user3@example.com user4@example.com]"
	if fmt.Sprint(seen) != want {
		t.Fatalf("paged through %v, want %s", seen, want)
	}
	all, err := h.operatorListUsers(0, "", "")
	check(t, "operator list", err, ok)
	if len(all.Items) != 6 || all.HasNext {
		t.Fatalf("operator list %d users, hasNext %v", len(all.Items), all.HasNext)
	}
	none, err := h.listUsers(admin, 0, "", "nobody-matches")
	check(t, "search without match", err, ok)
	if len(none.Items) != 0 || none.End != "" || none.HasNext {
		t.Fatalf("empty search %+v", none)
	}
}

func TestAuditEventsPaging(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.asUser(h.newAdmin("root@example.com").Access) // register, login
	p := h.newUser("alice@example.com")                      // register
	_, err := h.login(h.anon(), "alice@example.com", "wrong password")
	check(t, "failed login", err, badCreds)
	check(t, "logout", h.logout(h.asUser(p.Access), false), ok)

	var types []auth.EventType
	after := ""
	for {
		l, err := h.auditEvents(admin, 2, after, "")
		check(t, "auditEvents", err, ok)
		for _, e := range l.Items {
			types = append(types, e.Type)
		}
		if !l.HasNext {
			break
		}
		after = l.End
	}
	want := "[logout login_failed register login_succeeded register]"
	if fmt.Sprint(types) != want {
		t.Fatalf("events newest first %v, want %s", types, want)
	}
	mine, err := h.auditEvents(admin, 0, "", p.User.ID)
	check(t, "one user's events", err, ok)
	if len(mine.Items) != 3 {
		t.Fatalf("alice has %d events, want 3", len(mine.Items))
	}
	tail, err := h.operatorAuditTail(1, "")
	check(t, "operator tail", err, ok)
	if len(tail.Items) != 1 || tail.Items[0].Type != auth.EventLogout || !tail.HasNext {
		t.Fatalf("tail %+v", tail)
	}
}

func TestCursorsAndPageSizes(t *testing.T) {
	h := newHarness(t, options{})
	admin := h.asUser(h.newAdmin("root@example.com").Access)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	users := func(first int, after string) error { _, err := h.listUsers(admin, first, after, ""); return err }
	audit := func(first int, after string) error { _, err := h.auditEvents(admin, first, after, ""); return err }
	opUsers := func(first int, after string) error { _, err := h.operatorListUsers(first, after, ""); return err }
	opAudit := func(first int, after string) error { _, err := h.operatorAuditTail(first, after); return err }
	tests := []struct {
		name  string
		list  func(first int, after string) error
		first int
		after string
		want  want
	}{
		{"users default size", users, 0, "", ok},
		{"users max size", users, auth.MaxPageSize, "", ok},
		{"users size over max", users, auth.MaxPageSize + 1, "", badInput("first")},
		{"users negative size", users, -1, "", badInput("first")},
		{"users valid cursor", users, 1, b64("u:2030-01-02T03:04:05Z|" + auth.NewID()), ok},
		{"users not base64", users, 1, "!!!", badInput("after")},
		{"users wrong kind", users, 1, b64("a:12"), badInput("after")},
		{"users too few parts", users, 1, b64("u:2030-01-02T03:04:05Z"), badInput("after")},
		{"users bad time", users, 1, b64("u:yesterday|abc"), badInput("after")},
		{"users empty id", users, 1, b64("u:2030-01-02T03:04:05Z|"), badInput("after")},
		{"audit valid cursor", audit, 1, b64("a:12"), ok},
		{"audit size over max", audit, auth.MaxPageSize + 1, "", badInput("first")},
		{"audit not base64", audit, 1, "%%%", badInput("after")},
		{"audit wrong kind", audit, 1, b64("u:2030-01-02T03:04:05Z|x"), badInput("after")},
		{"audit not a number", audit, 1, b64("a:twelve"), badInput("after")},
		{"audit zero", audit, 1, b64("a:0"), badInput("after")},
		{"audit negative", audit, 1, b64("a:-5"), badInput("after")},
		{"operator users bad cursor", opUsers, 1, b64("a:1"), badInput("after")},
		{"operator users size", opUsers, -3, "", badInput("first")},
		{"operator audit bad cursor", opAudit, 1, b64("a:x"), badInput("after")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { check(t, tc.name, tc.list(tc.first, tc.after), tc.want) })
	}
}

// giveFactor enables a (never usable) second factor for user id, straight
// in the store; an unknown id is left alone.
func giveFactor(h *harness, id string) {
	now := time.Now().UTC()
	_ = h.store.Tx(context.Background(), func(q auth.Queries) error {
		if err := q.PutTotpFactor(context.Background(), &auth.TotpFactor{UserID: id, SecretEnc: "v1.unusable", CreatedAt: now}); err != nil {
			return err
		}
		return q.SetUserMfa(context.Background(), id, true, now)
	})
}
