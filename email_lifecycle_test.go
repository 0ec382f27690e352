package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/mailer/mailtest"
)

// mailbox reads the mail a test server sends to a real SMTP server, one
// message at a time, per recipient.
type mailbox struct {
	srv  *mailtest.Server
	mu   sync.Mutex
	seen int // messages already handed out, in arrival order
}

// mailServer starts an SMTP server and returns the environment that sends
// a test server's mail to it.
func mailServer(t *testing.T, dbURL string, overrides map[string]string) (*mailbox, map[string]string) {
	srv := mailtest.Start(t)
	env := testEnv(dbURL, map[string]string{"SMTP_URL": "smtp://" + srv.Addr, "APP_URL": "https://app.example.com/"})
	for k, v := range overrides {
		env[k] = v
	}
	return &mailbox{srv: srv}, env
}

// next waits for the next message and checks it is for to.
func (m *mailbox) next(t *testing.T, to string) mailtest.Parsed {
	t.Helper()
	m.mu.Lock()
	n := m.seen + 1
	m.seen = n
	m.mu.Unlock()
	got := m.srv.Wait(n, 30*time.Second)[n-1]
	if got.To != to {
		t.Fatalf("mail %d went to %q, want %q", n, got.To, to)
	}
	return mailtest.Parse(t, got.Data)
}

// quiet fails t if any message beyond those handed out has arrived.
func (m *mailbox) quiet(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if msgs := m.srv.Messages(); len(msgs) > m.seen {
		t.Fatalf("unexpected mail to %s", msgs[m.seen].To)
	}
}

// linkToken returns the token of the APP_URL link to page in a mail,
// checking the text and HTML parts carry the same link.
func linkToken(t *testing.T, p mailtest.Parsed, page string) string {
	t.Helper()
	re := regexp.MustCompile(`https://app\.example\.com/` + page + `\?token=([A-Za-z0-9_-]{43})\b`)
	m := re.FindStringSubmatch(p.Text)
	if m == nil {
		t.Fatalf("no %s link in:\n%s", page, p.Text)
	}
	if !strings.Contains(p.HTML, m[0]) {
		t.Fatalf("the HTML part lacks the link %s:\n%s", m[0], p.HTML)
	}
	return m[1]
}

const (
	verifyEmailOp   = `mutation($t: String!) { verifyEmail(token: $t) { id email emailVerified } }`
	resetPasswordOp = `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }`
	requestResetOp  = `mutation($e: String!) { requestPasswordReset(email: $e) }`
	sendVerifyOp    = `mutation { sendVerificationEmail }`
	requestChangeOp = `mutation($e: String!) { requestEmailChange(newEmail: $e) }`
	confirmChangeOp = `mutation($t: String!) { confirmEmailChange(token: $t) { id email emailVerified } }`
	meVerifiedOp    = `{ me { email emailVerified } }`
)

// wantLinkErr fails t unless r is BAD_USER_INPUT on field token with reason.
func wantLinkErr(t *testing.T, r *gqlResponse, reason string) {
	t.Helper()
	e := wantErr(t, r, "BAD_USER_INPUT", reason)
	if e.Extensions["field"] != "token" {
		t.Fatalf("want field token, got %v", e.Extensions)
	}
}

// TestEmailVerification: register mails a link to the address; following
// it verifies the address once; a newer link replaces an older one; a
// link works only for its own purpose; garbage is invalid; the admin
// count of unverified accounts follows.
func TestEmailVerification(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		// Debug logs: the test checks no link token reaches them.
		box, env := mailServer(t, dbURL, map[string]string{"LOG_LEVEL": "debug"})
		s := startServer(t, env)
		ada, _ := s.register(t, "ada@example.com", "password-123")
		p := box.next(t, "ada@example.com")
		if subj := p.Header.Get("Subject"); subj != "Verify your email address" {
			t.Fatalf("subject %q", subj)
		}
		first := linkToken(t, p, "verify-email")
		if me := ok(t, s.do(t, ada.access, meVerifiedOp, nil))["me"].(map[string]any); me["emailVerified"] != false {
			t.Fatalf("verified before the link: %v", me)
		}

		// A new link replaces the first, which stops working.
		if !ok(t, s.do(t, ada.access, sendVerifyOp, nil))["sendVerificationEmail"].(bool) {
			t.Fatal("sendVerificationEmail answered false for an unverified address")
		}
		second := linkToken(t, box.next(t, "ada@example.com"), "verify-email")
		if second == first {
			t.Fatal("the new link carries the old token")
		}
		wantLinkErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": first}), "TOKEN_INVALID")
		// Not a reset link, whatever it is.
		wantLinkErr(t, s.do(t, "", resetPasswordOp, map[string]any{"t": second, "p": "new-password-1"}), "TOKEN_INVALID")
		for _, bad := range []string{"", "garbage", strings.Repeat("A", 43), second + "x"} {
			wantLinkErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": bad}), "TOKEN_INVALID")
		}

		u := ok(t, s.do(t, "", verifyEmailOp, map[string]any{"t": second}))["verifyEmail"].(map[string]any)
		if u["email"] != "ada@example.com" || u["emailVerified"] != true {
			t.Fatalf("verifyEmail returned %v", u)
		}
		if me := ok(t, s.do(t, ada.access, meVerifiedOp, nil))["me"].(map[string]any); me["emailVerified"] != true {
			t.Fatalf("me after verifying: %v", me)
		}
		// Once only.
		wantLinkErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": second}), "TOKEN_INVALID")
		// Nothing left to verify: nothing is sent.
		if ok(t, s.do(t, ada.access, sendVerifyOp, nil))["sendVerificationEmail"].(bool) {
			t.Fatal("sendVerificationEmail answered true for a verified address")
		}
		wantErr(t, s.do(t, "", sendVerifyOp, nil), "UNAUTHENTICATED", "TOKEN_MISSING")

		s.register(t, "bob@example.com", "password-123")
		box.next(t, "bob@example.com")
		s.cli(t, "password-123\n", "user", "create", "--email", "root@example.com", "--role", "ADMIN")
		root, _ := s.login(t, "root@example.com", "password-123")
		st := ok(t, s.do(t, root.access, `{ adminStats { users unverifiedUsers } }`, nil))["adminStats"].(map[string]any)
		if st["users"] != 3.0 || st["unverifiedUsers"] != 2.0 {
			t.Fatalf("adminStats %v, want 3 users of which 2 unverified (bob, root)", st)
		}
		if out := s.cli(t, "", "user", "verify", "--email", "root@example.com"); !strings.Contains(out, "verified") {
			t.Fatalf("user verify: %q", out)
		}
		st = ok(t, s.do(t, root.access, `{ adminStats { unverifiedUsers } }`, nil))["adminStats"].(map[string]any)
		if st["unverifiedUsers"] != 1.0 {
			t.Fatalf("after user verify: %v", st)
		}
		box.quiet(t)
		// The database holds link tokens only as SHA-256 hashes, and no
		// delivered link.
		for _, tok := range []string{first, second} {
			if where := dbHolds(t, dbURL, tok); where != "" {
				t.Fatalf("the database holds a link token in %s", where)
			}
		}
		raw, _ := base64.RawURLEncoding.DecodeString(second)
		sum := sha256.Sum256(raw)
		if dbHolds(t, dbURL, hex.EncodeToString(sum[:])) != "link_tokens" {
			t.Fatal("the used link's SHA-256 is not in link_tokens")
		}
		// The server never logs a link's token.
		for _, tok := range []string{first, second} {
			if strings.Contains(s.stderr.String(), tok) {
				t.Fatal("a link token is in the server log")
			}
		}
	})
}

// TestPasswordReset: a reset request answers the same, after the same
// floor, for an address with an account and one without, and mails only
// the first; the link sets a new password once, ends every session,
// verifies the address and is refused when replayed; a bad new password
// leaves the link unused.
func TestPasswordReset(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, nil)
		s := startServer(t, env)
		laptop, _ := s.register(t, "ada@example.com", "old-password-1")
		box.next(t, "ada@example.com") // the verification link
		phone, _ := s.login(t, "ada@example.com", "old-password-1")

		for _, email := range []string{"nobody@example.com", "ADA@example.com"} {
			start := time.Now()
			r := s.do(t, "", requestResetOp, map[string]any{"e": email})
			if took := time.Since(start); took < 250*time.Millisecond {
				t.Errorf("requestPasswordReset(%s) answered in %s, before the floor", email, took)
			}
			if len(r.Errors) > 0 || r.Data["requestPasswordReset"] != true || r.Status != 200 {
				t.Fatalf("requestPasswordReset(%s) = %d %+v", email, r.Status, r)
			}
		}
		// Mail goes out in order: had the unknown address been mailed, its
		// mail would come first.
		p := box.next(t, "ada@example.com")
		if subj := p.Header.Get("Subject"); subj != "Reset your password" {
			t.Fatalf("subject %q", subj)
		}
		token := linkToken(t, p, "reset-password")

		e := wantErr(t, s.do(t, "", resetPasswordOp, map[string]any{"t": token, "p": "short"}), "BAD_USER_INPUT", "")
		if e.Extensions["field"] != "newPassword" {
			t.Fatalf("want field newPassword: %v", e.Extensions)
		}
		if !ok(t, s.do(t, "", resetPasswordOp, map[string]any{"t": token, "p": "new-password-1"}))["resetPassword"].(bool) {
			t.Fatal("resetPassword answered false")
		}
		// Every session ended, both tokens of each.
		for _, tk := range []tokens{laptop, phone} {
			wantErr(t, s.me(t, tk.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
			wantErr(t, s.refresh(t, tk.refresh), "UNAUTHENTICATED", "")
		}
		wantErr(t, s.do(t, "", `mutation { login(input: {email: "ada@example.com", password: "old-password-1"}) { tokenType } }`, nil),
			"INVALID_CREDENTIALS", "")
		ada, _ := s.login(t, "ada@example.com", "new-password-1")
		if me := ok(t, s.do(t, ada.access, meVerifiedOp, nil))["me"].(map[string]any); me["emailVerified"] != true {
			t.Fatalf("the reset link reached the address, yet: %v", me)
		}
		wantLinkErr(t, s.do(t, "", resetPasswordOp, map[string]any{"t": token, "p": "another-password-1"}), "TOKEN_INVALID")
		s.login(t, "ada@example.com", "new-password-1") // the replay changed nothing

		// A newer request replaces the older link.
		ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "ada@example.com"}))
		older := linkToken(t, box.next(t, "ada@example.com"), "reset-password")
		ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "ada@example.com"}))
		newer := linkToken(t, box.next(t, "ada@example.com"), "reset-password")
		wantLinkErr(t, s.do(t, "", resetPasswordOp, map[string]any{"t": older, "p": "another-password-1"}), "TOKEN_INVALID")
		// A reset link is not a verification link.
		wantLinkErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": newer}), "TOKEN_INVALID")
		ok(t, s.do(t, "", resetPasswordOp, map[string]any{"t": newer, "p": "another-password-1"}))

		admin := adminOf(t, s)
		events := ok(t, s.do(t, admin, `{ auditEvents(first: 50) { edges { node { type email detail } } } }`, nil))
		var resets int
		for _, e := range events["auditEvents"].(map[string]any)["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			if n["type"] == "password_reset" {
				resets++
				if !strings.Contains(n["detail"].(string), "ended") {
					t.Errorf("password_reset event %v does not say what it ended", n)
				}
			}
		}
		if resets != 2 {
			t.Fatalf("%d password_reset events, want 2", resets)
		}
		box.quiet(t)
	})
}

// dbHolds names the table (link_tokens or mail_outbox) one of whose text
// columns holds s, or "".
func dbHolds(t *testing.T, dbURL, s string) string {
	t.Helper()
	store, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for table, query := range map[string]string{
		"link_tokens": `SELECT token_hash || ' ' || email || ' ' || purpose FROM link_tokens`,
		"mail_outbox": `SELECT to_addr || ' ' || data || ' ' || last_error FROM mail_outbox`,
	} {
		var rows []string
		if err := store.DB().SelectContext(context.Background(), &rows, query); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if strings.Contains(r, s) {
				return table
			}
		}
	}
	return ""
}

// adminOf creates an admin with the CLI and returns its fresh access token.
func adminOf(t *testing.T, s *testServer) string {
	t.Helper()
	s.cli(t, "admin-password-1\n", "user", "create", "--email", "root@example.com", "--role", "ADMIN")
	tk, _ := s.login(t, "root@example.com", "admin-password-1")
	return tk.access
}

// TestResetLinkExpires: a reset link past RESET_TOKEN_TTL answers
// TOKEN_EXPIRED and changes nothing.
func TestResetLinkExpires(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, map[string]string{"RESET_TOKEN_TTL": "1s"})
		s := startServer(t, env)
		s.register(t, "ada@example.com", "old-password-1")
		box.next(t, "ada@example.com")
		ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "ada@example.com"}))
		token := linkToken(t, box.next(t, "ada@example.com"), "reset-password")
		time.Sleep(1100 * time.Millisecond)
		wantLinkErr(t, s.do(t, "", resetPasswordOp, map[string]any{"t": token, "p": "new-password-1"}), "TOKEN_EXPIRED")
		s.login(t, "ada@example.com", "old-password-1")
	})
}

// TestEmailChange: a fresh caller asks to move to a new address; the new
// address gets the link, the old one a notice; following the link moves
// the account (verified), ends every session, and kills links mailed to
// the old address; taken, same and stale-token requests are refused.
func TestEmailChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, nil)
		s := startServer(t, env)
		ada, _ := s.register(t, "ada@example.com", "password-123")
		box.next(t, "ada@example.com")
		s.register(t, "bob@example.com", "password-123")
		box.next(t, "bob@example.com")

		wantErr(t, s.do(t, ada.access, requestChangeOp, map[string]any{"e": "Bob@Example.com"}), "EMAIL_TAKEN", "")
		e := wantErr(t, s.do(t, ada.access, requestChangeOp, map[string]any{"e": "ada@example.com"}), "BAD_USER_INPUT", "")
		if e.Extensions["field"] != "newEmail" {
			t.Fatalf("field %v", e.Extensions)
		}
		stale := payloadTokens(t, ok(t, s.refresh(t, ada.refresh)), "refresh")
		wantErr(t, s.do(t, stale.access, requestChangeOp, map[string]any{"e": "ada@new.example"}), "FRESH_TOKEN_REQUIRED", "")

		// A reset link mailed to the old address, before the change.
		ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "ada@example.com"}))
		oldReset := linkToken(t, box.next(t, "ada@example.com"), "reset-password")

		fresh, _ := s.login(t, "ada@example.com", "password-123")
		if !ok(t, s.do(t, fresh.access, requestChangeOp, map[string]any{"e": "Ada@New.Example"}))["requestEmailChange"].(bool) {
			t.Fatal("requestEmailChange answered false")
		}
		confirm := box.next(t, "ada@new.example")
		if subj := confirm.Header.Get("Subject"); subj != "Confirm your new email address" {
			t.Fatalf("subject %q", subj)
		}
		token := linkToken(t, confirm, "confirm-email-change")
		notice := box.next(t, "ada@example.com")
		if !strings.Contains(notice.Text, "ada@new.example") || strings.Contains(notice.Text, token) {
			t.Fatalf("the notice to the old address should name the new one and carry no link:\n%s", notice.Text)
		}
		// Nothing changes before the link is followed.
		if me := ok(t, s.me(t, fresh.access))["me"].(map[string]any); me["email"] != "ada@example.com" {
			t.Fatalf("moved before confirming: %v", me)
		}
		wantLinkErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": token}), "TOKEN_INVALID")

		u := ok(t, s.do(t, "", confirmChangeOp, map[string]any{"t": token}))["confirmEmailChange"].(map[string]any)
		if u["email"] != "ada@new.example" || u["emailVerified"] != true {
			t.Fatalf("confirmEmailChange returned %v", u)
		}
		for _, tk := range []tokens{ada, fresh} {
			wantErr(t, s.me(t, tk.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		}
		wantLinkErr(t, s.do(t, "", confirmChangeOp, map[string]any{"t": token}), "TOKEN_INVALID")
		wantLinkErr(t, s.do(t, "", resetPasswordOp, map[string]any{"t": oldReset, "p": "stolen-password-1"}), "TOKEN_INVALID")
		wantErr(t, s.do(t, "", `mutation { login(input: {email: "ada@example.com", password: "password-123"}) { tokenType } }`, nil),
			"INVALID_CREDENTIALS", "")
		moved, _ := s.login(t, "ada@new.example", "password-123")
		if me := ok(t, s.do(t, moved.access, meVerifiedOp, nil))["me"].(map[string]any); me["email"] != "ada@new.example" || me["emailVerified"] != true {
			t.Fatalf("me after the change: %v", me)
		}
		// The old address is free again.
		s.register(t, "ada@example.com", "password-123")
		box.next(t, "ada@example.com")
		box.quiet(t)
	})
}

// payloadTokens reads the token pair of an AuthPayload field.
func payloadTokens(t *testing.T, data map[string]any, field string) tokens {
	t.Helper()
	tk, _ := payload(t, data, field)
	return tk
}

// TestRequireVerifiedEmail: with REQUIRE_VERIFIED_EMAIL=true register
// creates the account and mails the link but opens no session; login
// tells EMAIL_NOT_VERIFIED only to whoever knows the password; following
// the link (or the operator's `user verify`) lets the account in.
func TestRequireVerifiedEmail(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, map[string]string{"REQUIRE_VERIFIED_EMAIL": "true"})
		s := startServer(t, env)
		reg := `mutation($e: String!) { register(input: {email: $e, password: "password-123"}) { accessToken } }`
		wantErr(t, s.do(t, "", reg, map[string]any{"e": "ada@example.com"}), "EMAIL_NOT_VERIFIED", "")
		token := linkToken(t, box.next(t, "ada@example.com"), "verify-email")
		wantErr(t, s.do(t, "", reg, map[string]any{"e": "ada@example.com"}), "EMAIL_TAKEN", "")

		login := `mutation($p: String!) { login(input: {email: "ada@example.com", password: $p}) { accessToken } }`
		wantErr(t, s.do(t, "", login, map[string]any{"p": "wrong-password"}), "INVALID_CREDENTIALS", "")
		// Only the right password earns the answer, and a new link: the
		// account cannot call sendVerificationEmail without a session.
		wantErr(t, s.do(t, "", login, map[string]any{"p": "password-123"}), "EMAIL_NOT_VERIFIED", "")
		fresh := linkToken(t, box.next(t, "ada@example.com"), "verify-email")
		wantLinkErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": token}), "TOKEN_INVALID")
		ok(t, s.do(t, "", verifyEmailOp, map[string]any{"t": fresh}))
		s.login(t, "ada@example.com", "password-123")

		s.cli(t, "password-123\n", "user", "create", "--email", "bob@example.com")
		wantErr(t, s.do(t, "", `mutation { login(input: {email: "bob@example.com", password: "password-123"}) { accessToken } }`, nil),
			"EMAIL_NOT_VERIFIED", "")
		box.next(t, "bob@example.com") // the new link, unused: the operator verifies instead
		s.cli(t, "", "user", "verify", "--email", "bob@example.com")
		s.login(t, "bob@example.com", "password-123")
		box.quiet(t)
	})
}

// TestEmailMutationsThrottled: mail-sending mutations count every call
// against the account (an unknown address the same as a known one, so
// the limit tells nothing), link redemptions count failures per IP, and
// a request may hold only one of them.
func TestEmailMutationsThrottled(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, map[string]string{"RATE_LIMIT_ACCOUNT": "3", "RATE_LIMIT_IP": "10"})
		s := startServer(t, env)
		ada, _ := s.register(t, "ada@example.com", "password-123")
		box.next(t, "ada@example.com")
		for range 3 {
			ok(t, s.do(t, ada.access, sendVerifyOp, nil))
			box.next(t, "ada@example.com")
		}
		e := wantErr(t, s.do(t, ada.access, sendVerifyOp, nil), "RATE_LIMITED", "")
		if e.Extensions["retryAfter"] == nil {
			t.Fatalf("no retryAfter: %v", e.Extensions)
		}
		for _, email := range []string{"ada@example.com", "nobody@example.com"} {
			for range 3 {
				ok(t, s.do(t, "", requestResetOp, map[string]any{"e": email}))
			}
			wantErr(t, s.do(t, "", requestResetOp, map[string]any{"e": email}), "RATE_LIMITED", "")
		}
		for range 3 {
			box.next(t, "ada@example.com")
		}
		// Ten bad tokens from one IP, then the next waits.
		for i := range 10 {
			wantLinkErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": strings.Repeat("A", 42) + string(rune('A'+i))}), "TOKEN_INVALID")
		}
		wantErr(t, s.do(t, "", verifyEmailOp, map[string]any{"t": strings.Repeat("B", 43)}), "RATE_LIMITED", "")

		two := `mutation($e: String!) { a: requestPasswordReset(email: $e) b: requestPasswordReset(email: $e) }`
		wantErr(t, s.do(t, "", two, map[string]any{"e": "x@example.com"}), "TOO_MANY_CREDENTIAL_MUTATIONS", "")
		box.quiet(t)
	})
}

// TestMailWaitsOutAnSMTPOutage: with the SMTP server down, the mutations
// still succeed (the mail waits in the outbox); once it is back, the mail
// arrives, once.
func TestMailWaitsOutAnSMTPOutage(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, nil)
		box.srv.Stop()
		s := startServer(t, env)
		s.register(t, "ada@example.com", "password-123")
		if !ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "ada@example.com"}))["requestPasswordReset"].(bool) {
			t.Fatal("requestPasswordReset failed while SMTP is down")
		}
		time.Sleep(2 * time.Second) // a few failed attempts
		queued := outboxData(t, dbURL)
		box.srv.Restart()
		verify := linkToken(t, box.next(t, "ada@example.com"), "verify-email")
		token := linkToken(t, box.next(t, "ada@example.com"), "reset-password")
		// While queued, the links were sealed: the outbox held no token.
		if len(queued) != 2 {
			t.Fatalf("%d mails were queued, want 2", len(queued))
		}
		for _, d := range queued {
			if !strings.Contains(d, "sealed:v1:") || strings.Contains(d, verify) || strings.Contains(d, token) {
				t.Fatalf("a queued mail's data holds its link in clear: %s", d)
			}
		}
		ok(t, s.do(t, "", resetPasswordOp, map[string]any{"t": token, "p": "new-password-1"}))
		time.Sleep(1500 * time.Millisecond)
		box.quiet(t)
	})
}

// outboxData reads the data of every unsent mail.
func outboxData(t *testing.T, dbURL string) []string {
	t.Helper()
	store, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var rows []string
	if err := store.DB().SelectContext(context.Background(), &rows, `SELECT data FROM mail_outbox WHERE sent_at IS NULL ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMailInTheLogWithoutSMTP: with SMTP_URL unset (the zero-setup
// default) each mail is written to the log at INFO with its link, which
// works: `go run .` goes through the whole lifecycle.
func TestMailInTheLogWithoutSMTP(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"LOG_LEVEL": "info"}))
	s.register(t, "ada@example.com", "password-123")
	re := regexp.MustCompile(`http://localhost:5173/verify-email\?token=([A-Za-z0-9_-]{43})`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		m = re.FindStringSubmatch(s.stderr.String())
	}
	if m == nil {
		t.Fatalf("no verification link in the log:\n%s", s.stderr.String())
	}
	u := ok(t, s.do(t, "", verifyEmailOp, map[string]any{"t": m[1]}))["verifyEmail"].(map[string]any)
	if u["emailVerified"] != true {
		t.Fatalf("verifyEmail returned %v", u)
	}
}

// TestPendingEmailChangeEndsWithTheSessions: an intruder in the account
// (a phished password) asks to move it to their address; whatever the
// owner does to throw them out (a password reset, a password change,
// logout everywhere) also kills that pending link, which would otherwise
// hand them the account after the owner thought it safe.
func TestPendingEmailChangeEndsWithTheSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, nil)
		s := startServer(t, env)
		s.register(t, "ada@example.com", "password-123")
		box.next(t, "ada@example.com")
		password := "password-123"
		for i, rescue := range []string{"reset", "changePassword", "logoutAll"} {
			intruder, _ := s.login(t, "ada@example.com", password)
			evil := fmt.Sprintf("evil%d@attacker.example", i)
			ok(t, s.do(t, intruder.access, requestChangeOp, map[string]any{"e": evil}))
			link := linkToken(t, box.next(t, evil), "confirm-email-change")
			box.next(t, "ada@example.com") // the notice
			owner, _ := s.login(t, "ada@example.com", password)
			switch rescue {
			case "reset":
				ok(t, s.do(t, "", requestResetOp, map[string]any{"e": "ada@example.com"}))
				reset := linkToken(t, box.next(t, "ada@example.com"), "reset-password")
				password = "password-reset-1"
				ok(t, s.do(t, "", resetPasswordOp, map[string]any{"t": reset, "p": password}))
			case "changePassword":
				next := "password-changed-1"
				ok(t, s.do(t, owner.access, `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`,
					map[string]any{"c": password, "n": next}))
				password = next
			case "logoutAll":
				ok(t, s.do(t, owner.access, `mutation { logout(allSessions: true) }`, nil))
			}
			wantLinkErr(t, s.do(t, "", confirmChangeOp, map[string]any{"t": link}), "TOKEN_INVALID")
			wantErr(t, s.me(t, intruder.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		}
		s.login(t, "ada@example.com", password) // still hers
		box.quiet(t)
	})
}

// TestRequireVerifiedEmailEndsOlderSessions: sessions opened before
// REQUIRE_VERIFIED_EMAIL was turned on cannot refresh once it is (here a
// second replica with the setting, on the same database).
func TestRequireVerifiedEmailEndsOlderSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		before := startServer(t, testEnv(dbURL, nil))
		tk, _ := before.register(t, "ada@example.com", "password-123")
		after := startServer(t, testEnv(dbURL, map[string]string{"REQUIRE_VERIFIED_EMAIL": "true"}))
		wantErr(t, after.refresh(t, tk.refresh), "EMAIL_NOT_VERIFIED", "")
	})
}

// TestConcurrentResetRequestsLeaveOneLink: racing requests for one account
// take turns on its row, so exactly one reset link stays live (the newest
// supersedes the others) and every mail but one carries a dead link.
func TestConcurrentResetRequestsLeaveOneLink(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		box, env := mailServer(t, dbURL, nil)
		s := startServer(t, env)
		s.register(t, "ada@example.com", "password-123")
		box.next(t, "ada@example.com")
		const n = 6
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r, err := tryDo(s.URL, "", requestResetOp, map[string]any{"e": "ada@example.com"}); err != nil || len(r.Errors) > 0 {
					t.Errorf("requestPasswordReset: %v %+v", err, r)
				}
			}()
		}
		wg.Wait()
		store, err := db.Open(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		var live int
		if err := store.DB().GetContext(context.Background(), &live,
			`SELECT COUNT(*) FROM link_tokens WHERE purpose = 'reset_password' AND used_at IS NULL`); err != nil {
			t.Fatal(err)
		}
		if live != 1 {
			t.Fatalf("%d live reset links after %d racing requests, want 1", live, n)
		}
		working := 0
		for range n {
			tok := linkToken(t, box.next(t, "ada@example.com"), "reset-password")
			if r := s.do(t, "", `mutation($t: String!) { resetPassword(token: $t, newPassword: "password-new-1") }`, map[string]any{"t": tok}); len(r.Errors) == 0 {
				working++
			}
		}
		if working != 1 {
			t.Fatalf("%d of the %d mailed links worked, want 1", working, n)
		}
	})
}
