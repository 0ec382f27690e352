package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

func newKeyTokens(t *testing.T, alg string, c *clock) (*Tokens, *SigningKey) {
	t.Helper()
	pemBytes, err := GenerateKey(alg, MinRSABits)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(alg, pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := NewTokens(TokenConfig{Key: k, Issuer: "gqlauth", Audience: "gqlauth",
		AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return tk, k
}

// TestKeysRoundTrip: every algorithm's key survives PEM, its public half
// survives the store, and the kid is the same wherever it is derived.
func TestKeysRoundTrip(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	for _, alg := range []string{AlgEdDSA, AlgES256, AlgRS256} {
		tk, k := newKeyTokens(t, alg, c)
		iss, err := tk.Issue(AccessToken, testUser, "s1", "", "", true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Parse(iss.Token, AccessToken); err != nil {
			t.Fatalf("%s: own token refused: %v", alg, err)
		}
		pemText, err := k.PublicKeyPEM()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKey(alg, pemText)
		if err != nil || pub.ID != k.ID || len(k.ID) != 43 {
			t.Fatalf("%s: public key kid %q vs %q (%v)", alg, pub.ID, k.ID, err)
		}
		// The public key alone verifies, through a Tokens that signs with
		// another key and learns this one from its source.
		other, _ := newKeyTokens(t, AlgEdDSA, c)
		if _, err := other.Parse(iss.Token, AccessToken); err == nil {
			t.Fatalf("%s: verified with no key", alg)
		}
		c.t = c.t.Add(2 * keyReloadInterval)
		if err := other.SetKeySource(context.Background(), func(context.Context) ([]*VerifyKey, error) { return []*VerifyKey{pub}, nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Parse(iss.Token, AccessToken); err != nil {
			t.Fatalf("%s: not verified with the published key: %v", alg, err)
		}
	}
}

// TestParsePrivateKeyRefusesMismatch: a key is used only for the algorithm
// it was made for.
func TestParsePrivateKeyRefusesMismatch(t *testing.T) {
	ed, _ := GenerateKey(AlgEdDSA, 0)
	ec, _ := GenerateKey(AlgES256, 0)
	for _, tc := range []struct {
		alg  string
		pem  []byte
		want string
	}{
		{AlgES256, ed, "Ed25519"},
		{AlgRS256, ec, "does not fit RS256"},
		{AlgEdDSA, ec, "EdDSA"},
		{AlgEdDSA, []byte("not pem"), "no PEM block"},
		{AlgEdDSA, append(append([]byte{}, ed...), ed...), "more than one PEM block"},
	} {
		if _, err := ParsePrivateKey(tc.alg, tc.pem); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want error about %q, got %v", tc.alg, tc.want, err)
		}
	}
	if _, err := GenerateKey(AlgRS256, 1024); err == nil {
		t.Error("generated a 1024-bit RSA key")
	}
}

// TestUnknownKidReloadIsRateLimited: tokens naming made-up kids cannot
// turn into a database query each.
func TestUnknownKidReloadIsRateLimited(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk, _ := newKeyTokens(t, AlgEdDSA, c)
	calls := 0
	if err := tk.SetKeySource(context.Background(), func(context.Context) ([]*VerifyKey, error) { calls++; return nil, nil }); err != nil {
		t.Fatal(err)
	}
	stranger, _ := newKeyTokens(t, AlgEdDSA, c)
	iss, _ := stranger.Issue(AccessToken, testUser, "s1", "", "", true)
	for range 100 {
		if _, err := tk.Parse(iss.Token, AccessToken); err == nil {
			t.Fatal("accepted a token from an unknown key")
		}
	}
	if calls != 2 { // the initial load and one reload for the first miss
		t.Fatalf("key source asked %d times, want 2", calls)
	}
	c.t = c.t.Add(keyReloadInterval)
	tk.Parse(iss.Token, AccessToken)
	if calls != 3 {
		t.Fatalf("key source asked %d times after the interval, want 3", calls)
	}
}
