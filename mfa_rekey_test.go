package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// Two MFA_ENCRYPTION_KEYs: the one TOTP secrets were sealed with, and the
// one an operator rotates to.
const (
	oldMfaKey = "the-mfa-encryption-key-before-the-rotation"
	newMfaKey = "the-mfa-encryption-key-after-the-rotation!"
)

// rekey runs `gqlauth mfa rekey` with env and returns its output.
func rekey(env map[string]string) (string, error) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"gqlauth", "mfa", "rekey"}, getenvFrom(env), strings.NewReader(""), &out, &errb)
	return out.String(), err
}

// TestMfaKeyRotation: with MFA_ENCRYPTION_KEY rotated and the old key in
// MFA_ENCRYPTION_KEY_PREVIOUS, codes sealed under the old key still work
// and are sealed again under the new one as they are used; `gqlauth mfa
// rekey` reseals the rest, after which the old key can go. Without it, an
// unreadable secret is named (and its user's recovery codes still work).
func TestMfaKeyRotation(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		before := testEnv(dbURL, map[string]string{"MFA_ENCRYPTION_KEY": oldMfaKey})
		s := startServer(t, before)
		used := s.enroll(t, "used@example.com")
		idle := s.enroll(t, "idle@example.com")
		s.stop()

		rotating := testEnv(dbURL, map[string]string{"MFA_ENCRYPTION_KEY": newMfaKey, "MFA_ENCRYPTION_KEY_PREVIOUS": oldMfaKey})
		after := testEnv(dbURL, map[string]string{"MFA_ENCRYPTION_KEY": newMfaKey})

		// During the rotation, a code sealed under the old key works, and
		// its secret is sealed again under the new one.
		s = startServer(t, rotating)
		tk := s.verify(t, s.firstStep(t, used.email, used.password), totpAt(t, used.secret, used.step.Add(30*time.Second)))
		wantAuthn(t, tk.access, "aal2", "pwd", "otp")
		s.stop()

		// With the new key alone: the used secret opens, the idle one
		// does not, and the command says whose, and fails.
		out, err := rekey(after)
		if err == nil || !strings.Contains(err.Error(), "1 TOTP secrets open under no configured key") || !strings.Contains(err.Error(), idle.id) ||
			strings.Contains(err.Error(), used.id) || !strings.Contains(out, "resealed 0 TOTP secrets under the current key; 1 were current already") {
			t.Fatalf("rekey with the new key only: %q, %v", out, err)
		}
		// Its user is not locked out: a recovery code still works.
		s = startServer(t, after)
		tk = s.verify(t, s.firstStep(t, idle.email, idle.password), idle.recovery[0])
		wantAuthn(t, tk.access, "aal2", "pwd", "recovery")
		s.stop()

		// The command with both keys reseals the idle secret...
		if out, err = rekey(rotating); err != nil || !strings.Contains(out, "resealed 1 TOTP secrets under the current key; 1 were current already") {
			t.Fatalf("rekey during the rotation: %q, %v", out, err)
		}
		if out, err = rekey(after); err != nil || !strings.Contains(out, "resealed 0 TOTP secrets under the current key; 2 were current already") {
			t.Fatalf("rekey after the rotation: %q, %v", out, err)
		}
		// ...so that its code works with the new key alone.
		s = startServer(t, after)
		tk = s.verify(t, s.firstStep(t, idle.email, idle.password), totpAt(t, idle.secret, idle.step.Add(30*time.Second)))
		wantAuthn(t, tk.access, "aal2", "pwd", "otp")

		// A key that sealed nothing opens nothing.
		wrong := testEnv(dbURL, map[string]string{"MFA_ENCRYPTION_KEY": "a-key-that-never-sealed-any-totp-secret"})
		if _, err := rekey(wrong); err == nil || !strings.Contains(err.Error(), "2 TOTP secrets open under no configured key") {
			t.Fatalf("rekey with an unrelated key: %v", err)
		}
	})
}

// TestMfaPreviousKeyConfig: MFA_ENCRYPTION_KEY_PREVIOUS is held to the
// same length as the key.
func TestMfaPreviousKeyConfig(t *testing.T) {
	env := testEnv("sqlite::memory:", map[string]string{"MFA_ENCRYPTION_KEY": newMfaKey, "MFA_ENCRYPTION_KEY_PREVIOUS": "short"})
	if _, err := loadConfig(getenvFrom(env)); err == nil || !strings.Contains(err.Error(), "MFA_ENCRYPTION_KEY_PREVIOUS: must be at least 32 bytes") {
		t.Fatalf("short MFA_ENCRYPTION_KEY_PREVIOUS: %v", err)
	}
}
