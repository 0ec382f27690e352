package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/db"
	"github.com/gqlauth/gqlauth/idp/idptest"
)

// Sign-in with providers is tested against real OpenID Providers started
// in-process (idptest: zitadel/oidc's op package), through the real
// server, the way a browser goes: gqlauth's authorization URL, the
// provider's login page, its redirect back with a code and the state.

// oidcCallback is the frontend's callback the tests allow-list; nothing
// listens there: the test's browser stops at the redirect to it.
const oidcCallback = "http://127.0.0.1:5173/oidc/callback"

const (
	beginLoginQ  = `mutation($p: String!, $r: String!) { beginOidcLogin(provider: $p, redirectUri: $r) { url } }`
	finishLoginQ = `mutation($p: String!, $c: String!, $s: String!) { finishOidcLogin(provider: $p, code: $c, state: $s) { ` + mfaPayload + ` } }`
	beginLinkQ   = `mutation($p: String!, $r: String!) { beginOidcLink(provider: $p, redirectUri: $r) { url } }`
	finishLinkQ  = `mutation($p: String!, $c: String!, $s: String!) { finishOidcLink(provider: $p, code: $c, state: $s) { id identities { provider subject email } } }`
	unlinkQ      = `mutation($p: String!) { unlinkIdentity(provider: $p) { id identities { provider } } }`
	identitiesQ  = `{ me { id email emailVerified identities { provider subject email createdAt } } }`
)

// startIdP starts a provider for the client "gqlauth" until the test ends.
func startIdP(t *testing.T, opts idptest.Options) *idptest.Provider {
	t.Helper()
	opts.ClientID, opts.ClientSecret = "gqlauth", "client-secret-"+t.Name()
	opts.RedirectURIs = []string{oidcCallback}
	p, err := idptest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// oidcEnv configures a test server with providers, by id.
func oidcEnv(t *testing.T, dbURL string, providers map[string]*idptest.Provider, overrides map[string]string) map[string]string {
	env := testEnv(dbURL, overrides)
	var ids []string
	for id, p := range providers {
		ids = append(ids, id)
		prefix := "OIDC_" + strings.ToUpper(id) + "_"
		env[prefix+"ISSUER"] = p.Issuer
		env[prefix+"CLIENT_ID"] = "gqlauth"
		env[prefix+"CLIENT_SECRET"] = "client-secret-" + t.Name()
	}
	env["OIDC_PROVIDERS"] = strings.Join(ids, ",")
	env["OIDC_REDIRECT_URIS"] = oidcCallback
	return env
}

// oidcMailEnv configures a test server with providers and a mail server
// the test reads (mailServer).
func oidcMailEnv(t *testing.T, dbURL string, providers map[string]*idptest.Provider) (*mailbox, map[string]string) {
	box, env := mailServer(t, dbURL, nil)
	for k, v := range oidcEnv(t, dbURL, providers, nil) {
		if strings.HasPrefix(k, "OIDC_") {
			env[k] = v
		}
	}
	return box, env
}

// callback is what the provider sent back to the frontend.
type callback struct{ code, state string }

// signInAt plays the browser from an authorization URL: the provider's
// login page, the form, and the redirects up to the frontend's callback.
func signInAt(t *testing.T, authURL, username, password string) callback {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), oidcCallback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `name="password"`) {
		t.Fatalf("the provider's login page: %d %s", resp.StatusCode, page)
	}
	login := resp.Request.URL
	form := url.Values{"id": {login.Query().Get("authRequestID")}, "username": {username}, "password": {password}}
	resp, err = client.PostForm(login.Scheme+"://"+login.Host+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), oidcCallback) {
		t.Fatalf("the provider did not send the browser back: %d %v", resp.StatusCode, loc)
	}
	q := loc.Query()
	if q.Get("code") == "" || q.Get("state") == "" {
		t.Fatalf("callback without code or state: %s", loc)
	}
	return callback{code: q.Get("code"), state: q.Get("state")}
}

// beginLogin starts a sign-in at provider and returns the authorization URL.
func (s *testServer) beginLogin(t *testing.T, provider string) string {
	t.Helper()
	r := s.do(t, "", beginLoginQ, map[string]any{"p": provider, "r": oidcCallback})
	return ok(t, r)["beginOidcLogin"].(map[string]any)["url"].(string)
}

// finishLogin completes a sign-in.
func (s *testServer) finishLogin(t *testing.T, provider string, cb callback) *gqlResponse {
	t.Helper()
	return s.do(t, "", finishLoginQ, map[string]any{"p": provider, "c": cb.code, "s": cb.state})
}

// oidcLogin signs in at provider as username and returns the finish's answer.
func (s *testServer) oidcLogin(t *testing.T, provider, username, password string) *gqlResponse {
	t.Helper()
	return s.finishLogin(t, provider, signInAt(t, s.beginLogin(t, provider), username, password))
}

// oidcTokens signs in and returns the session's tokens and user.
func (s *testServer) oidcTokens(t *testing.T, provider, username, password string) (tokens, map[string]any) {
	t.Helper()
	return payload(t, ok(t, s.oidcLogin(t, provider, username, password)), "finishOidcLogin")
}

// oidcLink links provider to the account of token, signing in as username.
func (s *testServer) oidcLink(t *testing.T, token, provider, username, password string) *gqlResponse {
	t.Helper()
	r := s.do(t, token, beginLinkQ, map[string]any{"p": provider, "r": oidcCallback})
	cb := signInAt(t, ok(t, r)["beginOidcLink"].(map[string]any)["url"].(string), username, password)
	return s.do(t, token, finishLinkQ, map[string]any{"p": provider, "c": cb.code, "s": cb.state})
}

// providersOf lists the providers of the identities in a user object.
func providersOf(u map[string]any) []string {
	var out []string
	for _, i := range u["identities"].([]any) {
		out = append(out, i.(map[string]any)["provider"].(string))
	}
	return out
}

// dbExec runs a statement on the test server's database, as an operator
// (or a clock) would change it.
func dbExec(t *testing.T, dbURL, query string, args ...any) {
	t.Helper()
	store, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.DB().ExecContext(context.Background(), store.DB().Rebind(query), args...); err != nil {
		t.Fatal(err)
	}
}

// dbCount counts rows on the test server's database.
func dbCount(t *testing.T, dbURL, query string, args ...any) int {
	t.Helper()
	store, err := db.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var n int
	if err := store.DB().GetContext(context.Background(), &n, store.DB().Rebind(query), args...); err != nil {
		t.Fatal(err)
	}
	return n
}
