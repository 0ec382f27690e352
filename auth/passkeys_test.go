package auth

import (
	"strings"
	"testing"
)

// TestCounterAdvanced is WebAuthn's signature counter rule: a counter
// grows with every use, or stays 0 on authenticators that keep none; a
// counter that stands still or goes back (nonzero on either side) is a
// copied key.
func TestCounterAdvanced(t *testing.T) {
	for _, tc := range []struct {
		stored, got int64
		ok          bool
	}{
		{0, 0, true}, {0, 1, true}, {5, 6, true}, {5, 500, true},
		{5, 5, false}, {5, 4, false}, {5, 0, false}, {0, 0, true},
	} {
		if got := counterAdvanced(tc.stored, tc.got); got != tc.ok {
			t.Errorf("counterAdvanced(%d, %d) = %v, want %v", tc.stored, tc.got, got, tc.ok)
		}
	}
}

func TestPasskeyName(t *testing.T) {
	for in, want := range map[string]string{"  Laptop ": "Laptop", "Téléphone 📱": "Téléphone 📱", strings.Repeat("é", 64): strings.Repeat("é", 64)} {
		if got, err := passkeyName(in); err != nil || got != want {
			t.Errorf("passkeyName(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "   ", strings.Repeat("x", 65), "a\x00b", "tab\there", "new\nline"} {
		if _, err := passkeyName(in); ErrorCode(err) != CodeBadUserInput {
			t.Errorf("passkeyName(%q) = %v, want BAD_USER_INPUT", in, err)
		}
	}
}

// A passkey login reaches aal2 alone, and as a second step.
func TestPasskeyAAL(t *testing.T) {
	if aalOf([]string{AMRHardwareKey}) != AAL2 || aalOf([]string{AMRPassword, AMRHardwareKey}) != AAL2 || aalOf([]string{AMRPassword}) != AAL1 {
		t.Fatal("hwk does not reach aal2")
	}
}
