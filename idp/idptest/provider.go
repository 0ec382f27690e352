// Package idptest runs a real OpenID Provider for tests: the op package of
// github.com/zitadel/oidc (an OpenID-certified provider library) with its
// discovery document, JWKS, authorization endpoint, token and userinfo
// endpoints, and a login page of its own. It keeps its users and its one
// client (gqlauth) in memory, insists on PKCE S256 as a strict provider
// does, and lets a test tamper with the ID tokens it answers, to play a
// provider (or a network) that misbehaves.
//
// The Go tests start one in-process; e2e/oidcprovider is a program around
// it for the browser test.
package idptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the provider.
type User struct {
	Subject  string // the ID token's sub
	Username string // what the login page asks for
	Password string
	Email    string
	// EmailVerified is the email_verified claim the provider asserts.
	EmailVerified bool
}

// Options configure a provider.
type Options struct {
	// Addr is where it listens; default 127.0.0.1:0 (a free port).
	Addr         string
	ClientID     string
	ClientSecret string
	RedirectURIs []string
	Users        []User
	// ClaimsInUserinfoOnly keeps email and email_verified out of the ID
	// token: the relying party must ask the userinfo endpoint.
	ClaimsInUserinfoOnly bool
}

// Provider is a running OpenID Provider.
type Provider struct {
	// Issuer is its issuer URL (http://127.0.0.1:PORT).
	Issuer string
	addr   string
	st     *storage
	h      http.Handler

	mu       sync.Mutex
	srv      *http.Server
	tamper   func(idToken string) string
	idTokens []string
}

// Start starts a provider.
func Start(opts Options) (*Provider, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String(), addr: ln.Addr().String()}
	p.st = &storage{
		client: &client{id: opts.ClientID, secret: opts.ClientSecret, redirectURIs: opts.RedirectURIs,
			claimsInIDToken: !opts.ClaimsInUserinfoOnly},
		users: map[string]*User{}, requests: map[string]*authRequest{}, codes: map[string]string{},
		tokens: map[string]*accessToken{}, key: key, keyID: randomString(8),
	}
	for _, u := range opts.Users {
		p.AddUser(u)
	}
	if p.h, err = p.handler(); err != nil {
		ln.Close()
		return nil, err
	}
	p.serve(ln)
	return p, nil
}

func (p *Provider) handler() (http.Handler, error) {
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, err
	}
	cfg := &op.Config{CryptoKey: cryptoKey, CodeMethodS256: true, AuthMethodPost: true,
		SupportedUILocales: []language.Tag{language.English}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	provider, err := op.NewProvider(cfg, &strictStorage{p.st}, op.StaticIssuer(p.Issuer), op.WithAllowInsecure(), op.WithLogger(quiet))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	callback := op.AuthCallbackURL(provider)
	mux.HandleFunc("GET /login", p.loginPage)
	mux.Handle("POST /login", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.login(w, r, callback)
	}))
	token := provider.TokenEndpoint().Relative()
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == token {
			p.tokenResponse(w, r, provider)
			return
		}
		provider.ServeHTTP(w, r)
	}))
	return mux, nil
}

func (p *Provider) serve(ln net.Listener) {
	srv := &http.Server{Handler: p.h, ReadHeaderTimeout: 10 * time.Second}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(ln) //nolint:errcheck // ends with Close
}

// Close stops the provider: it is down until Restart.
func (p *Provider) Close() error {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Restart listens again at the same address, with the same keys and state.
func (p *Provider) Restart() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

// AddUser adds (or replaces, by username) an account.
func (p *Provider) AddUser(u User) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	c := u
	p.st.users[u.Username] = &c
}

// SetTamper makes the token endpoint answer fn(idToken) in place of each
// ID token it issues (nil: answer them as issued).
func (p *Provider) SetTamper(fn func(idToken string) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = fn
}

// IDTokens are the ID tokens the provider issued, as issued, oldest first.
func (p *Provider) IDTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.idTokens...)
}

// SigningKey is the provider's own key, whose public half its JWKS serves.
func (p *Provider) SigningKey() (*rsa.PrivateKey, string) { return p.st.key, p.st.keyID }

// tokenResponse answers the token endpoint, recording (and, when a test
// says so, replacing) the ID token.
func (p *Provider) tokenResponse(w http.ResponseWriter, r *http.Request, provider http.Handler) {
	rec := httptest.NewRecorder()
	provider.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var resp map[string]any
	if rec.Code == http.StatusOK && json.Unmarshal(body, &resp) == nil {
		if raw, ok := resp["id_token"].(string); ok {
			p.mu.Lock()
			p.idTokens = append(p.idTokens, raw)
			tamper := p.tamper
			p.mu.Unlock()
			if tamper != nil {
				resp["id_token"] = tamper(raw)
				body, _ = json.Marshal(resp)
			}
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(body) //nolint:errcheck
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Sign in to the test provider</title></head>
<body>
<h1>Test provider</h1>
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<p><button type="submit">Sign in</button></p>
</form>
</body></html>`))

func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	loginTemplate.Execute(w, map[string]string{"ID": r.URL.Query().Get("authRequestID")}) //nolint:errcheck
}

// login checks the form and sends the browser on to the authorization
// callback, which answers the relying party's redirect URI.
func (p *Provider) login(w http.ResponseWriter, r *http.Request, callback func(context.Context, string) string) {
	id, user, pass := r.FormValue("id"), r.FormValue("username"), r.FormValue("password")
	p.st.mu.Lock()
	a, ok := p.st.requests[id]
	u := p.st.users[user]
	good := ok && u != nil && u.Password == pass
	if good {
		a.subject, a.authTime = u.Subject, time.Now()
	}
	p.st.mu.Unlock()
	if !good {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		loginTemplate.Execute(w, map[string]string{"ID": id, "Error": "Wrong username or password."}) //nolint:errcheck
		return
	}
	http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
}

// strictStorage refuses authorization requests without PKCE S256 or a
// nonce, as a strict provider may: a relying party that forgot either
// fails here rather than in production.
type strictStorage struct{ *storage }

func (s *strictStorage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if r.CodeChallenge == "" || r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with S256 is required")
	}
	if r.Nonce == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("a nonce is required")
	}
	return s.storage.CreateAuthRequest(ctx, r, userID)
}

// Resign returns idToken's claims, changed by edit, signed by key with
// key id kid: with the provider's own key, a token that verifies but says
// something else; with another, a forgery.
func Resign(idToken string, key *rsa.PrivateKey, kid string, edit func(claims map[string]any)) (string, error) {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	claims := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return "", err
	}
	if edit != nil {
		edit(claims)
	}
	payload, err = json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// randomString is n random bytes, base64url.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
