package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

func sqliteURL(t *testing.T) string { return dbtest.SQLiteURL(t) }

// TestGeneratedSecretSurvivesRestart: without JWT_SECRET outside
// production, the generated secret is kept, so tokens outlive a restart.
func TestGeneratedSecretSurvivesRestart(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		env := testEnv(dbURL, nil)
		s1 := startServer(t, env)
		tok, _ := s1.register(t, "nina@example.com", "password-123")
		if !strings.Contains(s1.stderr.String(), "JWT_SECRET is not set") {
			t.Error("no warning about the generated secret")
		}
		s2 := startServer(t, env) // a second process on the same database, as after a restart
		ok(t, s2.me(t, tok.access))
	})
}

func TestProductionRequiresSecret(t *testing.T) {
	var out, errb bytes.Buffer
	// Cancelled up front: if the configuration were accepted, the server
	// would stop at once and the test fail, rather than serve until the
	// test binary times out.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env := map[string]string{"APP_ENV": "production", "DATABASE_URL": sqliteURL(t), "SMTP_URL": prodSMTP, "APP_URL": prodAppURL}
	err := run(ctx, []string{"gqlauth"}, getenvFrom(env), strings.NewReader(""), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") || !strings.Contains(err.Error(), "production") {
		t.Fatalf("err = %v", err)
	}
	env["JWT_SECRET"] = "too-short"
	err = run(ctx, []string{"gqlauth"}, getenvFrom(env), strings.NewReader(""), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("err = %v", err)
	}
}

func TestInvalidConfigurationListsEveryProblem(t *testing.T) {
	env := map[string]string{"ACCESS_TOKEN_TTL": "soon", "LOG_FORMAT": "xml", "PLAYGROUND": "maybe", "HASH_ISOLATION": "nice:20"}
	err := run(context.Background(), []string{"gqlauth"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("started with a bad configuration")
	}
	for _, want := range []string{"ACCESS_TOKEN_TTL", "LOG_FORMAT", "PLAYGROUND", "HASH_ISOLATION"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestHelpListsSettings(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"gqlauth", "--help"}, getenvFrom(nil), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), s.env) {
			t.Errorf("--help does not list %s", s.env)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	if err := writeFile(f, "a-secret-from-a-file-that-is-long-enough\n"); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"JWT_SECRET_FILE": f, "APP_ENV": "production", "SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey, "WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL}))
	tok, _ := s.register(t, "olga@example.com", "password-123")
	ok(t, s.me(t, tok.access))
	if strings.Contains(s.stderr.String(), "a-secret-from-a-file") {
		t.Fatal("secret in logs")
	}
}

func TestHealthAndPlayground(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, nil))
		for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ok"`, "/": "<html"} {
			resp, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(b.String()), strings.ToLower(want)) {
				t.Errorf("GET %s = %d %q", path, resp.StatusCode, b.String())
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("GET %s has no X-Request-Id", path)
			}
		}
	})
}

// TestMigrateCommand: `migrate status` lists every migration and applies
// none; `migrate` names each version it applies, then has nothing to do.
func TestMigrateCommand(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		env := testEnv(dbURL, nil)
		for range 2 { // status twice: the first changed nothing
			out, _ := runCLI(t, env, "", "migrate", "status")
			if !strings.Contains(out, "0 applied, 13 pending") || !regexp.MustCompile(`(?m)^1\s+00001_init\.sql\s+pending\s+-$`).MatchString(out) {
				t.Fatalf("status of a fresh database:\n%s", out)
			}
		}
		out, _ := runCLI(t, env, "", "migrate")
		for _, want := range []string{"applied 1 00001_init.sql\n", "applied 5 00005_change_notify.sql\n", "applied 6 canonical emails (Go)\n", "applied 7 00007_mail_outbox.sql\n", "applied 8 00008_email_lifecycle.sql\n", "applied 9 00009_custom_claims.sql\n", "applied 10 00010_totp.sql\n", "applied 11 00011_passkeys.sql\n", "applied 12 00012_oidc.sql\n", "applied 13 00013_oidc_flow_binding.sql\n", ": 13 new"} {
			if !strings.Contains(out, want) {
				t.Errorf("migrate lacks %q:\n%s", want, out)
			}
		}
		if out, _ := runCLI(t, env, "", "migrate"); strings.Contains(out, "applied 1") || !strings.Contains(out, "none pending") {
			t.Errorf("second migrate:\n%s", out)
		}
		out, _ = runCLI(t, env, "", "migrate", "status")
		if !strings.Contains(out, "13 applied, 0 pending") || !regexp.MustCompile(`(?m)^6\s+canonical emails \(Go\)\s+applied\s+\d{4}-`).MatchString(out) {
			t.Errorf("status after migrate:\n%s", out)
		}
	})
}
