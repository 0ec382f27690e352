package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor through the real server: enrollment, both kinds of
// code at login, replay, throttling, the mfaToken's life, step-up and the
// resets. Codes are computed here from the secret, as an app would.

const (
	mfaPayload  = `accessToken refreshToken fresh mfaRequired mfaToken user { id email mfaEnabled }`
	loginMfaQ   = `mutation($i: LoginInput!) { login(input: $i) { ` + mfaPayload + ` } }`
	verifyMfaQ  = `mutation($t: String!, $c: String!) { verifyMfa(mfaToken: $t, code: $c) { ` + mfaPayload + ` } }`
	enrollQ     = `mutation { enrollTotp { secret uri qrSvg } }`
	confirmQ    = `mutation($c: String!) { confirmTotp(code: $c) }`
	disableQ    = `mutation($c: String!) { disableTotp(code: $c) }`
	regenerateQ = `mutation($c: String!) { regenerateRecoveryCodes(code: $c) }`
	remainingQ  = `{ recoveryCodesRemaining }`
	resetMfaQ   = `mutation($id: ID!) { resetUserMfa(userId: $id) { id mfaEnabled } }`
)

// totpAt is the code an authenticator app shows for secret at t.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// jwtClaims decodes a JWT's payload (its signature is the server's to check).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantAuthn fails unless the token says it came from a login with amr at aal.
func wantAuthn(t *testing.T, tok string, aal string, amr ...string) {
	t.Helper()
	c := jwtClaims(t, tok)
	var got []string
	for _, m := range c["amr"].([]any) {
		got = append(got, m.(string))
	}
	if !slices.Equal(got, amr) || c["aal"] != aal {
		t.Fatalf("token amr=%v aal=%v, want amr=%v aal=%s", c["amr"], c["aal"], amr, aal)
	}
}

// wantCodeErr fails unless r is BAD_USER_INPUT on the field "code".
func wantCodeErr(t *testing.T, r *gqlResponse) {
	t.Helper()
	if e := wantErr(t, r, "BAD_USER_INPUT", ""); e.Extensions["field"] != "code" {
		t.Fatalf("field = %v, want code", e.Extensions["field"])
	}
}

// enrolled is a user with a confirmed authenticator.
type enrolled struct {
	id, email, password, secret string
	recovery                    []string
	tokens                      tokens // the registration's session (aal1)
	step                        time.Time
}

// enroll registers email and enrolls an authenticator, confirming it with
// the code of now.
func (s *testServer) enroll(t *testing.T, email string) *enrolled {
	t.Helper()
	tk, p := s.register(t, email, "password-123")
	s.markVerified(t, tk.access, email)
	e := ok(t, s.do(t, tk.access, enrollQ, nil))["enrollTotp"].(map[string]any)
	now := time.Now()
	codes := ok(t, s.do(t, tk.access, confirmQ, map[string]any{"c": totpAt(t, e["secret"].(string), now)}))["confirmTotp"].([]any)
	u := &enrolled{id: p["user"].(map[string]any)["id"].(string), email: email, password: "password-123",
		secret: e["secret"].(string), tokens: tk, step: now}
	for _, c := range codes {
		u.recovery = append(u.recovery, c.(string))
	}
	return u
}

// markVerified verifies email's address as an operator would, and waits
// until the server (whose cache hears of the CLI's change within
// changeDelay) sees it.
func (s *testServer) markVerified(t *testing.T, token, email string) {
	t.Helper()
	s.cli(t, "", "user", "verify", "--email", email)
	r := eventually(t, func() *gqlResponse { return s.do(t, token, `{ me { emailVerified } }`, nil) },
		func(r *gqlResponse) bool {
			return len(r.Errors) == 0 && r.Data["me"].(map[string]any)["emailVerified"] == true
		})
	ok(t, r)
}

// firstStep logs in with the password and returns the mfaToken.
func (s *testServer) firstStep(t *testing.T, email, password string) string {
	t.Helper()
	p := ok(t, s.do(t, "", loginMfaQ, loginVars(email, password)))["login"].(map[string]any)
	if p["mfaRequired"] != true || p["accessToken"] != nil || p["refreshToken"] != nil || p["mfaToken"] == nil {
		t.Fatalf("login of an account with a second factor = %v", p)
	}
	return p["mfaToken"].(string)
}

// verify completes a login with code and returns its tokens.
func (s *testServer) verify(t *testing.T, mfaToken, code string) tokens {
	t.Helper()
	p := ok(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mfaToken, "c": code}))["verifyMfa"].(map[string]any)
	if p["mfaRequired"] != false || p["mfaToken"] != nil || p["fresh"] != true {
		t.Fatalf("verifyMfa = %v", p)
	}
	return tokens{p["accessToken"].(string), p["refreshToken"].(string)}
}

// storeOf opens the server's database, for what only it can show (the
// stored secret) or do (age a challenge).
func storeOf(t *testing.T, dbURL string) *db.Store {
	t.Helper()
	store, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// auditTypes lists the types of a user's audit events, newest first, as
// an admin reads them.
func (s *testServer) auditTypes(t *testing.T, adminToken, userID string) []string {
	t.Helper()
	d := ok(t, s.do(t, adminToken, `query($u: ID) { auditEvents(first: 100, userId: $u) { edges { node { type } } } }`,
		map[string]any{"u": userID}))
	var out []string
	for _, e := range d["auditEvents"].(map[string]any)["edges"].([]any) {
		out = append(out, e.(map[string]any)["node"].(map[string]any)["type"].(string))
	}
	return out
}

func TestMfaEnrollmentAndLogin(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		tk, _ := s.register(t, "alice@example.com", "password-123")
		wantAuthn(t, tk.access, "aal1", "pwd")
		// A second factor is for an account that proved its address:
		// otherwise whoever pre-registered someone's address could lock
		// its owner out with a factor of their own (@verified).
		wantErr(t, s.do(t, tk.access, enrollQ, nil), "EMAIL_NOT_VERIFIED", "")
		s.markVerified(t, tk.access, "alice@example.com")
		if me := ok(t, s.do(t, tk.access, `{ me { mfaEnabled } }`, nil))["me"].(map[string]any); me["mfaEnabled"] != false {
			t.Fatalf("me = %v", me)
		}

		// Enrollment: the secret three ways, none in force until confirmed.
		e := ok(t, s.do(t, tk.access, enrollQ, nil))["enrollTotp"].(map[string]any)
		secret := e["secret"].(string)
		if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) {
			t.Fatalf("secret = %q, want 160 bits in base32", secret)
		}
		u, err := url.Parse(e["uri"].(string))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/gqlauth:alice@example.com" || q.Get("secret") != secret ||
			q.Get("issuer") != "gqlauth" || q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Fatalf("uri = %s", u)
		}
		svg := e["qrSvg"].(string)
		var doc struct {
			XMLName xml.Name
			ViewBox string `xml:"viewBox,attr"`
		}
		if err := xml.Unmarshal([]byte(svg), &doc); err != nil || doc.XMLName.Local != "svg" || doc.XMLName.Space != "http://www.w3.org/2000/svg" || doc.ViewBox == "" {
			t.Fatalf("qrSvg is not an SVG document (%v): %.200s", err, svg)
		}
		s.login(t, "alice@example.com", "password-123") // a pending factor changes nothing

		// The secret is stored sealed, never as itself.
		var stored string
		if err := storeOf(t, dbURL).DB().Get(&stored, `SELECT secret_enc FROM totp_factors`); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToUpper(stored), secret) || !strings.HasPrefix(stored, "v1.") {
			t.Fatalf("stored secret %q is not sealed", stored)
		}

		wantCodeErr(t, s.do(t, tk.access, confirmQ, map[string]any{"c": "000000x"}))
		now := time.Now()
		wrong := totpAt(t, secret, now.Add(-5*time.Minute))
		wantCodeErr(t, s.do(t, tk.access, confirmQ, map[string]any{"c": wrong}))
		first := totpAt(t, secret, now)
		codes := ok(t, s.do(t, tk.access, confirmQ, map[string]any{"c": first}))["confirmTotp"].([]any)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if !regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){3}$`).MatchString(c.(string)) || seen[c.(string)] {
				t.Fatalf("recovery codes = %v", codes)
			}
			seen[c.(string)] = true
		}
		wantCodeErr(t, s.do(t, tk.access, confirmQ, map[string]any{"c": totpAt(t, secret, now.Add(30*time.Second))}))
		if me := ok(t, s.do(t, tk.access, `{ me { mfaEnabled } }`, nil))["me"].(map[string]any); me["mfaEnabled"] != true {
			t.Fatalf("me = %v", me)
		}

		// Login: the password opens no session, only the second step.
		mt := s.firstStep(t, "alice@example.com", "password-123")
		sessions := func(tok string) int {
			return len(ok(t, s.do(t, tok, `{ mySessions { id } }`, nil))["mySessions"].([]any))
		}
		if n := sessions(tk.access); n != 2 { // registration and the login before confirmation
			t.Fatalf("%d sessions after the first step, want 2", n)
		}
		wantCodeErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": first}))                                      // replay of the confirming code
		wantCodeErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": wrong}))                                      // wrong
		wantCodeErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": totpAt(t, secret, now.Add(90*time.Second))})) // beyond the skew
		otpLogin := s.verify(t, mt, totpAt(t, secret, now.Add(30*time.Second)))                                           // a wrong code left mt usable
		wantAuthn(t, otpLogin.access, "aal2", "pwd", "otp")
		wantAuthn(t, otpLogin.refresh, "aal2", "pwd", "otp")
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": totpAt(t, secret, now.Add(30*time.Second))}), "UNAUTHENTICATED", "TOKEN_INVALID")
		if n := sessions(tk.access); n != 3 {
			t.Fatalf("%d sessions after verifyMfa, want 3", n)
		}

		// A refresh keeps how the session was opened.
		r := ok(t, s.refresh(t, otpLogin.refresh))["refresh"].(map[string]any)
		wantAuthn(t, r["accessToken"].(string), "aal2", "pwd", "otp")
		wantAuthn(t, r["refreshToken"].(string), "aal2", "pwd", "otp")
		if n := ok(t, s.do(t, r["accessToken"].(string), remainingQ, nil))["recoveryCodesRemaining"]; n != float64(10) {
			t.Fatalf("recoveryCodesRemaining = %v", n)
		}

		// A recovery code, in any case and spacing, once.
		rc := codes[0].(string)
		recLogin := s.verify(t, s.firstStep(t, "alice@example.com", "password-123"), " "+strings.ToUpper(strings.ReplaceAll(rc, "-", " "))+" ")
		wantAuthn(t, recLogin.access, "aal2", "pwd", "recovery")
		wantCodeErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": s.firstStep(t, "alice@example.com", "password-123"), "c": rc}))
		if n := ok(t, s.do(t, recLogin.access, remainingQ, nil))["recoveryCodesRemaining"]; n != float64(9) {
			t.Fatalf("recoveryCodesRemaining = %v", n)
		}

		// Regenerating replaces every code.
		fresh := ok(t, s.do(t, recLogin.access, regenerateQ, map[string]any{"c": codes[1].(string)}))["regenerateRecoveryCodes"].([]any)
		if len(fresh) != 10 || slices.Contains(fresh, codes[2]) {
			t.Fatalf("regenerated = %v", fresh)
		}
		wantCodeErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": s.firstStep(t, "alice@example.com", "password-123"), "c": codes[2].(string)}))
		newLogin := s.verify(t, s.firstStep(t, "alice@example.com", "password-123"), fresh[0].(string))

		// Disabling takes a code and ends the other sessions.
		wantCodeErr(t, s.do(t, newLogin.access, disableQ, map[string]any{"c": fresh[0].(string)}))
		if d := ok(t, s.do(t, newLogin.access, disableQ, map[string]any{"c": fresh[1].(string)})); d["disableTotp"] != true {
			t.Fatalf("disableTotp = %v", d)
		}
		wantErr(t, s.me(t, otpLogin.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		wantErr(t, s.me(t, tk.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		if me := ok(t, s.do(t, newLogin.access, `{ me { mfaEnabled } }`, nil))["me"].(map[string]any); me["mfaEnabled"] != false {
			t.Fatalf("me = %v", me)
		}
		again, _ := s.login(t, "alice@example.com", "password-123")
		wantAuthn(t, again.access, "aal1", "pwd")

		// Each step is in the audit log.
		s.cli(t, "admin-password-1\n", "user", "create", "--email", "boss@example.com", "--role", "ADMIN")
		admin, _ := s.login(t, "boss@example.com", "admin-password-1")
		types := strings.Join(s.auditTypes(t, admin.access, jwtClaims(t, tk.access)["sub"].(string)), " ")
		for _, want := range []string{"mfa_enabled", "mfa_challenged", "recovery_code_used", "recovery_codes_regenerated", "mfa_disabled", "login_failed"} {
			if !strings.Contains(types, want) {
				t.Errorf("audit log lacks %s: %s", want, types)
			}
		}
	})
}

// TestMfaCodeAcceptedOnce: of two logins racing with one code, exactly one
// gets a session; so does exactly one of two racing uses of one mfaToken.
func TestMfaCodeAcceptedOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		u := s.enroll(t, "race@example.com")
		code := totpAt(t, u.secret, u.step.Add(30*time.Second))
		race := func(a, b map[string]any) (wins int, losers []*gqlResponse) {
			var wg sync.WaitGroup
			out := make([]*gqlResponse, 2)
			for i, v := range []map[string]any{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := tryDo(s.URL, "", verifyMfaQ, v)
					if err != nil {
						t.Error(err)
						return
					}
					out[i] = r
				}()
			}
			wg.Wait()
			for _, r := range out {
				if r != nil && len(r.Errors) == 0 {
					wins++
				} else if r != nil {
					losers = append(losers, r)
				}
			}
			return wins, losers
		}
		t1, t2 := s.firstStep(t, u.email, u.password), s.firstStep(t, u.email, u.password)
		wins, losers := race(map[string]any{"t": t1, "c": code}, map[string]any{"t": t2, "c": code})
		if wins != 1 || len(losers) != 1 {
			t.Fatalf("one code: %d logins succeeded, want 1", wins)
		}
		wantCodeErr(t, losers[0])

		t3 := s.firstStep(t, u.email, u.password)
		wins, losers = race(map[string]any{"t": t3, "c": u.recovery[0]}, map[string]any{"t": t3, "c": u.recovery[1]})
		if wins != 1 || len(losers) != 1 {
			t.Fatalf("one mfaToken: %d logins succeeded, want 1", wins)
		}
		wantErr(t, losers[0], "UNAUTHENTICATED", "TOKEN_INVALID")
		// The loser's recovery code was not spent with it.
		if n := ok(t, s.do(t, s.verify(t, s.firstStep(t, u.email, u.password), u.recovery[2]).access, remainingQ, nil))["recoveryCodesRemaining"]; n != float64(8) {
			t.Fatalf("recoveryCodesRemaining = %v, want 8", n)
		}
	})
}

// TestMfaThrottle: wrong codes count against the account, and neither a
// right code nor a new login gets past the limit until the window ends.
func TestMfaThrottle(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"RATE_LIMIT_ACCOUNT": "3"}))
		u := s.enroll(t, "guessed@example.com")
		mt := s.firstStep(t, u.email, u.password)
		for i := range 3 {
			wantCodeErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": "00000" + itoa(i)}))
		}
		good := totpAt(t, u.secret, u.step.Add(30*time.Second))
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": good}), "RATE_LIMITED", "")
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": s.firstStep(t, u.email, u.password), "c": good}), "RATE_LIMITED", "")
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": s.firstStep(t, u.email, u.password), "c": u.recovery[0]}), "RATE_LIMITED", "")
		// Another account is not affected.
		other := s.enroll(t, "other@example.com")
		s.verify(t, s.firstStep(t, other.email, other.password), other.recovery[0])
	})
}

// TestMfaTokenLife: an mfaToken is for verifyMfa only, expires, and is
// refused when unknown.
func TestMfaTokenLife(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		u := s.enroll(t, "slow@example.com")
		mt := s.firstStep(t, u.email, u.password)
		wantErr(t, s.me(t, mt), "UNAUTHENTICATED", "TOKEN_INVALID")                                                                       // not an access token
		wantErr(t, s.refresh(t, mt), "UNAUTHENTICATED", "TOKEN_INVALID")                                                                  // nor a refresh token
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": u.tokens.access, "c": u.recovery[0]}), "UNAUTHENTICATED", "TOKEN_INVALID") // nor the reverse
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt + "x", "c": u.recovery[0]}), "UNAUTHENTICATED", "TOKEN_INVALID")
		if _, err := storeOf(t, dbURL).DB().Exec(`UPDATE mfa_challenges SET expires_at = created_at`); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": u.recovery[0]}), "UNAUTHENTICATED", "TOKEN_EXPIRED")
		// The refused attempts spent nothing: the code still works.
		s.verify(t, s.firstStep(t, u.email, u.password), u.recovery[0])
	})
}

// TestMfaStepUp: @mfa, and REQUIRE_ADMIN_MFA on every admin field, both
// ways.
func TestMfaStepUp(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"REQUIRE_ADMIN_MFA": "true"}))
		s.cli(t, "admin-password-1\n", "user", "create", "--email", "boss@example.com", "--role", "ADMIN")
		s.cli(t, "", "user", "list") // the operator is exempt
		const usersQ = `{ users(first: 5) { edges { node { email } } } }`
		const statsQ = `{ adminStats { users } }`

		// An admin without a factor is sent to enroll, on reads and changes.
		boss, p := s.login(t, "boss@example.com", "admin-password-1")
		bossID := p["user"].(map[string]any)["id"].(string)
		s.markVerified(t, boss.access, "boss@example.com")
		wantErr(t, s.do(t, boss.access, usersQ, nil), "MFA_ENROLLMENT_REQUIRED", "")
		wantErr(t, s.do(t, boss.access, statsQ, nil), "MFA_ENROLLMENT_REQUIRED", "")
		wantErr(t, s.do(t, boss.access, resetMfaQ, map[string]any{"id": bossID}), "MFA_ENROLLMENT_REQUIRED", "")
		// @mfa (not an admin field) says MFA_REQUIRED, as the schema's contract has it.
		wantErr(t, s.do(t, boss.access, remainingQ, nil), "MFA_REQUIRED", "")

		// With a factor but a password-only token: log in with it.
		e := ok(t, s.do(t, boss.access, enrollQ, nil))["enrollTotp"].(map[string]any)
		now := time.Now()
		ok(t, s.do(t, boss.access, confirmQ, map[string]any{"c": totpAt(t, e["secret"].(string), now)}))
		wantErr(t, s.do(t, boss.access, usersQ, nil), "MFA_REQUIRED", "")
		wantErr(t, s.do(t, boss.access, remainingQ, nil), "MFA_REQUIRED", "")
		aal2 := s.verify(t, s.firstStep(t, "boss@example.com", "admin-password-1"), totpAt(t, e["secret"].(string), now.Add(30*time.Second)))
		ok(t, s.do(t, aal2.access, usersQ, nil))
		ok(t, s.do(t, aal2.access, statsQ, nil))
		if n := ok(t, s.do(t, aal2.access, remainingQ, nil))["recoveryCodesRemaining"]; n != float64(10) {
			t.Fatalf("recoveryCodesRemaining = %v", n)
		}
		// Refreshed, the token keeps aal2 but is no longer fresh.
		ref := ok(t, s.refresh(t, aal2.refresh))["refresh"].(map[string]any)["accessToken"].(string)
		ok(t, s.do(t, ref, usersQ, nil))
		wantErr(t, s.do(t, ref, statsQ, nil), "FRESH_TOKEN_REQUIRED", "")

		// A USER is refused for the role, not asked for a factor.
		user, _ := s.register(t, "user@example.com", "password-123")
		wantErr(t, s.do(t, user.access, usersQ, nil), "FORBIDDEN", "")

		// The other way: without REQUIRE_ADMIN_MFA a password-only admin
		// works, while @mfa still demands the factor.
		s2 := startServer(t, testEnv(dbURL, map[string]string{"REQUIRE_ADMIN_MFA": "false"}))
		s2.cli(t, "admin-password-2\n", "user", "create", "--email", "boss2@example.com", "--role", "ADMIN")
		boss2, _ := s2.login(t, "boss2@example.com", "admin-password-2")
		ok(t, s2.do(t, boss2.access, usersQ, nil))
		ok(t, s2.do(t, boss2.access, statsQ, nil))
		wantErr(t, s2.do(t, boss2.access, remainingQ, nil), "MFA_REQUIRED", "")
	})
}

// TestMfaAdminAndCLIReset: for a user who lost the device, an admin (or
// the operator) removes the factor; the user's sessions end and the
// password alone logs in again.
func TestMfaAdminAndCLIReset(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		s.cli(t, "admin-password-1\n", "user", "create", "--email", "boss@example.com", "--role", "ADMIN")
		admin, _ := s.login(t, "boss@example.com", "admin-password-1")
		u := s.enroll(t, "lost@example.com")
		session := s.verify(t, s.firstStep(t, u.email, u.password), u.recovery[0])

		other, _ := s.register(t, "mallory@example.com", "password-123")
		wantErr(t, s.do(t, other.access, resetMfaQ, map[string]any{"id": u.id}), "FORBIDDEN", "")
		if e := wantErr(t, s.do(t, admin.access, resetMfaQ, map[string]any{"id": "nope"}), "BAD_USER_INPUT", ""); e.Extensions["field"] != "userId" {
			t.Fatalf("field = %v", e.Extensions["field"])
		}
		r := ok(t, s.do(t, admin.access, resetMfaQ, map[string]any{"id": u.id}))["resetUserMfa"].(map[string]any)
		if r["id"] != u.id || r["mfaEnabled"] != false {
			t.Fatalf("resetUserMfa = %v", r)
		}
		wantErr(t, s.me(t, session.access), "UNAUTHENTICATED", "TOKEN_REVOKED")
		tk, _ := s.login(t, u.email, u.password)
		wantAuthn(t, tk.access, "aal1", "pwd")
		if types := s.auditTypes(t, admin.access, u.id); types[0] != "login_succeeded" || types[1] != "mfa_reset" {
			t.Fatalf("audit = %v", types)
		}

		// Enrolled again, then reset from the command line.
		e := ok(t, s.do(t, tk.access, enrollQ, nil))["enrollTotp"].(map[string]any)
		codes := ok(t, s.do(t, tk.access, confirmQ, map[string]any{"c": totpAt(t, e["secret"].(string), time.Now())}))["confirmTotp"].([]any)
		s.firstStep(t, u.email, u.password)
		if out := s.cli(t, "", "user", "reset-mfa", "--email", "LOST@example.com"); !strings.Contains(out, "removed the second factor of lost@example.com") {
			t.Fatalf("reset-mfa said %q", out)
		}
		eventually(t, func() *gqlResponse { return s.me(t, tk.access) }, failsWith("UNAUTHENTICATED"))
		again, _ := s.login(t, u.email, u.password)
		wantAuthn(t, again.access, "aal1", "pwd")
		// The old recovery codes went with the factor.
		var left int
		if err := storeOf(t, dbURL).DB().Get(&left, `SELECT COUNT(*) FROM recovery_codes`); err != nil || left != 0 {
			t.Fatalf("%d recovery codes left after the reset (%v); had %d", left, err, len(codes))
		}
	})
}

// testMfaKey is an MFA_ENCRYPTION_KEY for production-mode test servers.
const testMfaKey = "a-test-mfa-encryption-key-of-enough-bytes"

// TestMfaConfig: production demands its own encryption key for TOTP
// secrets, and requires a second factor of admins unless told otherwise.
func TestMfaConfig(t *testing.T) {
	prod := map[string]string{"APP_ENV": "production", "JWT_SECRET": "a-production-secret-that-is-long-enough", "SMTP_URL": prodSMTP, "APP_URL": prodAppURL,
		"WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL}
	if _, err := loadConfig(getenvFrom(prod)); err == nil || !strings.Contains(err.Error(), "MFA_ENCRYPTION_KEY: required when APP_ENV=production") {
		t.Fatalf("production without MFA_ENCRYPTION_KEY: %v", err)
	}
	prod["MFA_ENCRYPTION_KEY"] = "short"
	if _, err := loadConfig(getenvFrom(prod)); err == nil || !strings.Contains(err.Error(), "MFA_ENCRYPTION_KEY: must be at least 32 bytes") {
		t.Fatalf("short MFA_ENCRYPTION_KEY: %v", err)
	}
	prod["MFA_ENCRYPTION_KEY"] = testMfaKey
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{prod, true},
		{map[string]string{}, false},
		{map[string]string{"REQUIRE_ADMIN_MFA": "true"}, true},
		{map[string]string{"APP_ENV": "production", "JWT_SECRET": prod["JWT_SECRET"], "SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey, "WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL, "REQUIRE_ADMIN_MFA": "false"}, false},
	} {
		c, err := loadConfig(getenvFrom(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.Mfa.RequireAdmin != tc.want || c.Mfa.Issuer != "gqlauth" {
			t.Errorf("%v: REQUIRE_ADMIN_MFA %v (issuer %q), want %v", tc.env, c.Mfa.RequireAdmin, c.Mfa.Issuer, tc.want)
		}
	}
}

// TestMfaSecretNeedsItsKey: a sealed secret opens only under the key it
// was sealed with, and the issuer is TOTP_ISSUER: a server with another
// MFA_ENCRYPTION_KEY cannot check the codes of an enrolled user.
func TestMfaSecretNeedsItsKey(t *testing.T) {
	dbURL := sqliteURL(t)
	s := startServer(t, testEnv(dbURL, map[string]string{"MFA_ENCRYPTION_KEY": testMfaKey, "TOTP_ISSUER": "Example App"}))
	tk, _ := s.register(t, "keyed@example.com", "password-123")
	s.markVerified(t, tk.access, "keyed@example.com")
	e := ok(t, s.do(t, tk.access, enrollQ, nil))["enrollTotp"].(map[string]any)
	if !strings.HasPrefix(e["uri"].(string), "otpauth://totp/Example%20App:keyed@example.com?") || !strings.Contains(e["uri"].(string), "issuer=Example%20App") {
		t.Fatalf("uri = %s", e["uri"])
	}
	now := time.Now()
	ok(t, s.do(t, tk.access, confirmQ, map[string]any{"c": totpAt(t, e["secret"].(string), now)}))

	other := startServer(t, testEnv(dbURL, map[string]string{"MFA_ENCRYPTION_KEY": testMfaKey + "-other"}))
	mt := other.firstStep(t, "keyed@example.com", "password-123")
	wantErr(t, other.do(t, "", verifyMfaQ, map[string]any{"t": mt, "c": totpAt(t, e["secret"].(string), now.Add(30*time.Second))}), "INTERNAL_SERVER_ERROR", "")
	s.verify(t, mt, totpAt(t, e["secret"].(string), now.Add(30*time.Second)))
}
