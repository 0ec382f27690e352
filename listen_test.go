package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestListenAddressDefaults: ADDR wins; else PORT (set by Cloud Run, Heroku
// and Fly) on every interface; else :8080 in production; else this
// machine only.
func TestListenAddressDefaults(t *testing.T) {
	secret := "a-production-secret-that-is-long-enough"
	tests := []struct {
		env       map[string]string
		addr      string
		localOnly bool
	}{
		{map[string]string{}, "127.0.0.1:8080", true},
		{map[string]string{"APP_ENV": "production", "JWT_SECRET": secret, "SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey, "WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL}, ":8080", false},
		{map[string]string{"PORT": "9000"}, ":9000", false},
		{map[string]string{"PORT": "9000", "APP_ENV": "production", "JWT_SECRET": secret, "SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey, "WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL}, ":9000", false},
		{map[string]string{"PORT": "9000", "ADDR": "127.0.0.1:7000"}, "127.0.0.1:7000", false},
		{map[string]string{"ADDR": ":8081"}, ":8081", false},
	}
	for _, tc := range tests {
		c, err := loadConfig(getenvFrom(tc.env))
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if c.Addr != tc.addr || c.LocalOnly != tc.localOnly {
			t.Errorf("%v: Addr %q (local only %v), want %q (%v)", tc.env, c.Addr, c.LocalOnly, tc.addr, tc.localOnly)
		}
	}
	for _, port := range []string{"http", "0", "65536", "-1"} {
		if _, err := loadConfig(getenvFrom(map[string]string{"PORT": port})); err == nil || !strings.Contains(err.Error(), "PORT: must be a port number") {
			t.Errorf("PORT=%s: %v", port, err)
		}
	}
}

// TestServesOnPORT: with ADDR unset the server listens on PORT.
func TestServesOnPORT(t *testing.T) {
	_, port, _ := net.SplitHostPort(freePort(t))
	env := testEnv(sqliteURL(t), map[string]string{"PORT": port})
	delete(env, "ADDR")
	s := startServer(t, env)
	if !strings.HasSuffix(s.URL, ":"+port) {
		t.Fatalf("listening on %s, want port %s", s.URL, port)
	}
	tok, _ := s.register(t, "port@example.com", "password-123")
	ok(t, s.me(t, tok.access))
}

// TestDevelopmentListensOnLoopback: `go run .` with no ADDR or PORT serves
// this machine only and says how to serve every interface.
func TestDevelopmentListensOnLoopback(t *testing.T) {
	if l, err := net.Listen("tcp", "127.0.0.1:8080"); err != nil {
		t.Skipf("port 8080 is taken here: %v", err)
	} else {
		l.Close()
	}
	env := testEnv(sqliteURL(t), map[string]string{"LOG_LEVEL": "info"})
	delete(env, "ADDR")
	s := startServer(t, env)
	if s.URL != "http://127.0.0.1:8080" {
		t.Fatalf("listening on %s, want http://127.0.0.1:8080", s.URL)
	}
	if !strings.Contains(s.stderr.String(), "set ADDR=:8080 to listen on every interface") {
		t.Errorf("no hint about ADDR in the logs:\n%s", s.stderr.String())
	}
}

// TestDatabaseURLFromFile: DATABASE_URL_FILE names a file holding the URL,
// as container platforms mount secrets; its trailing newline is not part
// of it, and setting both is refused.
func TestDatabaseURLFromFile(t *testing.T) {
	t.Chdir(t.TempDir()) // were the file ignored, the default ./data/ lands here
	forEachStore(t, func(t *testing.T, dbURL string) {
		f := filepath.Join(t.TempDir(), "database-url")
		if err := writeFile(f, dbURL+"\n"); err != nil {
			t.Fatal(err)
		}
		env := testEnv("", map[string]string{"DATABASE_URL_FILE": f})
		delete(env, "DATABASE_URL")
		s := startServer(t, env)
		s.register(t, "file@example.com", "password-123")
		// The same database, reached by its URL directly.
		if out, _ := runCLI(t, testEnv(dbURL, nil), "", "user", "list"); !strings.Contains(out, "file@example.com") {
			t.Fatalf("the user is not in the database the file names:\n%s", out)
		}
		env["DATABASE_URL"] = dbURL
		err := run(context.Background(), []string{"gqlauth", "migrate"}, getenvFrom(env), nil, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE: set either DATABASE_URL or DATABASE_URL_FILE, not both") {
			t.Fatalf("both set: %v", err)
		}
	})
	err := run(context.Background(), []string{"gqlauth", "migrate"}, getenvFrom(map[string]string{"DATABASE_URL_FILE": "/nonexistent/url"}), nil, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE: cannot read the file") {
		t.Fatalf("missing file: %v", err)
	}
}
