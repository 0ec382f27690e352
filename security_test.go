package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One test per attack in SECURITY.md, through the real server.

const loginQ = `mutation($i: LoginInput!) { login(input: $i) { accessToken } }`

func loginVars(email, pw string) map[string]any {
	return map[string]any{"i": map[string]any{"email": email, "password": pw}}
}

func TestAttackAliasFloodOfLogin(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"RATE_LIMIT_ACCOUNT": "3"}))
	s.register(t, "victim@example.com", "password-123")
	var q strings.Builder
	q.WriteString("mutation {")
	for i := range 20 {
		q.WriteString(" a" + itoa(i) + `: login(input: {email: "victim@example.com", password: "guess-` + itoa(i) + `"}) { accessToken }`)
	}
	q.WriteString(" }")
	e := wantErr(t, s.do(t, "", q.String(), nil), "TOO_MANY_CREDENTIAL_MUTATIONS", "")
	if e.Extensions["limit"] != float64(1) {
		t.Fatalf("limit not named: %+v", e)
	}
	// None of the 20 guesses counted: the account still has its 3 attempts.
	for range 3 {
		wantErr(t, s.do(t, "", loginQ, loginVars("victim@example.com", "wrong-password")), "INVALID_CREDENTIALS", "")
	}
	e = wantErr(t, s.do(t, "", loginQ, loginVars("victim@example.com", "password-123")), "RATE_LIMITED", "")
	if ra, _ := e.Extensions["retryAfter"].(float64); ra < 1 || ra > 15*60 {
		t.Fatalf("retryAfter = %v", e.Extensions["retryAfter"])
	}
}

func TestAttackSeveralCredentialMutationsInOneRequest(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	r := s.do(t, "", `mutation {
		register(input: {email: "new@example.com", password: "password-123"}) { accessToken }
		login(input: {email: "new@example.com", password: "password-123"}) { accessToken }
	}`, nil)
	wantErr(t, r, "TOO_MANY_CREDENTIAL_MUTATIONS", "")
	// The register did not run either.
	wantErr(t, s.do(t, "", loginQ, loginVars("new@example.com", "password-123")), "INVALID_CREDENTIALS", "")
	// Nor does a batch (a JSON array) of operations.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(
		`[{"query":"mutation { register(input: {email: \"b1@example.com\", password: \"password-123\"}) { accessToken } }"},
		  {"query":"mutation { register(input: {email: \"b2@example.com\", password: \"password-123\"}) { accessToken } }"}]`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatalf("batch accepted with %d", resp.StatusCode)
	}
	wantErr(t, s.do(t, "", loginQ, loginVars("b1@example.com", "password-123")), "INVALID_CREDENTIALS", "")
}

func TestAttackBruteForceIsThrottledAcrossReplicasAndRestarts(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		env := testEnv(dbURL, map[string]string{"RATE_LIMIT_ACCOUNT": "3", "RATE_LIMIT_IP": "5"})
		a := startServer(t, env)
		b := startServer(t, env) // a second replica on the same database
		a.register(t, "target@example.com", "password-123")
		wantErr(t, a.do(t, "", loginQ, loginVars("target@example.com", "guess-1")), "INVALID_CREDENTIALS", "")
		wantErr(t, b.do(t, "", loginQ, loginVars("target@example.com", "guess-2")), "INVALID_CREDENTIALS", "")
		wantErr(t, a.do(t, "", loginQ, loginVars("target@example.com", "guess-3")), "INVALID_CREDENTIALS", "")
		// Over the account limit on either replica, even with the right password.
		wantErr(t, b.do(t, "", loginQ, loginVars("target@example.com", "password-123")), "RATE_LIMITED", "")
		wantErr(t, a.do(t, "", loginQ, loginVars("TARGET@example.com", "password-123")), "RATE_LIMITED", "")
		// The IP limit (5) catches spraying across accounts: 5 login attempts so far.
		wantErr(t, a.do(t, "", loginQ, loginVars("other@example.com", "guess")), "RATE_LIMITED", "")
		// A restart forgets nothing: a new process still refuses.
		c := startServer(t, env)
		wantErr(t, c.do(t, "", loginQ, loginVars("target@example.com", "password-123")), "RATE_LIMITED", "")
	})
}

func TestAttackCrossSiteContentTypes(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	body := `{"query":"mutation { register(input: {email: \"csrf@example.com\", password: \"password-123\"}) { accessToken } }"}`
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		r := s.send(t, req)
		if r.Status != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: status %d", ct, r.Status)
		}
		wantErr(t, r, "UNSUPPORTED_MEDIA_TYPE", "")
	}
	wantErr(t, s.do(t, "", loginQ, loginVars("csrf@example.com", "password-123")), "INVALID_CREDENTIALS", "")
	// The GraphQL-over-HTTP media type is accepted.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/graphql-response+json")
	ok(t, s.send(t, req))
}

func TestAttackDeepAndCostlyQueries(t *testing.T) {
	// No query of this schema outside introspection is 12 deep (the
	// default; graph.TestDepthLimitBesideIntrospection checks it on a
	// recursive schema): a lower limit shows the refusal.
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"QUERY_MAX_COMPLEXITY": "100", "QUERY_MAX_DEPTH": "3"}))
	e := wantErr(t, s.do(t, "", `{ users { edges { node { id } } } }`, nil), "QUERY_TOO_DEEP", "")
	if e.Extensions["limit"] != float64(3) {
		t.Fatalf("limit = %v", e.Extensions["limit"])
	}
	var q strings.Builder
	q.WriteString("{")
	for i := range 31 {
		q.WriteString(" m" + itoa(i) + ": __typename")
	}
	q.WriteString(" }")
	wantErr(t, s.do(t, "", q.String(), nil), "TOO_MANY_ALIASES", "")
	// A credential mutation costs 100, so a limit of 100 refuses login with a selection.
	r := s.do(t, "", `mutation { login(input: {email: "x@example.com", password: "password-123"}) { accessToken user { id } } }`, nil)
	wantErr(t, r, "COMPLEXITY_LIMIT_EXCEEDED", "")
	// A normal query passes.
	ok(t, s.do(t, "", `{ __typename }`, nil))
}

func TestAttackParserTokenFlood(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	r := s.do(t, "", "{ "+strings.Repeat("__typename ", 6000)+"}", nil)
	if len(r.Errors) == 0 || !strings.Contains(strings.ToLower(r.Errors[0].Message), "token") {
		t.Fatalf("token flood not refused by the parser limit: %+v", r.Errors)
	}
}

func TestAttackOversizedBody(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	r := s.send(t, req)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", r.Status)
	}
	e := wantErr(t, r, "REQUEST_TOO_LARGE", "")
	if e.Extensions["limit"] != float64(1<<20) {
		t.Fatalf("limit = %v", e.Extensions["limit"])
	}
	// Without Content-Length (chunked), the body is cut at the same bound.
	req, _ = http.NewRequest(http.MethodPost, s.URL+"/graphql", io.MultiReader(strings.NewReader(big)))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), "REQUEST_TOO_LARGE") {
		t.Fatalf("chunked oversized body: %d %s", resp.StatusCode, raw)
	}
}

func TestAttackForgedTokensOverHTTP(t *testing.T) {
	const secret = "an-http-test-secret-that-is-long-enough"
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"JWT_SECRET": secret}))
	tok, _ := s.register(t, "forge@example.com", "password-123")
	parts := strings.Split(tok.access, ".")
	b64 := base64.RawURLEncoding
	header, _ := b64.DecodeString(parts[0])
	var h map[string]any
	_ = json.Unmarshal(header, &h)
	h["alg"] = "none"
	nh, _ := json.Marshal(h)
	payload, _ := b64.DecodeString(parts[1])
	elevated := bytes.Replace(payload, []byte(`"role":"USER"`), []byte(`"role":"ADMIN"`), 1)
	for name, forged := range map[string]string{
		"alg none":         b64.EncodeToString(nh) + "." + parts[1] + ".",
		"tampered payload": parts[0] + "." + b64.EncodeToString(elevated) + "." + parts[2],
		"oversized":        tok.access + strings.Repeat("A", 9000),
	} {
		wantErr(t, s.me(t, forged), "UNAUTHENTICATED", "TOKEN_INVALID")
		_ = name
	}
	ok(t, s.me(t, tok.access))
}

func TestAttackTimingOfUnknownVersusKnownEmail(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"ARGON2_MEMORY_KIB": "19456", "ARGON2_TIME": "2"}))
	s.register(t, "known@example.com", "password-123")
	const n = 15
	login := func(email string) time.Duration {
		start := time.Now()
		wantErr(t, s.do(t, "", loginQ, loginVars(email, "wrong-password")), "INVALID_CREDENTIALS", "")
		return time.Since(start)
	}
	// The samples alternate, so that a burst of load from elsewhere on the
	// machine slows both kinds alike instead of skewing one batch.
	var knownDs, unknownDs []time.Duration
	for i := range 2 * n {
		if i%2 == 0 {
			knownDs = append(knownDs, login("known@example.com"))
		} else {
			unknownDs = append(unknownDs, login("unknown@example.com"))
		}
	}
	median := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	known, unknown := median(knownDs), median(unknownDs)
	ratio := float64(unknown) / float64(known)
	t.Logf("median login: known email %v, unknown email %v (ratio %.2f)", known, unknown, ratio)
	// Without the dummy hash an unknown email answers in well under a tenth
	// of the time; the bound is generous because the machine is shared.
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("unknown/known median ratio %.2f: the answer time tells whether an email exists", ratio)
	}
}

func TestAttackHashingPoolSaturation(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{
		"ARGON2_MEMORY_KIB": "19456", "ARGON2_TIME": "4", "HASH_WORKERS": "1", "HASH_QUEUE": "2",
	}))
	tok, _ := s.register(t, "pool@example.com", "password-123")
	const logins = 16
	var pending atomic.Int32
	pending.Store(logins)
	codes := make([]any, logins)
	var wg sync.WaitGroup
	for i := range logins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer pending.Add(-1)
			r := s.do(t, "", loginQ, loginVars("pool@example.com", "wrong-password"))
			if len(r.Errors) > 0 {
				codes[i] = r.Errors[0].Extensions["code"]
			}
		}()
	}
	// me needs no hashing: it keeps answering while logins wait.
	meDuringFlood := 0
	for pending.Load() > 0 {
		ok(t, s.me(t, tok.access))
		if pending.Load() > 0 {
			meDuringFlood++
		}
	}
	wg.Wait()
	limited := 0
	for _, c := range codes {
		switch c {
		case "RATE_LIMITED":
			limited++
		case "INVALID_CREDENTIALS":
		default:
			t.Errorf("unexpected code %v", c)
		}
	}
	if limited == 0 {
		t.Fatal("no login was refused although 16 competed for 1 worker and 2 queue places")
	}
	if meDuringFlood == 0 {
		t.Fatal("me never answered while the logins were in flight")
	}
	t.Logf("%d/%d logins refused with RATE_LIMITED; me answered %d times during the flood", limited, logins, meDuringFlood)
}

func TestAttackOperationTimeout(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{
		"ARGON2_MEMORY_KIB": "19456", "ARGON2_TIME": "30", "HASH_WORKERS": "1", "OPERATION_TIMEOUT": "200ms",
	}))
	var wg sync.WaitGroup
	results := make([]*gqlResponse, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.do(t, "", loginQ, loginVars("slow@example.com", "password-123"))
		}()
	}
	wg.Wait()
	timedOut := 0
	for _, r := range results {
		if len(r.Errors) > 0 && r.Errors[0].Extensions["code"] == "OPERATION_TIMEOUT" {
			timedOut++
		}
	}
	if timedOut == 0 {
		t.Fatalf("no operation timed out: %+v %+v %+v", results[0].Errors, results[1].Errors, results[2].Errors)
	}
}

func TestProductionHidesTheSchema(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"APP_ENV": "production", "JWT_SECRET": "a-production-secret-long-enough-for-hs256", "SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey, "WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL}))
	r := s.do(t, "", `{ __schema { types { name } } }`, nil)
	wantErr(t, r, "INTROSPECTION_DISABLED", "")
	if strings.Contains(s.stderr.String(), "internal error") {
		t.Errorf("a refused introspection query was logged as an internal error:\n%s", s.stderr.String())
	}
	r = s.do(t, "", `{ mee { id } }`, nil)
	if len(r.Errors) == 0 || strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Fatalf("suggestions in production: %+v", r.Errors)
	}
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("playground served in production: %d", resp.StatusCode)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestNoSecretsInLogs: at debug level, a whole session's worth of traffic
// leaves no password, token or secret in the server's output.
func TestNoSecretsInLogs(t *testing.T) {
	const secret = "a-log-test-secret-that-is-long-enough-x"
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"JWT_SECRET": secret, "LOG_LEVEL": "debug", "REFRESH_REUSE_GRACE": "0"}))
	tok, _ := s.register(t, "quiet@example.com", "hunter2-password")
	wantErr(t, s.do(t, "", loginQ, loginVars("quiet@example.com", "wrong-password-77")), "INVALID_CREDENTIALS", "")
	refreshed, _ := payload(t, ok(t, s.refresh(t, tok.refresh)), "refresh")
	ok(t, s.me(t, refreshed.access))
	wantErr(t, s.refresh(t, tok.refresh), "UNAUTHENTICATED", "TOKEN_REUSED")
	// A GET carries its variables in the query string: the access log
	// names the path alone.
	get, err := http.Get(s.URL + "/graphql?query=" + url.QueryEscape(`query($p: String) { __typename }`) +
		"&variables=" + url.QueryEscape(`{"p":"get-variable-secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	logs := s.stderr.String()
	if !strings.Contains(logs, "request") {
		t.Fatalf("no access log lines at debug level: %q", logs)
	}
	for _, leaked := range []string{secret, "hunter2-password", "wrong-password-77", "get-variable-secret", tok.access, tok.refresh, refreshed.access, refreshed.refresh} {
		if strings.Contains(logs, leaked) {
			t.Fatalf("logs contain a secret (%.12s…)", leaked)
		}
	}
}
