package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/db"
)

const registerQ = `mutation($i: RegisterInput!) { register(input: $i) { user { id } } }`

// TestAttackLookAlikeEmails: every invisible or look-alike form of an
// existing account's email is refused at registration, either as the same
// mailbox (EMAIL_TAKEN) or as no address at all (BAD_USER_INPUT on
// input.email); logging in with a foldable look-alike reaches the same
// account; the CLI finds the account by a look-alike too.
func TestAttackLookAlikeEmails(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		_, alice := s.register(t, "alice@example.com", "password-123")
		// Registered decomposed (NFD) with a Unicode domain.
		_, jose := s.register(t, "jose\u0301@bücher.de", "password-456")
		if jose["user"].(map[string]any)["email"] != "jos\u00e9@xn--bcher-kva.de" {
			t.Fatalf("stored email = %q, want the canonical form", jose["user"].(map[string]any)["email"])
		}
		register := func(email string) *gqlResponse {
			return s.do(t, "", registerQ, map[string]any{"i": map[string]any{"email": email, "password": "password-789"}})
		}

		refused := map[string]string{
			"ali\u200bce@example.com":     "zero-width space",
			"alice\u200d@example.com":     "zero-width joiner",
			"\ufeffalice@example.com":     "byte order mark",
			"ali\u00adce@example.com":     "soft hyphen",
			"\u202ealice@example.com":     "right-to-left override",
			"alice\u2066@example.com":     "left-to-right isolate",
			"alice@exam\u200eple.com":     "left-to-right mark in the domain",
			"alice\u0000@example.com":     "NUL",
			"ali\u180ece@example.com":     "Mongolian vowel separator",
			"alice\ufe0f@example.com":     "variation selector",
			"ali\u3164ce@example.com":     "Hangul filler",
			"alice@exam\u00a0ple.com":     "no-break space",
			"alice@xn--example-.com":      "broken punycode",
			"alice@ex\u2024ample.com":     "one dot leader",
			"alice@\uff45xample..com":     "empty label",
			"ali\U000e0041ce@example.com": "tag character",
		}
		for email, why := range refused {
			e := wantErr(t, register(email), "BAD_USER_INPUT", "")
			if e.Extensions["field"] != "input.email" {
				t.Errorf("%s: field = %v", why, e.Extensions["field"])
			}
		}
		taken := map[string]map[string]any{
			"ALICE@EXAMPLE.COM":                                                   alice,
			"\uff41\uff4c\uff49\uff43\uff45@example.com":                          alice, // fullwidth local part
			"alice@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff43\uff4f\uff4d": alice, // fullwidth domain
			"alice@example\u3002com":                                              alice, // ideographic full stop
			" alice@example.com ":                                                 alice,
			"jos\u00e9@bücher.de":                                                 jose, // NFC
			"jos\u00e9@xn--bcher-kva.de":                                          jose, // punycode domain
			"JOSE\u0301@B\u00dcCHER.DE":                                           jose, // upper case, NFD
			"jos\u00e9@b\uff55\u0308cher.de":                                      jose, // fullwidth u and a combining diaeresis
		}
		for email, owner := range taken {
			wantErr(t, register(email), "EMAIL_TAKEN", "")
			pw := "password-123"
			if owner["user"].(map[string]any)["id"] == jose["user"].(map[string]any)["id"] {
				pw = "password-456"
			}
			_, got := s.login(t, email, pw)
			if got["user"].(map[string]any)["id"] != owner["user"].(map[string]any)["id"] {
				t.Errorf("login as %+q reached %v, want %v", email, got["user"], owner["user"])
			}
		}
		// The operator's CLI looks accounts up the same way.
		out := s.cli(t, "", "user", "set-role", "--email", "\uff21LICE@example.com", "--role", "ADMIN")
		if !strings.Contains(out, alice["user"].(map[string]any)["id"].(string)) {
			t.Fatalf("set-role reached another account: %s", out)
		}
		if out := s.cli(t, "", "user", "list", "--search", "\uff21LIC"); !strings.Contains(out, "alice@example.com") {
			t.Fatalf("a fullwidth search did not find alice:\n%s", out)
		}
		if strings.Contains(s.stderr.String(), "level=ERROR") {
			t.Fatalf("client mistakes logged as errors:\n%s", s.stderr.String())
		}
	})
}

// TestEmailCollisionReport: accounts stored before normalisation (seeded
// here straight into the database, as an older release stored them) that
// are one mailbox are reported when the canonical-email migration runs at
// start (a WARN with their ids) and by `gqlauth user collisions`, oldest
// first; none is changed.
func TestEmailCollisionReport(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		ctx := context.Background()
		store, err := db.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		if err := store.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		seed := func(email string, age int) string {
			u := &auth.User{ID: auth.NewID(), Email: email, PasswordHash: "$argon2id$x", Role: auth.RoleUser,
				CreatedAt: t0.Add(time.Duration(age) * time.Hour), UpdatedAt: t0}
			if err := store.CreateUser(ctx, u); err != nil {
				t.Fatalf("seed %+q: %v", email, err)
			}
			return u.ID
		}
		unique := seed("unique@example.com", 0)
		bob := seed("bob@example.com", 0)
		bobWide := seed("\uff42\uff4f\uff42@example.com", 1)
		carolPuny := seed("carol@xn--bcher-kva.de", 0)
		carolUni := seed("carol@bücher.de", 1)
		carolNFD := seed("carol@bu\u0308cher.de", 2)
		hidden := seed("da\u200bve@example.com", 0)
		// As if the rows predate the migration: it and the later ones
		// (undone here) run again at start.
		// The Downs of migrations 13 to 7, newest first (dropping oidc_flows
		// undoes 13 too).
		dropMfa := `ALTER TABLE users DROP COLUMN mfa_enabled_at`
		if store.Dialect() == db.Postgres {
			dropMfa += ` CASCADE` // and its trigger
		}
		undo := []string{`DROP TABLE oidc_flows`, `DROP TABLE user_identities`, `DROP TABLE passkey_challenges`, `DROP TABLE passkeys`, `DROP TABLE mfa_challenges`, `DROP TABLE recovery_codes`, `DROP TABLE totp_factors`, dropMfa, `DROP TABLE link_tokens`}
		if store.Dialect() == db.Postgres { // 8 and 9 widened the trigger of migration 5
			undo = append(undo, `DROP TRIGGER users_changed ON users`,
				`CREATE TRIGGER users_changed AFTER UPDATE OF role, disabled_at, password_hash, email ON users FOR EACH ROW EXECUTE FUNCTION gqlauth_notify_change()`)
		}
		undo = append(undo, `ALTER TABLE users DROP COLUMN custom_claims`, `ALTER TABLE users DROP COLUMN email_verified_at`,
			`DROP TABLE mail_outbox`, `DELETE FROM goose_db_version WHERE version_id >= 6`)
		for _, q := range undo {
			if _, err := store.DB().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}

		s := startServer(t, testEnv(dbURL, nil))
		logs := s.stderr.String()
		for _, ids := range []string{bob + "," + bobWide, carolPuny + "," + carolUni + "," + carolNFD, hidden} {
			if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, ids) {
				t.Errorf("start did not warn of %s:\n%s", ids, logs)
			}
		}
		if strings.Contains(logs, unique) {
			t.Errorf("an account without a collision was reported:\n%s", logs)
		}

		out := s.cli(t, "", "user", "collisions")
		lines := strings.Split(out, "\n")
		find := func(id string) string {
			for _, l := range lines {
				if strings.Contains(l, id) {
					return l
				}
			}
			t.Fatalf("%s not reported:\n%s", id, out)
			return ""
		}
		for _, id := range []string{bob, bobWide, carolPuny, carolUni, carolNFD} {
			if l := find(id); !strings.HasPrefix(l, "collision") {
				t.Errorf("not reported as a collision: %s", l)
			}
		}
		if l := find(hidden); !strings.HasPrefix(l, "invalid") {
			t.Errorf("zero-width email not reported as invalid: %s", l)
		}
		// Oldest first within a mailbox, so the operator sees who came first.
		if strings.Index(out, carolPuny) > strings.Index(out, carolUni) || strings.Index(out, carolUni) > strings.Index(out, carolNFD) {
			t.Errorf("collisions not oldest first:\n%s", out)
		}
		if !strings.Contains(out, "2 collisions, 1 invalid, 0 not canonical") {
			t.Errorf("summary wrong:\n%s", out)
		}
		// Nothing was merged: each colliding row stays as it was stored.
		users, err := store.UserEmails(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 7 {
			t.Fatalf("%d users after the report, want 7", len(users))
		}
		for _, u := range users {
			if u.ID == bobWide && u.Email != "\uff42\uff4f\uff42@example.com" {
				t.Errorf("colliding email changed to %+q", u.Email)
			}
		}
	})
}
