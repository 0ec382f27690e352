package main

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/passkey/passkeytest"
)

// Passkeys through the real server, with a software authenticator that
// signs as a browser and a platform authenticator would
// (passkey/passkeytest): registration, logins with and without an address,
// the second step after a password, and each way a credential can be
// wrong.

const (
	beginRegQ    = `mutation { beginPasskeyRegistration { challengeId options } }`
	finishRegQ   = `mutation($c: ID!, $cr: JSON!, $n: String) { finishPasskeyRegistration(challengeId: $c, credential: $cr, name: $n) { id name createdAt lastUsedAt } }`
	beginLoginQ  = `mutation($e: String) { beginPasskeyLogin(email: $e) { challengeId options } }`
	finishLoginQ = `mutation($c: ID!, $cr: JSON!) { finishPasskeyLogin(challengeId: $c, credential: $cr) { ` + mfaPayload + ` } }`
	verifyPkQ    = `mutation($t: String!, $c: ID!, $cr: JSON!) { verifyMfaPasskey(mfaToken: $t, challengeId: $c, credential: $cr) { ` + mfaPayload + ` } }`
	renamePkQ    = `mutation($id: ID!, $n: String!) { renamePasskey(id: $id, name: $n) { id name } }`
	deletePkQ    = `mutation($id: ID!) { deletePasskey(id: $id) }`
	myPasskeysQ  = `{ me { passkeys { id name createdAt lastUsedAt } } }`
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
	c := challengeOf(t, s.do(t, token, beginRegQ, nil), "beginPasskeyRegistration")
	cred, key, err := a.Create(c.options)
	if err != nil {
		t.Fatal(err)
	}
	pk := ok(t, s.do(t, token, finishRegQ, map[string]any{"c": c.id, "cr": cred, "n": name}))["finishPasskeyRegistration"].(map[string]any)
	return pk["id"].(string), key
}

// beginLogin starts a passkey login, for email unless it is "".
func (s *testServer) beginLogin(t *testing.T, email string) challenge {
	t.Helper()
	vars := map[string]any{}
	if email != "" {
		vars["e"] = email
	}
	return challengeOf(t, s.do(t, "", beginLoginQ, vars), "beginPasskeyLogin")
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

func (s *testServer) finishLogin(t *testing.T, c challenge, credential map[string]any) *gqlResponse {
	t.Helper()
	return s.do(t, "", finishLoginQ, map[string]any{"c": c.id, "cr": credential})
}

// passkeyLogin logs in with a's passkey (for email, or discoverable).
func (s *testServer) passkeyLogin(t *testing.T, a *passkeytest.Authenticator, email string) (tokens, map[string]any) {
	t.Helper()
	c := s.beginLogin(t, email)
	return payload(t, ok(t, s.finishLogin(t, c, assert(t, a, c, nil))), "finishPasskeyLogin")
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
		wantErr(t, s.do(t, tk.access, beginRegQ, nil), "EMAIL_NOT_VERIFIED", "")
		s.markVerified(t, tk.access, "alice@example.com")
		stale, _ := payload(t, ok(t, s.refresh(t, tk.refresh)), "refresh")
		wantErr(t, s.do(t, stale.access, beginRegQ, nil), "FRESH_TOKEN_REQUIRED", "")
		wantErr(t, s.do(t, "", beginRegQ, nil), "UNAUTHENTICATED", "TOKEN_MISSING")
		tk, _ = s.login(t, "alice@example.com", "password-123")

		// The options are the bare PublicKeyCredentialCreationOptionsJSON.
		c := challengeOf(t, s.do(t, tk.access, beginRegQ, nil), "beginPasskeyRegistration")
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
		pk := ok(t, s.do(t, tk.access, finishRegQ, map[string]any{"c": c.id, "cr": cred, "n": "  Laptop "}))["finishPasskeyRegistration"].(map[string]any)
		if pk["name"] != "Laptop" || pk["lastUsedAt"] != nil {
			t.Fatalf("passkey = %v", pk)
		}
		pkID := pk["id"].(string)
		// The challenge is spent, whatever comes next.
		wantCredentialErr(t, s.do(t, tk.access, finishRegQ, map[string]any{"c": c.id, "cr": cred}), "CHALLENGE_INVALID")
		// A second registration excludes the first passkey, so that the
		// authenticator does not make a duplicate.
		again := challengeOf(t, s.do(t, tk.access, beginRegQ, nil), "beginPasskeyRegistration")
		ex := again.options["excludeCredentials"].([]any)
		if len(ex) != 1 || ex[0].(map[string]any)["id"] != key.IDString() {
			t.Fatalf("excludeCredentials = %v", ex)
		}

		// Log in with the address: the options list the passkey.
		c = s.beginLogin(t, "Alice@Example.com")
		allow := c.options["allowCredentials"].([]any)
		if len(allow) != 1 || allow[0].(map[string]any)["id"] != key.IDString() || c.options["rpId"] != "localhost" ||
			c.options["userVerification"] != "required" {
			t.Fatalf("request options = %v", c.options)
		}
		r := s.finishLogin(t, c, assert(t, a, c, nil))
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
		c = s.beginLogin(t, "")
		if c.options["allowCredentials"] != nil {
			t.Fatalf("discoverable options = %v", c.options)
		}
		anon, _ := payload(t, ok(t, s.finishLogin(t, c, assert(t, a, c, nil))), "finishPasskeyLogin")
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
		c = s.beginLogin(t, "")
		wantCredentialErr(t, s.finishLogin(t, c, assert(t, a, c, key)), "CREDENTIAL_UNKNOWN")

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
		_ = aliceID
		s.markVerified(t, tk.access, "alice@example.com")
		a := newAuthenticator()
		_, key := s.addPasskey(t, tk.access, a, "Laptop")

		// Replay: an assertion answers one challenge, once. Sent again
		// with its challenge, the challenge is spent; with a new one, it
		// signed the old.
		c := s.beginLogin(t, "")
		asn := assert(t, a, c, key)
		ok(t, s.finishLogin(t, c, asn))
		wantCredentialErr(t, s.finishLogin(t, c, asn), "CHALLENGE_INVALID")
		wantCredentialErr(t, s.finishLogin(t, s.beginLogin(t, ""), asn), "CHALLENGE_MISMATCH")

		// A page on another origin (a phishing site relaying the
		// ceremony) is refused, whatever it signed.
		a.Origin = "https://evil.example"
		c = s.beginLogin(t, "alice@example.com")
		wantCredentialErr(t, s.finishLogin(t, c, assert(t, a, c, key)), "ORIGIN_MISMATCH")
		a.Origin = "http://localhost:9999"
		c = s.beginLogin(t, "")
		wantCredentialErr(t, s.finishLogin(t, c, assert(t, a, c, key)), "ORIGIN_MISMATCH")
		a.Origin = testOrigin
		// An assertion scoped to another RP ID.
		a.RPID = "example.com"
		c = s.beginLogin(t, "")
		wantCredentialErr(t, s.finishLogin(t, c, assert(t, a, c, key)), "RP_ID_MISMATCH")
		a.RPID = ""
		// No user verification: a passkey alone must prove the person.
		a.SkipUserVerification = true
		c = s.beginLogin(t, "")
		wantCredentialErr(t, s.finishLogin(t, c, assert(t, a, c, key)), "USER_VERIFICATION_REQUIRED")
		a.SkipUserVerification = false
		// A forged signature.
		c = s.beginLogin(t, "")
		asn = assert(t, a, c, key)
		resp := asn["response"].(map[string]any)
		sig, _ := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
		sig[len(sig)-1] ^= 1
		resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
		wantCredentialErr(t, s.finishLogin(t, c, asn), "SIGNATURE_INVALID")
		// What is not a login's credential.
		c = s.beginLogin(t, "")
		wantCredentialErr(t, s.finishLogin(t, c, map[string]any{"id": "x", "type": "public-key"}), "CREDENTIAL_INVALID")

	})
}
