package main

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// TestWebAuthnConfig: outside production the allowed origins default to
// the development pages; production names them, each https and on the RP
// ID, since an origin allowed by mistake lets its pages use the passkeys.
func TestWebAuthnConfig(t *testing.T) {
	dev, err := loadConfig(getenvFrom(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if w := dev.WebAuthn; w.RPID != "localhost" || w.RPName != "gqlauth" ||
		!slices.Equal(w.Origins, []string{"http://localhost:8080", "http://localhost:5173"}) {
		t.Fatalf("development defaults = %+v", w)
	}
	if c, err := loadConfig(getenvFrom(map[string]string{"PORT": "9000", "APP_URL": "http://127.0.0.1:3000"})); err != nil ||
		!slices.Equal(c.WebAuthn.Origins, []string{"http://localhost:9000"}) {
		t.Fatalf("origins with PORT and an APP_URL off the RP ID = %v (%v)", c.WebAuthn.Origins, err)
	}
	// No default applies: passkeys are off, the server starts.
	c, err := loadConfig(getenvFrom(map[string]string{"ADDR": "127.0.0.1:0", "APP_URL": "https://app.example.com"}))
	if err != nil || len(c.WebAuthn.Origins) != 0 {
		t.Fatalf("origins = %v (%v)", c.WebAuthn.Origins, err)
	}
	if rp, err := relyingParty(c, slog.New(slog.DiscardHandler)); rp != nil || err != nil {
		t.Fatalf("relying party without origins = %v, %v", rp, err)
	}

	prod := map[string]string{"APP_ENV": "production", "JWT_SECRET": "a-production-secret-long-enough-for-hs256",
		"SMTP_URL": prodSMTP, "APP_URL": prodAppURL, "MFA_ENCRYPTION_KEY": testMfaKey}
	for _, tc := range []struct {
		rpID, origins, problem string
	}{
		{"", "", "WEBAUTHN_ORIGINS: required when APP_ENV=production"},
		{"example.com", "http://app.example.com", "must be https (http only on localhost)"},
		{"example.com", "https://example.org", "its host must be WEBAUTHN_RP_ID (example.com) or a subdomain of it"},
		{"example.com", "https://notexample.com", "its host must be WEBAUTHN_RP_ID"},
		{"example.com", "https://app.example.com/login", "must be scheme://host[:port]"},
		{"https://example.com", "https://example.com", "WEBAUTHN_RP_ID: must be a domain"},
		{"127.0.0.1", "https://example.com", "WEBAUTHN_RP_ID: must be a domain"},
	} {
		env := map[string]string{"WEBAUTHN_RP_ID": tc.rpID, "WEBAUTHN_ORIGINS": tc.origins}
		for k, v := range prod {
			env[k] = v
		}
		if _, err := loadConfig(getenvFrom(env)); err == nil || !strings.Contains(err.Error(), tc.problem) {
			t.Errorf("WEBAUTHN_RP_ID=%q WEBAUTHN_ORIGINS=%q: %v, want %q", tc.rpID, tc.origins, err, tc.problem)
		}
	}
	prod["WEBAUTHN_RP_ID"], prod["WEBAUTHN_ORIGINS"] = "Example.com", "https://example.com, https://app.example.com:8443/"
	c, err = loadConfig(getenvFrom(prod))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.WebAuthn; w.RPID != "example.com" || !slices.Equal(w.Origins, []string{"https://example.com", "https://app.example.com:8443"}) {
		t.Fatalf("production = %+v", w)
	}
	if rp, err := relyingParty(c, slog.Default()); err != nil || rp == nil {
		t.Fatal(rp, err)
	}
}
