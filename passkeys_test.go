package main

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/passkey/passkeytest"
)

// Passkeys through the real server, with a software authenticator that
// signs as a browser and a platform authenticator would
// (passkey/passkeytest): registration, logins with and without an address,
// the second step after a password, and each way a credential can be
// wrong.

const (
	beginPkRegQ    = `mutation { beginPasskeyRegistration { challengeId options } }`
	finishPkRegQ   = `mutation($c: ID!, $cr: JSON!, $n: String) { finishPasskeyRegistration(challengeId: $c, credential: $cr, name: $n) { id name createdAt lastUsedAt } }`
	beginPkLoginQ  = `mutation($e: String) { beginPasskeyLogin(email: $e) { challengeId options } }`
	finishPkLoginQ = `mutation($c: ID!, $cr: JSON!) { finishPasskeyLogin(challengeId: $c, credential: $cr) { ` + mfaPayload + ` } }`
	verifyPkQ      = `mutation($t: String!, $c: ID!, $cr: JSON!) { verifyMfaPasskey(mfaToken: $t, challengeId: $c, credential: $cr) { ` + mfaPayload + ` } }`
	renamePkQ      = `mutation($id: ID!, $n: String!) { renamePasskey(id: $id, name: $n) { id name } }`
	deletePkQ      = `mutation($id: ID!) { deletePasskey(id: $id) }`
	myPasskeysQ    = `{ me { passkeys { id name createdAt lastUsedAt } } }`
)

// testOrigin is where test servers allow passkeys by default: APP_URL's
// origin (http://localhost:5173, the example app's dev server) on the
// default RP ID, localhost.
const testOrigin = "http://localhost:5173"

// newAuthenticator is a platform authenticator in a browser on testOrigin.
func newAuthenticator() *passkeytest.Authenticator {
	return &passkeytest.Authenticator{Origin: testOrigin}
}

// challenge is a begun ceremony's answer.
type challenge struct {
	id      string
	options map[string]any
}

func challengeOf(t *testing.T, r *gqlResponse, field string) challenge {
	t.Helper()
	c := ok(t, r)[field].(map[string]any)
	return challenge{id: c["challengeId"].(string), options: c["options"].(map[string]any)}
}

// addPasskey registers a new passkey of a on the account of token (fresh,
// verified) and returns its id and credential.
func (s *testServer) addPasskey(t *testing.T, token string, a *passkeytest.Authenticator, name string) (string, *passkeytest.Credential) {
	t.Helper()
	c := challengeOf(t, s.do(t, token, beginPkRegQ, nil), "beginPasskeyRegistration")
	cred, key, err := a.Create(c.options)
	if err != nil {
		t.Fatal(err)
	}
	pk := ok(t, s.do(t, token, finishPkRegQ, map[string]any{"c": c.id, "cr": cred, "n": name}))["finishPasskeyRegistration"].(map[string]any)
	return pk["id"].(string), key
}

// beginPkLogin starts a passkey login, for email unless it is "".
func (s *testServer) beginPkLogin(t *testing.T, email string) challenge {
	t.Helper()
	vars := map[string]any{}
	if email != "" {
		vars["e"] = email
	}
	return challengeOf(t, s.do(t, "", beginPkLoginQ, vars), "beginPasskeyLogin")
}

// assert makes a's assertion (of cred, or the one the options pick).
func assert(t *testing.T, a *passkeytest.Authenticator, c challenge, cred *passkeytest.Credential) map[string]any {
	t.Helper()
	out, err := a.Get(c.options, cred)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *testServer) finishPkLogin(t *testing.T, c challenge, credential map[string]any) *gqlResponse {
	t.Helper()
	return s.do(t, "", finishPkLoginQ, map[string]any{"c": c.id, "cr": credential})
}

// passkeyLogin logs in with a's passkey (for email, or discoverable).
func (s *testServer) passkeyLogin(t *testing.T, a *passkeytest.Authenticator, email string) (tokens, map[string]any) {
	t.Helper()
	c := s.beginPkLogin(t, email)
	return payload(t, ok(t, s.finishPkLogin(t, c, assert(t, a, c, nil))), "finishPasskeyLogin")
}

// wantCredentialErr fails unless r is BAD_USER_INPUT on "credential" for reason.
func wantCredentialErr(t *testing.T, r *gqlResponse, reason string) {
	t.Helper()
	if e := wantErr(t, r, "BAD_USER_INPUT", reason); e.Extensions["field"] != "credential" {
		t.Fatalf("field = %v, want credential", e.Extensions["field"])
	}
}

// auditRows lists a user's audit events as "type detail", oldest first.
func auditRows(t *testing.T, dbURL, userID string) []string {
	t.Helper()
	var rows []string
	err := storeOf(t, dbURL).DB().Select(&rows,
		storeOf(t, dbURL).DB().Rebind(`SELECT type || ' ' || detail FROM audit_events WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func hasRow(rows []string, prefix string) bool {
	return slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, prefix) })
}

func TestPasskeyRegistrationAndLogin(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		tk, p := s.register(t, "alice@example.com", "password-123")
		id := p["user"].(map[string]any)["id"].(string)

		// A passkey is for an account that proved its address (like a
		// TOTP factor: a squatter's passkey would outlive the takeover),
		// added with a fresh token.
		wantErr(t, s.do(t, tk.access, beginPkRegQ, nil), "EMAIL_NOT_VERIFIED", "")
		s.markVerified(t, tk.access, "alice@example.com")
		stale, _ := payload(t, ok(t, s.refresh(t, tk.refresh)), "refresh")
		wantErr(t, s.do(t, stale.access, beginPkRegQ, nil), "FRESH_TOKEN_REQUIRED", "")
		wantErr(t, s.do(t, "", beginPkRegQ, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
		tk, _ = s.login(t, "alice@example.com", "password-123")

		// The options are the bare PublicKeyCredentialCreationOptionsJSON.
		c := challengeOf(t, s.do(t, tk.access, beginPkRegQ, nil), "beginPasskeyRegistration")
		o := c.options
		if _, wrapped := o["publicKey"]; wrapped {
			t.Fatalf("options wrapped in publicKey: %v", o)
		}
		rp, user, sel := o["rp"].(map[string]any), o["user"].(map[string]any), o["authenticatorSelection"].(map[string]any)
		if rp["id"] != "localhost" || rp["name"] != "gqlauth" || user["id"] != base64.RawURLEncoding.EncodeToString([]byte(id)) ||
			user["name"] != "alice@example.com" || sel["residentKey"] != "required" || sel["userVerification"] != "required" ||
			o["timeout"] != float64(300000) || o["excludeCredentials"] != nil {
			t.Fatalf("creation options = %v", o)
		}
		if ch, err := base64.RawURLEncoding.DecodeString(o["challenge"].(string)); err != nil || len(ch) < 16 {
			t.Fatalf("challenge = %v", o["challenge"])
		}
		a := newAuthenticator()
		cred, key, err := a.Create(o)
		if err != nil {
			t.Fatal(err)
		}
		pk := ok(t, s.do(t, tk.access, finishPkRegQ, map[string]any{"c": c.id, "cr": cred, "n": "  Laptop "}))["finishPasskeyRegistration"].(map[string]any)
		if pk["name"] != "Laptop" || pk["lastUsedAt"] != nil {
			t.Fatalf("passkey = %v", pk)
		}
		pkID := pk["id"].(string)
		// The challenge is spent, whatever comes next.
		wantCredentialErr(t, s.do(t, tk.access, finishPkRegQ, map[string]any{"c": c.id, "cr": cred}), "CHALLENGE_INVALID")
		// A second registration excludes the first passkey, so that the
		// authenticator does not make a duplicate.
		again := challengeOf(t, s.do(t, tk.access, beginPkRegQ, nil), "beginPasskeyRegistration")
		ex := again.options["excludeCredentials"].([]any)
		if len(ex) != 1 || ex[0].(map[string]any)["id"] != key.IDString() {
			t.Fatalf("excludeCredentials = %v", ex)
		}

		// Log in with the address: the options list the passkey.
		c = s.beginPkLogin(t, "Alice@Example.com")
		allow := c.options["allowCredentials"].([]any)
		if len(allow) != 1 || allow[0].(map[string]any)["id"] != key.IDString() || c.options["rpId"] != "localhost" ||
			c.options["userVerification"] != "required" {
			t.Fatalf("request options = %v", c.options)
		}
		r := s.finishPkLogin(t, c, assert(t, a, c, nil))
		byEmail, bp := payload(t, ok(t, r), "finishPasskeyLogin")
		if bp["fresh"] != true || bp["mfaRequired"] != false || bp["user"].(map[string]any)["id"] != id {
			t.Fatalf("finishPasskeyLogin = %v", bp)
		}
		// A passkey login is aal2: it satisfies @mfa.
		wantAuthn(t, byEmail.access, "aal2", "hwk")
		wantAuthn(t, byEmail.refresh, "aal2", "hwk")
		ok(t, s.do(t, byEmail.access, remainingQ, nil))
		wantErr(t, s.do(t, tk.access, remainingQ, nil), "MFA_REQUIRED", "")

		// And without an address: any discoverable passkey may answer.
		c = s.beginPkLogin(t, "")
		if c.options["allowCredentials"] != nil {
			t.Fatalf("discoverable options = %v", c.options)
		}
		anon, _ := payload(t, ok(t, s.finishPkLogin(t, c, assert(t, a, c, nil))), "finishPasskeyLogin")
		wantAuthn(t, anon.access, "aal2", "hwk")
		// A refresh keeps how the session's login was made.
		refreshed, _ := payload(t, ok(t, s.refresh(t, anon.refresh)), "refresh")
		wantAuthn(t, refreshed.access, "aal2", "hwk")

		list := ok(t, s.do(t, anon.access, myPasskeysQ, nil))["me"].(map[string]any)["passkeys"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != pkID || list[0].(map[string]any)["lastUsedAt"] == nil {
			t.Fatalf("passkeys = %v", list)
		}
		var count int64
		if err := storeOf(t, dbURL).DB().Get(&count, `SELECT sign_count FROM passkeys`); err != nil || count != 2 || key.Count != 2 {
			t.Fatalf("stored counter = %d (%v), authenticator's %d", count, err, key.Count)
		}

		// Renaming needs a session only; names are checked.
		if got := ok(t, s.do(t, stale.access, renamePkQ, map[string]any{"id": pkID, "n": "Phone"}))["renamePasskey"].(map[string]any); got["name"] != "Phone" {
			t.Fatalf("renamePasskey = %v", got)
		}
		if e := wantErr(t, s.do(t, stale.access, renamePkQ, map[string]any{"id": pkID, "n": " "}), "BAD_USER_INPUT", ""); e.Extensions["field"] != "name" {
			t.Fatalf("empty name: %v", e)
		}
		if e := wantErr(t, s.do(t, stale.access, renamePkQ, map[string]any{"id": pkID, "n": strings.Repeat("x", 65)}), "BAD_USER_INPUT", ""); e.Extensions["field"] != "name" {
			t.Fatalf("long name: %v", e)
		}

		// Another account sees none of it: not in its list, not renamable,
		// not deletable (the same answer as an id that does not exist).
		bob, _ := s.register(t, "bob@example.com", "password-123")
		if l := ok(t, s.do(t, bob.access, myPasskeysQ, nil))["me"].(map[string]any)["passkeys"].([]any); len(l) != 0 {
			t.Fatalf("bob's passkeys = %v", l)
		}
		for _, q := range []struct {
			q    string
			vars map[string]any
		}{{renamePkQ, map[string]any{"id": pkID, "n": "mine"}}, {deletePkQ, map[string]any{"id": pkID}}} {
			if e := wantErr(t, s.do(t, bob.access, q.q, q.vars), "BAD_USER_INPUT", ""); e.Extensions["field"] != "id" {
				t.Fatalf("bob: %v", e)
			}
		}

		// Deleting needs a fresh token, ends no session, and is audited.
		wantErr(t, s.do(t, refreshed.access, deletePkQ, map[string]any{"id": pkID}), "FRESH_TOKEN_REQUIRED", "")
		if d := ok(t, s.do(t, anon.access, deletePkQ, map[string]any{"id": pkID})); d["deletePasskey"] != true {
			t.Fatalf("deletePasskey = %v", d)
		}
		ok(t, s.me(t, anon.access))
		ok(t, s.me(t, byEmail.access))
		c = s.beginPkLogin(t, "")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "CREDENTIAL_UNKNOWN")

		rows := auditRows(t, dbURL, id)
		for _, want := range []string{"passkey_registered passkey " + pkID, "login_succeeded with passkey " + pkID, "passkey_deleted passkey " + pkID} {
			if !hasRow(rows, want) {
				t.Errorf("audit %v lacks %q", rows, want)
			}
		}
	})
}

// The ways a credential can be wrong, each refused with its reason, and
// the attacks they stand for.
func TestPasskeyRefusals(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		tk, p := s.register(t, "alice@example.com", "password-123")
		aliceID := p["user"].(map[string]any)["id"].(string)
		s.markVerified(t, tk.access, "alice@example.com")
		a := newAuthenticator()
		_, key := s.addPasskey(t, tk.access, a, "Laptop")

		// Replay: an assertion answers one challenge, once. Sent again
		// with its challenge, the challenge is spent; with a new one, it
		// signed the old.
		c := s.beginPkLogin(t, "")
		asn := assert(t, a, c, key)
		ok(t, s.finishPkLogin(t, c, asn))
		wantCredentialErr(t, s.finishPkLogin(t, c, asn), "CHALLENGE_INVALID")
		wantCredentialErr(t, s.finishPkLogin(t, s.beginPkLogin(t, ""), asn), "CHALLENGE_MISMATCH")

		// A page on another origin (a phishing site relaying the
		// ceremony) is refused, whatever it signed.
		a.Origin = "https://evil.example"
		c = s.beginPkLogin(t, "alice@example.com")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "ORIGIN_MISMATCH")
		a.Origin = "http://localhost:9999"
		c = s.beginPkLogin(t, "")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "ORIGIN_MISMATCH")
		a.Origin = testOrigin
		// An assertion scoped to another RP ID.
		a.RPID = "example.com"
		c = s.beginPkLogin(t, "")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "RP_ID_MISMATCH")
		a.RPID = ""
		// No user verification: a passkey alone must prove the person.
		a.SkipUserVerification = true
		c = s.beginPkLogin(t, "")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "USER_VERIFICATION_REQUIRED")
		a.SkipUserVerification = false
		// A forged signature.
		c = s.beginPkLogin(t, "")
		asn = assert(t, a, c, key)
		resp := asn["response"].(map[string]any)
		sig, _ := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
		sig[len(sig)-1] ^= 1
		resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
		wantCredentialErr(t, s.finishPkLogin(t, c, asn), "SIGNATURE_INVALID")
		// What is not a login's credential.
		c = s.beginPkLogin(t, "")
		wantCredentialErr(t, s.finishPkLogin(t, c, map[string]any{"id": "x", "type": "public-key"}), "CREDENTIAL_INVALID")
		// The user handle names the passkey's account, or it is refused
		// (it is outside the signature).
		bob, bp := s.register(t, "bob@example.com", "password-123")
		bobID := bp["user"].(map[string]any)["id"].(string)
		c = s.beginPkLogin(t, "")
		asn = assert(t, a, c, key)
		asn["response"].(map[string]any)["userHandle"] = base64.RawURLEncoding.EncodeToString([]byte(bobID))
		wantCredentialErr(t, s.finishPkLogin(t, c, asn), "CREDENTIAL_INVALID")

		// A challenge lives five minutes.
		c = s.beginPkLogin(t, "alice@example.com")
		if _, err := storeOf(t, dbURL).DB().Exec(storeOf(t, dbURL).DB().Rebind(
			`UPDATE passkey_challenges SET expires_at = created_at WHERE id = ?`), c.id); err != nil {
			t.Fatal(err)
		}
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "CHALLENGE_EXPIRED")
		// A challenge is for its ceremony: a registration's cannot finish
		// a login, nor a login's a registration.
		reg := challengeOf(t, s.do(t, tk.access, beginPkRegQ, nil), "beginPasskeyRegistration")
		wantCredentialErr(t, s.finishPkLogin(t, reg, assert(t, a, s.beginPkLogin(t, ""), key)), "CHALLENGE_INVALID")
		c = s.beginPkLogin(t, "")
		other := newAuthenticator()
		cred, _, err := other.Create(challengeOf(t, s.do(t, tk.access, beginPkRegQ, nil), "beginPasskeyRegistration").options)
		if err != nil {
			t.Fatal(err)
		}
		wantCredentialErr(t, s.do(t, tk.access, finishPkRegQ, map[string]any{"c": c.id, "cr": cred}), "CHALLENGE_INVALID")
		// An unknown challenge id.
		wantCredentialErr(t, s.finishPkLogin(t, challenge{id: "no-such-challenge"}, assert(t, a, s.beginPkLogin(t, ""), key)), "CHALLENGE_INVALID")

		// Another user's challenge: Bob's registration cannot finish on
		// Alice's registration challenge, nor his passkey answer a login
		// begun for Alice's address.
		s.markVerified(t, bob.access, "bob@example.com")
		b := newAuthenticator()
		_, bobKey := s.addPasskey(t, bob.access, b, "Bob's")
		reg = challengeOf(t, s.do(t, tk.access, beginPkRegQ, nil), "beginPasskeyRegistration")
		cred, _, err = b.Create(reg.options)
		if err != nil {
			t.Fatal(err)
		}
		wantCredentialErr(t, s.do(t, bob.access, finishPkRegQ, map[string]any{"c": reg.id, "cr": cred}), "CHALLENGE_INVALID")
		c = s.beginPkLogin(t, "alice@example.com")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, b, c, bobKey)), "CHALLENGE_INVALID")
		if pks := ok(t, s.do(t, bob.access, myPasskeysQ, nil))["me"].(map[string]any)["passkeys"].([]any); len(pks) != 1 {
			t.Fatalf("bob's passkeys = %v", pks)
		}

		// A signature counter that goes back (a copy of the key in use
		// elsewhere) is refused and audited; the stored counter stays.
		var before int64
		store := storeOf(t, dbURL).DB()
		counter := store.Rebind(`SELECT sign_count FROM passkeys WHERE user_id = ?`)
		if err := store.Get(&before, counter, aliceID); err != nil {
			t.Fatal(err)
		}
		key.Count = 0
		c = s.beginPkLogin(t, "")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "COUNTER_REGRESSED")
		key.Count = uint32(before) - 1 // the same counter again
		c = s.beginPkLogin(t, "")
		wantCredentialErr(t, s.finishPkLogin(t, c, assert(t, a, c, key)), "COUNTER_REGRESSED")
		var after int64
		if err := store.Get(&after, counter, aliceID); err != nil || after != before {
			t.Fatalf("counter %d -> %d (%v)", before, after, err)
		}
		if rows := auditRows(t, dbURL, aliceID); !hasRow(rows, "passkey_counter_regressed") || !hasRow(rows, "login_failed passkey") {
			t.Fatalf("audit = %v", rows)
		}
		key.Count = uint32(before)
		c = s.beginPkLogin(t, "")
		ok(t, s.finishPkLogin(t, c, assert(t, a, c, key)))
	})
}

// beginPasskeyLogin tells no more about an address than WebAuthn itself
// does: an unknown address, a known one without passkeys and no address at
// all get the same options (a discoverable login, no credential listed);
// only an address with passkeys lists them, as a non-discoverable
// login must.
func TestPasskeyLoginEnumeration(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		tk, _ := s.register(t, "alice@example.com", "password-123")
		s.markVerified(t, tk.access, "alice@example.com")
		s.register(t, "bob@example.com", "password-123")
		s.addPasskey(t, tk.access, newAuthenticator(), "Laptop")

		shape := func(c challenge) string {
			var keys []string
			for k, v := range c.options {
				if k != "challenge" {
					keys = append(keys, k+"="+fmtJSON(v))
				}
			}
			slices.Sort(keys)
			return strings.Join(keys, " ")
		}
		none := shape(s.beginPkLogin(t, ""))
		for _, email := range []string{"nobody@example.com", "bob@example.com"} {
			if got := shape(s.beginPkLogin(t, email)); got != none {
				t.Errorf("beginPasskeyLogin(%s) = %s, want as without an address: %s", email, got, none)
			}
		}
		if strings.Contains(none, "allowCredentials") {
			t.Fatalf("discoverable options list credentials: %s", none)
		}
		if with := s.beginPkLogin(t, "alice@example.com"); with.options["allowCredentials"] == nil {
			t.Fatalf("options for an address with passkeys = %v", with.options)
		}
		wantErr(t, s.do(t, "", beginPkLoginQ, map[string]any{"e": "not an address"}), "BAD_USER_INPUT", "")
	})
}

// Passkey mutations are credential mutations: throttled per client, one
// per request, priced high.
func TestPasskeyThrottled(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"RATE_LIMIT_IP": "3"}))
	for range 3 {
		s.beginPkLogin(t, "")
	}
	if e := wantErr(t, s.do(t, "", beginPkLoginQ, nil), "RATE_LIMITED", ""); e.Extensions["retryAfter"] == nil {
		t.Fatalf("no retryAfter: %v", e)
	}
	wantErr(t, s.do(t, "", `mutation { a: beginPasskeyLogin { challengeId } b: beginPasskeyLogin { challengeId } }`, nil),
		"TOO_MANY_CREDENTIAL_MUTATIONS", "")
	wantErr(t, s.do(t, "", `mutation($c: ID!, $cr: JSON!) { a: finishPasskeyLogin(challengeId: $c, credential: $cr) { fresh }
		b: verifyMfaPasskey(mfaToken: "t", challengeId: $c, credential: $cr) { fresh } }`, map[string]any{"c": "x", "cr": map[string]any{}}),
		"TOO_MANY_CREDENTIAL_MUTATIONS", "")
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// With TOTP on, a passkey completes a password login's second step
// (verifyMfaPasskey): aal2 with amr [pwd hwk]. A passkey login alone skips
// both the password and the code.
func TestPasskeyAsSecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		u := s.enroll(t, "alice@example.com")
		a := newAuthenticator()
		_, key := s.addPasskey(t, u.tokens.access, a, "Laptop")
		bob, _ := s.register(t, "bob@example.com", "password-123")
		s.markVerified(t, bob.access, "bob@example.com")
		b := newAuthenticator()
		_, bobKey := s.addPasskey(t, bob.access, b, "Bob's")

		mfaToken := s.firstStep(t, u.email, u.password)
		verify := func(c challenge, cred map[string]any) *gqlResponse {
			return s.do(t, "", verifyPkQ, map[string]any{"t": mfaToken, "c": c.id, "cr": cred})
		}
		// Another account's passkey does not answer for Alice, nor does
		// a bad assertion; neither spends the mfaToken.
		c := s.beginPkLogin(t, "")
		wantCredentialErr(t, verify(c, assert(t, b, c, bobKey)), "CREDENTIAL_UNKNOWN")
		c = s.beginPkLogin(t, "bob@example.com")
		wantCredentialErr(t, verify(c, assert(t, a, c, key)), "CHALLENGE_INVALID")
		a.Origin = "https://evil.example"
		c = s.beginPkLogin(t, u.email)
		wantCredentialErr(t, verify(c, assert(t, a, c, key)), "ORIGIN_MISMATCH")
		a.Origin = testOrigin

		c = s.beginPkLogin(t, u.email)
		p := ok(t, verify(c, assert(t, a, c, key)))["verifyMfaPasskey"].(map[string]any)
		if p["mfaRequired"] != false || p["fresh"] != true {
			t.Fatalf("verifyMfaPasskey = %v", p)
		}
		wantAuthn(t, p["accessToken"].(string), "aal2", "pwd", "hwk")
		ok(t, s.do(t, p["accessToken"].(string), remainingQ, nil))
		// The mfaToken served one login.
		c = s.beginPkLogin(t, u.email)
		wantErr(t, verify(c, assert(t, a, c, key)), "UNAUTHENTICATED", "TOKEN_INVALID")
		wantErr(t, s.do(t, "", verifyPkQ, map[string]any{"t": "", "c": c.id, "cr": map[string]any{}}), "UNAUTHENTICATED", "TOKEN_MISSING")

		// A TOTP code still works for the second step.
		s.verify(t, s.firstStep(t, u.email, u.password), totpAt(t, u.secret, time.Now().Add(30*time.Second)))

		// And a passkey login needs neither password nor code.
		tk, _ := s.passkeyLogin(t, a, u.email)
		wantAuthn(t, tk.access, "aal2", "hwk")
		if rows := auditRows(t, dbURL, u.id); !hasRow(rows, "login_succeeded with password and passkey") || !hasRow(rows, "login_failed passkey") {
			t.Fatalf("audit = %v", rows)
		}
	})
}

// TestAdminPasskeyIsASecondFactor: under REQUIRE_ADMIN_MFA an admin whose
// only factor is a passkey is told to log in with it (MFA_REQUIRED), not
// to enroll one, and a passkey login reaches admin fields.
func TestAdminPasskeyIsASecondFactor(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{"REQUIRE_ADMIN_MFA": "true"}))
		s.cli(t, "admin-password-1\n", "user", "create", "--email", "boss@example.com", "--role", "ADMIN")
		const statsQ = `{ adminStats { users } }`
		boss, _ := s.login(t, "boss@example.com", "admin-password-1")
		s.markVerified(t, boss.access, "boss@example.com")
		wantErr(t, s.do(t, boss.access, statsQ, nil), "MFA_ENROLLMENT_REQUIRED", "")

		a := newAuthenticator()
		s.addPasskey(t, boss.access, a, "key")
		e := wantErr(t, s.do(t, boss.access, statsQ, nil), "MFA_REQUIRED", "")
		if !strings.Contains(e.Message, "passkey") {
			t.Fatalf("MFA_REQUIRED for a passkey holder: %q", e.Message)
		}
		pk, _ := s.passkeyLogin(t, a, "boss@example.com")
		ok(t, s.do(t, pk.access, statsQ, nil))
	})
}
