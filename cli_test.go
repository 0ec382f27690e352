package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs one gqlauth command as main would, returning its output and
// its log lines.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"gqlauth"}, args...), getenvFrom(env), strings.NewReader(stdin), &out, &errb); err != nil {
		t.Fatalf("gqlauth %v: %v\n%s", args, err, errb.String())
	}
	return out.String(), errb.String()
}

// TestCLISignsNothingWarnsNothing: the account and audit commands never
// sign a token, so on a fresh database without JWT_SECRET they neither
// warn about it nor generate and store a secret; the server, which signs,
// still warns.
func TestCLISignsNothingWarnsNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		env := testEnv(dbURL, nil)
		for _, args := range [][]string{
			{"user", "list"},
			{"user", "create", "--email", "root@example.com", "--role", "admin"},
			{"user", "set-role", "--email", "root@example.com", "--role", "USER"},
			{"user", "disable", "--email", "root@example.com"},
			{"user", "enable", "--email", "root@example.com"},
			{"user", "revoke-sessions", "--email", "root@example.com"},
			{"user", "verify", "--email", "root@example.com"},
			{"user", "collisions"},
			{"audit", "tail"},
		} {
			_, logs := runCLI(t, env, "password-123\n", args...)
			if strings.Contains(logs, "JWT_SECRET") {
				t.Errorf("gqlauth %s warned about JWT_SECRET:\n%s", strings.Join(args, " "), logs)
			}
		}
		s := startServer(t, env)
		if !strings.Contains(s.stderr.String(), "JWT_SECRET is not set") {
			t.Error("the server did not warn about the generated secret")
		}
		tok, _ := s.login(t, "root@example.com", "password-123")
		ok(t, s.me(t, tok.access))
	})
}
