package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTotpLocksAfterTooManyWrongCodes: the per-window throttle alone would
// let a holder of the password guess codes for ever; after
// MaxTotpFailures (100) wrong codes in a row the authenticator is refused,
// even a right code, until a recovery code proves the user (which also
// unlocks it).
func TestTotpLocksAfterTooManyWrongCodes(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		u := s.enroll(t, "guessed@example.com")
		mfaToken := s.firstStep(t, u.email, u.password)
		right := totpAt(t, u.secret, time.Now().Add(30*time.Second))
		for i := range 100 {
			wrong := fmt.Sprintf("%06d", i)
			if wrong == right || wrong == totpAt(t, u.secret, time.Now()) || wrong == totpAt(t, u.secret, time.Now().Add(-30*time.Second)) {
				wrong = "999999"
			}
			e := wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mfaToken, "c": wrong}), "BAD_USER_INPUT", "")
			if e.Extensions["field"] != "code" {
				t.Fatalf("field %v", e.Extensions)
			}
		}
		e := wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mfaToken, "c": right}), "BAD_USER_INPUT", "")
		if !strings.Contains(e.Message, "too many wrong codes") {
			t.Fatalf("a right code after 100 wrong ones: %q", e.Message)
		}
		admin := adminOf(t, s)
		if types := s.auditTypes(t, admin, u.id); !containsString(types, "mfa_locked") {
			t.Fatalf("no mfa_locked event: %v", types)
		}
		// A recovery code still works, and unlocks the authenticator.
		s.verify(t, mfaToken, u.recovery[0])
		s.verify(t, s.firstStep(t, u.email, u.password), totpAt(t, u.secret, time.Now().Add(30*time.Second)))
	})
}

// TestFactorGoneEndsAal2: a token earned with a TOTP code stops meeting
// @mfa (and the admin rule) once that factor is disabled, though its
// session goes on.
func TestFactorGoneEndsAal2(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		u := s.enroll(t, "gone@example.com")
		session := s.verify(t, s.firstStep(t, u.email, u.password), totpAt(t, u.secret, time.Now().Add(30*time.Second)))
		ok(t, s.do(t, session.access, remainingQ, nil))
		ok(t, s.do(t, session.access, disableQ, map[string]any{"c": u.recovery[1]}))
		wantErr(t, s.do(t, session.access, remainingQ, nil), "MFA_REQUIRED", "")
		ok(t, s.me(t, session.access)) // the session itself goes on
	})
}

// TestAdminScopeNeedsTheFactor: under REQUIRE_ADMIN_MFA an ADMIN's token
// from a password alone carries only the USER scopes, so a router does not
// admit it to another subgraph's admin fields; after the second factor it
// carries admin.
func TestAdminScopeNeedsTheFactor(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"REQUIRE_ADMIN_MFA": "true"}))
	s.cli(t, "admin-password-1\n", "user", "create", "--email", "boss@example.com", "--role", "ADMIN")
	boss, _ := s.login(t, "boss@example.com", "admin-password-1")
	if c := jwtClaims(t, boss.access); c["scope"] != "user:read user:write" || c["role"] != "ADMIN" {
		t.Fatalf("password-only admin token: %v", c)
	}
	s.markVerified(t, boss.access, "boss@example.com")
	e := ok(t, s.do(t, boss.access, enrollQ, nil))["enrollTotp"].(map[string]any)
	ok(t, s.do(t, boss.access, confirmQ, map[string]any{"c": totpAt(t, e["secret"].(string), time.Now())}))
	aal2 := s.verify(t, s.firstStep(t, "boss@example.com", "admin-password-1"), totpAt(t, e["secret"].(string), time.Now().Add(30*time.Second)))
	if c := jwtClaims(t, aal2.access); c["scope"] != "user:read user:write admin" {
		t.Fatalf("aal2 admin token scope %v", c["scope"])
	}
}

// TestResetMfaOfUserWithoutFactor: resetting a user who has no second
// factor (a mistyped address) changes nothing and says so, instead of
// logging them out everywhere.
func TestResetMfaOfUserWithoutFactor(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	tk, p := s.register(t, "plain@example.com", "password-123")
	admin := adminOf(t, s)
	e := wantErr(t, s.do(t, admin, resetMfaQ, map[string]any{"id": p["user"].(map[string]any)["id"]}), "BAD_USER_INPUT", "")
	if e.Extensions["field"] != "userId" {
		t.Fatalf("field %v", e.Extensions)
	}
	ok(t, s.me(t, tk.access))
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
