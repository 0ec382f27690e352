package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestHashWorkersDefault: logins use every core when the hashes run at
// SCHED_IDLE (the kernel then preempts them at once for token checks), and
// leave a core free otherwise.
func TestHashWorkersDefault(t *testing.T) {
	tests := []struct {
		isolation string
		want      int
	}{
		{"", runtime.NumCPU()}, // the default, idle+nice:5
		{"idle+nice:5", runtime.NumCPU()},
		{"idle", runtime.NumCPU()},
		{"nice:5", max(1, runtime.NumCPU()-1)},
		{"process", max(1, runtime.NumCPU()-1)},
		{"off", max(1, runtime.NumCPU()-1)},
	}
	for _, tc := range tests {
		c, err := loadConfig(getenvFrom(map[string]string{"HASH_ISOLATION": tc.isolation}))
		if err != nil {
			t.Fatal(err)
		}
		if c.HashWorkers != tc.want || c.HashQueue != 8*tc.want {
			t.Errorf("HASH_ISOLATION=%q: HASH_WORKERS %d, HASH_QUEUE %d; want %d and %d", tc.isolation, c.HashWorkers, c.HashQueue, tc.want, 8*tc.want)
		}
	}
	c, err := loadConfig(getenvFrom(map[string]string{"HASH_WORKERS": "3"}))
	if err != nil || c.HashWorkers != 3 {
		t.Fatalf("HASH_WORKERS=3: %v, %v", c, err)
	}
}

// TestMetricsOperationsChecked: METRICS_OPERATIONS holds GraphQL names,
// not too many, each once.
func TestMetricsOperationsChecked(t *testing.T) {
	c, err := loadConfig(getenvFrom(map[string]string{"METRICS_OPERATIONS": " Login, Me,,Login "}))
	if err != nil || !slices.Equal(c.MetricsOps, []string{"Login", "Me"}) {
		t.Fatalf("%v, %v", c, err)
	}
	var many []string
	for i := range maxMetricsOperations + 1 {
		many = append(many, fmt.Sprintf("Op%d", i))
	}
	for _, bad := range []string{"Me, not-a-name", "1st", strings.Join(many, ",")} {
		if _, err := loadConfig(getenvFrom(map[string]string{"METRICS_OPERATIONS": bad})); err == nil || !strings.Contains(err.Error(), "METRICS_OPERATIONS") {
			t.Errorf("METRICS_OPERATIONS=%.40q accepted: %v", bad, err)
		}
	}
}

// TestAccessTTLMustExceedLeeway: a token is accepted until exp plus the
// leeway, so a lifetime within the leeway (a 2 s token would live 32 s with
// the default) stops the server with one line naming both settings.
func TestAccessTTLMustExceedLeeway(t *testing.T) {
	// Cancelled: were the configuration accepted, run would give up at
	// once instead of serving for ever.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, over := range []map[string]string{
		{"ACCESS_TOKEN_TTL": "2s"},
		{"ACCESS_TOKEN_TTL": "30s"},
		{"ACCESS_TOKEN_TTL": "5s", "JWT_LEEWAY": "1m"},
	} {
		env := testEnv(sqliteURL(t), over)
		err := run(ctx, []string{"gqlauth"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "ACCESS_TOKEN_TTL: must be longer than JWT_LEEWAY") {
			t.Errorf("%v: started or said %v", over, err)
		}
	}
	for _, env := range []map[string]string{
		{"ACCESS_TOKEN_TTL": "2s", "JWT_LEEWAY": "0s"},
		{"ACCESS_TOKEN_TTL": "31s"},
	} {
		if _, err := loadConfig(getenvFrom(env)); err != nil {
			t.Errorf("%v refused: %v", env, err)
		}
	}
}

// TestMailConfig: SMTP_URL may come from a file (it holds the SMTP
// password), and a bad one is refused at start-up without echoing the
// password; a bad MAIL_FROM or APP_URL is refused too.
func TestMailConfig(t *testing.T) {
	f := filepath.Join(t.TempDir(), "smtp")
	if err := os.WriteFile(f, []byte("smtps://user:s3cret@mail.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(getenvFrom(map[string]string{"SMTP_URL_FILE": f, "APP_URL": "https://app.example.com/"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.SMTPURL != "smtps://user:s3cret@mail.example.com" || c.Mail.AppURL != "https://app.example.com" || c.Mail.Templates == nil {
		t.Fatalf("mail config %+v", c.Mail)
	}
	_, err = loadConfig(getenvFrom(map[string]string{"SMTP_URL": "imap://user:s3cret@mail.example.com", "MAIL_FROM": "nobody", "APP_URL": "app.example.com"}))
	if err == nil {
		t.Fatal("bad mail settings accepted")
	}
	for _, want := range []string{"SMTP_URL: scheme", "MAIL_FROM", "APP_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the SMTP password is in the error:\n%v", err)
	}
	// A URL that does not parse: url.Parse's own error would quote it.
	_, err = loadConfig(getenvFrom(map[string]string{"SMTP_URL": "smtp://user:s3cret@mail.example.com:x"}))
	if err == nil || !strings.Contains(err.Error(), "SMTP_URL") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("an unparsable SMTP_URL: %v", err)
	}
}

// TestProductionRequiresSMTP: production refuses to start without
// SMTP_URL (mail, reset links included, would go to the log) or with a
// non-https APP_URL (the links would cross the network in clear), and
// says so.
func TestProductionRequiresSMTP(t *testing.T) {
	env := map[string]string{"APP_ENV": "production", "JWT_SECRET": "a-production-secret-long-enough-for-hs256", "MFA_ENCRYPTION_KEY": testMfaKey,
		"WEBAUTHN_RP_ID": prodRPID, "WEBAUTHN_ORIGINS": prodAppURL}
	if _, err := loadConfig(getenvFrom(env)); err == nil || !strings.Contains(err.Error(), "SMTP_URL: required when APP_ENV=production") {
		t.Fatalf("started without SMTP_URL: %v", err)
	}
	env["SMTP_URL"] = prodSMTP
	if _, err := loadConfig(getenvFrom(env)); err == nil || !strings.Contains(err.Error(), "APP_URL: must be your frontend's https URL") {
		t.Fatalf("started with the development APP_URL: %v", err)
	}
	env["APP_URL"] = prodAppURL
	if _, err := loadConfig(getenvFrom(env)); err != nil {
		t.Fatal(err)
	}
}
