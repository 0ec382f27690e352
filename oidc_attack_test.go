package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/idp/idptest"
)

// wantOidcErr fails unless r is BAD_USER_INPUT with reason on field, and
// opened no session.
func wantOidcErr(t *testing.T, r *gqlResponse, field, reason string) gqlError {
	t.Helper()
	e := wantErr(t, r, "BAD_USER_INPUT", reason)
	if e.Extensions["field"] != field {
		t.Fatalf("field = %v, want %s: %+v", e.Extensions["field"], field, e)
	}
	if r.Data != nil && r.Data["finishOidcLogin"] != nil {
		t.Fatalf("tokens with an error: %v", r.Data)
	}
	return e
}

// TestOidcState: a state is used once (a replay, even with a fresh code,
// is STATE_INVALID), bound to its provider (a code and state from one
// provider taken to another: the mix-up attack), to its purpose (a link's
// state finishes no login) and to 10 minutes (STATE_EXPIRED); an unknown
// state is STATE_INVALID, and each refusal is audited. None reaches the
// provider: the code is never spent.
func TestOidcState(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		other := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
		s := startServer(t, oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": google, "other": other}, nil))

		cb := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
		// Mix-up: google's code and state presented as other's.
		wantOidcErr(t, s.finishLogin(t, "other", cb), "state", "STATE_INVALID")
		wantOidcErr(t, s.finishLogin(t, "google", callback{code: cb.code, state: "not-a-state-we-issued"}), "state", "STATE_INVALID")
		// The refusals spent nothing: the real finish works once...
		ok(t, s.finishLogin(t, "google", cb))
		// ...and never again, with the same code or a new one.
		wantOidcErr(t, s.finishLogin(t, "google", cb), "state", "STATE_INVALID")
		fresh := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
		wantOidcErr(t, s.finishLogin(t, "google", callback{code: fresh.code, state: cb.state}), "state", "STATE_INVALID")
		if len(google.IDTokens()) != 1 {
			t.Fatalf("the provider issued %d ID tokens; refused states must not reach it", len(google.IDTokens()))
		}

		// A link's state finishes no login (nor the other way round).
		tk, _ := s.register(t, "linker@example.com", "password-123")
		r := s.do(t, tk.access, beginLinkQ, map[string]any{"p": "google", "r": oidcCallback})
		link := signInAt(t, ok(t, r)["beginOidcLink"].(map[string]any)["url"].(string), "ada", "ada-pw")
		wantOidcErr(t, s.finishLogin(t, "google", link), "state", "STATE_INVALID")
		login := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
		wantOidcErr(t, s.do(t, tk.access, finishLinkQ, map[string]any{"p": "google", "c": login.code, "s": login.state}), "state", "STATE_INVALID")

		// Ten minutes: the clock moved on (the row's expiry, moved back).
		late := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
		dbExec(t, dbURL, `UPDATE oidc_flows SET expires_at = ? WHERE used_at IS NULL`, time.Now().UTC().Add(-time.Second))
		wantOidcErr(t, s.finishLogin(t, "google", late), "state", "STATE_EXPIRED")

		// Garbage and an unknown provider are refused before any lookup.
		wantOidcErr(t, s.finishLogin(t, "google", callback{code: "x", state: strings.Repeat("s", 300)}), "state", "STATE_INVALID")
		wantOidcErr(t, s.finishLogin(t, "nope", cb), "provider", "")
		wantOidcErr(t, s.do(t, "", beginLoginQ, map[string]any{"p": "google", "r": "https://evil.example/callback"}), "redirectUri", "")

		admin := adminOf(t, s)
		events := auditTypes(t, s, admin, "")
		n := 0
		for _, e := range events {
			if strings.HasPrefix(e, "oidc_refused:login with google: BAD_USER_INPUT/STATE_") {
				n++
			}
		}
		if n < 5 {
			t.Fatalf("%d refused states audited, want at least 5: %v", n, events)
		}
	})
}

// TestOidcIDTokenChecks: the ID token the provider's token endpoint
// answers is checked, each check on its own: a signature by another key
// (the provider's JWKS does not have it), a token another provider issued
// (its iss), a genuine token of this provider replayed from an earlier
// flow (its nonce), another audience, another authorized party, an
// expired token. Each is CODE_REJECTED (never an internal error), signs
// nobody in, and creates no account.
func TestOidcIDTokenChecks(t *testing.T) {
	google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
	other := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
	dbURL := sqliteURL(t)
	s := startServer(t, oidcEnv(t, dbURL, map[string]*idptest.Provider{"google": google, "other": other}, nil))
	key, kid := google.SigningKey()
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// Two genuine tokens to replay: one from an earlier flow of google's
	// (for a new account, so that the later check finds no session), one
	// of other's.
	google.AddUser(idptest.User{Subject: "sub-early", Username: "early", Password: "pw", Email: "early@example.com", EmailVerified: true})
	ok(t, s.oidcLogin(t, "google", "early", "pw"))
	earlier := google.IDTokens()[0]
	ok(t, s.oidcLogin(t, "other", "ada", "ada-pw"))
	othersToken := other.IDTokens()[0]
	identities := dbCount(t, dbURL, `SELECT COUNT(*) FROM user_identities`)
	sessions := dbCount(t, dbURL, `SELECT COUNT(*) FROM sessions`)

	resign := func(edit func(map[string]any)) func(string) string {
		return func(raw string) string {
			out, err := idptest.Resign(raw, key, kid, edit)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	for _, c := range []struct {
		name   string
		tamper func(string) string
	}{
		{"signed by another key", func(raw string) string {
			out, err := idptest.Resign(raw, foreign, kid, nil)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
		{"issued by another provider", func(string) string { return othersToken }},
		{"naming another issuer", resign(func(c map[string]any) { c["iss"] = other.Issuer })},
		{"replayed from an earlier flow", func(string) string { return earlier }},
		{"for another audience", resign(func(c map[string]any) { c["aud"] = "someone-else"; delete(c, "azp") })},
		{"for another authorized party", resign(func(c map[string]any) { c["aud"] = []string{"gqlauth", "someone-else"}; c["azp"] = "someone-else" })},
		{"several audiences, no azp", resign(func(c map[string]any) { c["aud"] = []string{"gqlauth", "someone-else"}; delete(c, "azp") })},
		{"expired", resign(func(c map[string]any) { c["exp"] = json.Number("1000000000") })},
		{"without a nonce", resign(func(c map[string]any) { delete(c, "nonce") })},
	} {
		t.Run(c.name, func(t *testing.T) {
			google.SetTamper(c.tamper)
			defer google.SetTamper(nil)
			wantOidcErr(t, s.oidcLogin(t, "google", "ada", "ada-pw"), "code", "CODE_REJECTED")
		})
	}
	if n, m := dbCount(t, dbURL, `SELECT COUNT(*) FROM user_identities`), dbCount(t, dbURL, `SELECT COUNT(*) FROM sessions`); n != identities || m != sessions {
		t.Fatalf("%d identities and %d sessions, want %d and %d: a refused token linked or signed in", n, m, identities, sessions)
	}
	// The checks are the tokens' and nothing else's: the same re-signing
	// that changes nothing is accepted (and links ada's verified address).
	google.SetTamper(resign(nil))
	ok(t, s.oidcLogin(t, "google", "ada", "ada-pw"))
	google.SetTamper(nil)
	if n := dbCount(t, dbURL, `SELECT COUNT(*) FROM user_identities`); n != identities+1 {
		t.Fatalf("%d identities, want %d", n, identities+1)
	}
	if strings.Contains(s.stderr.String(), "internal error") {
		t.Fatalf("a provider's answer caused an internal error:\n%s", s.stderr.String())
	}
}

// TestOidcCodeInjection: a code from one flow presented with another
// flow's state (a stolen code pasted into the victim's flow) is redeemed
// with the second flow's PKCE verifier, which the provider refuses:
// CODE_REJECTED. So is a code used twice, or made up.
func TestOidcCodeInjection(t *testing.T) {
	google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
	s := startServer(t, oidcEnv(t, sqliteURL(t), map[string]*idptest.Provider{"google": google}, nil))
	stolen := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
	victim := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
	wantOidcErr(t, s.finishLogin(t, "google", callback{code: stolen.code, state: victim.state}), "code", "CODE_REJECTED")
	spent := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
	ok(t, s.finishLogin(t, "google", spent))
	again := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
	wantOidcErr(t, s.finishLogin(t, "google", callback{code: spent.code, state: again.state}), "code", "CODE_REJECTED")
	made := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
	wantOidcErr(t, s.finishLogin(t, "google", callback{code: "made-up", state: made.state}), "code", "CODE_REJECTED")
}

// TestOidcProviderDown: a provider that does not answer is
// PROVIDER_UNAVAILABLE, never an internal error and never a crash: at
// start (discovery fails and is retried at the next use), at the begin,
// and between the login at the provider and the code's exchange. Once it
// is back, sign-in works without a restart.
func TestOidcProviderDown(t *testing.T) {
	google := startIdP(t, idptest.Options{Users: []idptest.User{ada}})
	if err := google.Close(); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, oidcEnv(t, sqliteURL(t), map[string]*idptest.Provider{"google": google}, nil))
	wantOidcErr(t, s.do(t, "", beginLoginQ, map[string]any{"p": "google", "r": oidcCallback}), "provider", "PROVIDER_UNAVAILABLE")
	// The other providers' list still answers.
	ok(t, s.do(t, "", `{ oidcProviders { id } }`, nil))

	if err := google.Restart(); err != nil {
		t.Fatal(err)
	}
	cb := signInAt(t, s.beginLogin(t, "google"), "ada", "ada-pw")
	if err := google.Close(); err != nil {
		t.Fatal(err)
	}
	wantOidcErr(t, s.finishLogin(t, "google", cb), "provider", "PROVIDER_UNAVAILABLE")

	if err := google.Restart(); err != nil {
		t.Fatal(err)
	}
	ok(t, s.oidcLogin(t, "google", "ada", "ada-pw"))
	logs := s.stderr.String()
	if strings.Contains(logs, "internal error") || strings.Contains(logs, "panic") {
		t.Fatalf("logs:\n%s", logs)
	}
	if !strings.Contains(logs, "identity provider not reachable") {
		t.Fatalf("start did not warn of the provider:\n%s", logs)
	}
}
