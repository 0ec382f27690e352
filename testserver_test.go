package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db/dbtest"
	"github.com/gqlauth/gqlauth/hashworker"
)

// TestMain lets this test binary be the hash worker of the servers the
// tests start in-process, as the gqlauth binary is its own.
func TestMain(m *testing.M) {
	hashworker.RunIfChild()
	os.Exit(m.Run())
}

// testServer is the real program, started through run() exactly as main
// starts it, listening on a free loopback port.
type testServer struct {
	URL    string
	env    map[string]string
	stderr *syncBuffer
	// stop stops the server before the test ends (it is stopped at the
	// end anyway) and checks that it shut down cleanly.
	stop func()
}

// syncBuffer collects the server's logs; the server writes from many
// goroutines while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is the environment of a test server: cheap hashing (the default
// parameters are exercised by the walkthrough), quiet logs.
func testEnv(dbURL string, overrides map[string]string) map[string]string {
	env := map[string]string{
		"ADDR":              "127.0.0.1:0",
		"DATABASE_URL":      dbURL,
		"ARGON2_MEMORY_KIB": "1024",
		"ARGON2_TIME":       "1",
		"LOG_LEVEL":         "warn",
		// Tests log in far more often than a person; the throttle has its
		// own tests with small limits.
		"RATE_LIMIT_ACCOUNT": "1000",
		"RATE_LIMIT_IP":      "10000",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return env
}

// prodSMTP is the SMTP_URL of production-mode test servers, which
// require one: a local relay address that nothing answers, as these tests
// read no mail (what is queued waits in the outbox).
const prodSMTP = "smtp://127.0.0.1:2525"

// prodAppURL is the frontend of production-mode test servers, which
// require an https one.
const prodAppURL = "https://app.example.com"

// prodRPID is the WEBAUTHN_RP_ID of production-mode test servers, whose
// WEBAUTHN_ORIGINS (required) is prodAppURL.
const prodRPID = "app.example.com"

func getenvFrom(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// startServer runs `gqlauth serve` until the test ends, then checks that it
// shut down cleanly.
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"gqlauth", "serve"}, getenvFrom(env), strings.NewReader(""), pw, stderr)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "gqlauth listening on "); ok {
				addr <- strings.TrimSuffix(rest, "/")
			}
		}
		close(addr)
	}()
	var url string
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatalf("server exited before listening: %v\nlogs:\n%s", <-done, stderr.String())
		}
		url = u
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start; logs:\n%s", stderr.String())
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("server exited with %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("server did not shut down")
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("server logs:\n%s", stderr.String())
		}
	})
	return &testServer{URL: url, env: env, stderr: stderr, stop: stop}
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// gqlResponse is a decoded GraphQL response.
type gqlResponse struct {
	Status int
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

// do posts a GraphQL operation with an optional bearer token.
func (s *testServer) do(t *testing.T, token, query string, vars map[string]any) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.send(t, req)
}

func (s *testServer) send(t *testing.T, req *http.Request) *gqlResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := decodeGQL(t, resp)
	return out
}

// decodeGQL reads and closes a GraphQL answer, failing the test unless it
// is JSON; it returns the raw body too, for tests that look at its bytes.
func decodeGQL(t *testing.T, resp *http.Response) (*gqlResponse, []byte) {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &gqlResponse{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("status %d, body not JSON: %s", resp.StatusCode, raw)
	}
	return out, raw
}

// ok fails the test unless r has no errors, and returns its data.
func ok(t *testing.T, r *gqlResponse) map[string]any {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	return r.Data
}

// wantErr fails the test unless r's first error has code (and reason, when
// given), and returns that error.
func wantErr(t *testing.T, r *gqlResponse, code, reason string) gqlError {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want %s/%s, got data %v", code, reason, r.Data)
	}
	e := r.Errors[0]
	if e.Extensions["code"] != code || (reason != "" && e.Extensions["reason"] != reason) {
		t.Fatalf("want %s/%s, got %+v", code, reason, r.Errors)
	}
	return e
}

// tokens is an AuthPayload's token pair.
type tokens struct{ access, refresh string }

const payloadFields = `accessToken refreshToken tokenType expiresIn fresh user { id email role createdAt }`

func payload(t *testing.T, data map[string]any, field string) (tokens, map[string]any) {
	t.Helper()
	p, okp := data[field].(map[string]any)
	if !okp {
		t.Fatalf("%s missing in %v", field, data)
	}
	return tokens{p["accessToken"].(string), p["refreshToken"].(string)}, p
}

func (s *testServer) register(t *testing.T, email, password string) (tokens, map[string]any) {
	t.Helper()
	r := s.do(t, "", `mutation($i: RegisterInput!) { register(input: $i) { `+payloadFields+` } }`,
		map[string]any{"i": map[string]any{"email": email, "password": password}})
	return payload(t, ok(t, r), "register")
}

func (s *testServer) login(t *testing.T, email, password string) (tokens, map[string]any) {
	t.Helper()
	r := s.do(t, "", `mutation($i: LoginInput!) { login(input: $i) { `+payloadFields+` } }`,
		map[string]any{"i": map[string]any{"email": email, "password": password}})
	return payload(t, ok(t, r), "login")
}

func (s *testServer) refresh(t *testing.T, refreshToken string) *gqlResponse {
	t.Helper()
	return s.do(t, "", `mutation($r: String) { refresh(refreshToken: $r) { `+payloadFields+` } }`,
		map[string]any{"r": refreshToken})
}

func (s *testServer) me(t *testing.T, token string) *gqlResponse {
	t.Helper()
	return s.do(t, token, `{ me { id email role createdAt } }`, nil)
}

// cli runs a gqlauth subcommand against the server's database.
func (s *testServer) cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"gqlauth"}, args...), getenvFrom(s.env), strings.NewReader(stdin), &out, &errb)
	if err != nil {
		t.Fatalf("gqlauth %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// forEachStore runs fn on a fresh SQLite file and a fresh PostgreSQL schema.
func forEachStore(t *testing.T, fn func(t *testing.T, dbURL string)) {
	dbtest.ForEachStore(t, fn)
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// tryDo is do without the test's fatal checks, for requests that may be
// cut off on purpose.
func tryDo(url, token, query string, vars map[string]any) (*gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := &gqlResponse{Status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, err
	}
	return out, nil
}

// changeDelay bounds how long a change made outside this server (by the
// CLI, or another replica) may take to reach its cache: NOTIFY on
// PostgreSQL, the 1 s resync on SQLite.
const changeDelay = 3 * time.Second

// eventually polls op until accept takes its answer or changeDelay passes,
// and returns the last answer for the test's own assertions.
func eventually(t *testing.T, op func() *gqlResponse, accept func(*gqlResponse) bool) *gqlResponse {
	t.Helper()
	deadline := time.Now().Add(changeDelay)
	for {
		r := op()
		if accept(r) || time.Now().After(deadline) {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failsWith accepts a response whose first error has code.
func failsWith(code string) func(*gqlResponse) bool {
	return func(r *gqlResponse) bool { return len(r.Errors) > 0 && r.Errors[0].Extensions["code"] == code }
}

// succeeds accepts a response without errors.
func succeeds(r *gqlResponse) bool { return len(r.Errors) == 0 }

// openTestApp wires the app in process (no listener) on env, for
// benchmarks and fuzzing that call its handler directly.
func openTestApp(tb testing.TB, env map[string]string) *app {
	tb.Helper()
	cfg, err := loadConfig(getenvFrom(env))
	if err != nil {
		tb.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.close() })
	return a
}
