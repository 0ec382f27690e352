package auth_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

func newKey(t *testing.T) *auth.SigningKey {
	t.Helper()
	pemBytes, err := auth.GenerateKey(auth.AlgEdDSA, 0)
	if err != nil {
		t.Fatal(err)
	}
	k, err := auth.ParsePrivateKey(auth.AlgEdDSA, pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// After a key rotation the retired key's tokens keep verifying for as long
// as any of them can be alive (a refresh-token lifetime plus leeway), and
// not a second longer: then the key leaves the JWKS and even a token signed
// with it just now (a leaked retired key) is refused.
func TestRetiredSigningKeyExpires(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	old := newHarness(t, options{Key: k1}) // a replica still signing with k1
	old.startKeys()
	alice := old.newUser("alice@example.com")

	rotated := old.replica(options{Key: k2})
	rotated.startKeys() // publishes k2, retires k1
	retiredAt := rotated.clock.Now()
	if kids := rotated.jwksKIDs(); !slices.Equal(kids, []string{k2.ID, k1.ID}) {
		t.Fatalf("JWKS after rotation %v, want [%s %s]", kids, k2.ID, k1.ID)
	}
	_, err := rotated.me(rotated.asUser(alice.Access))
	check(t, "k1 access token on the rotated replica", err, ok)
	alice = rotated.refreshedFrom(clientIP, alice)
	if err := old.parseAccess(alice.Access); err != nil {
		// The old replica learns k2 on its first sight of it.
		t.Fatalf("k2 token on the k1 replica: %v", err)
	}

	horizon := retiredAt.Add(refreshTTL + leeway)
	old.clock.Advance(horizon.Sub(old.clock.Now()) - time.Second)
	leaked, err := old.login(old.anon(), "alice@example.com", goodPassword) // signed with k1 now
	check(t, "login on the k1 replica", err, ok)
	rotated.reloadKeys()
	check(t, "k1 token a second before the horizon", rotated.parseAccess(leaked.Access), ok)

	old.clock.Advance(2 * time.Second)
	leaked, err = old.login(old.anon(), "alice@example.com", goodPassword)
	check(t, "login on the k1 replica", err, ok)
	rotated.reloadKeys()
	check(t, "k1 token past the horizon", rotated.parseAccess(leaked.Access), invalid)
	if kids := rotated.jwksKIDs(); !slices.Equal(kids, []string{k2.ID}) {
		t.Fatalf("JWKS past the horizon %v, want [%s]", kids, k2.ID)
	}
}

// A key another replica starts signing with is picked up on first sight
// of one of its tokens, without waiting for the periodic reload.
func TestNewSigningKeyLearnedOnFirstSight(t *testing.T) {
	a := newHarness(t, options{Key: newKey(t)})
	a.startKeys()
	b := a.replica(options{Key: newKey(t)})
	b.startKeys()
	p := b.newUser("alice@example.com")
	_, err := a.me(a.asUser(p.Access))
	check(t, "b's token on a", err, ok)
	if n := len(a.jwksKIDs()); n != 2 {
		t.Fatalf("a publishes %d keys, want 2", n)
	}
}

// Rows of signing_keys that do not parse, or whose kid is not their key's
// thumbprint, are skipped (and logged) rather than trusted or fatal.
func TestUnusableStoredKeysSkipped(t *testing.T) {
	k := newKey(t)
	h := newHarness(t, options{Key: newKey(t), ErrorLogs: true})
	pemText, err := k.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	h.sql(`INSERT INTO signing_keys (kid, alg, public_key, created_at) VALUES (?, ?, ?, ?)`,
		"garbage", auth.AlgEdDSA, "not a PEM", h.clock.Now())
	h.sql(`INSERT INTO signing_keys (kid, alg, public_key, created_at) VALUES (?, ?, ?, ?)`,
		"not-its-thumbprint", auth.AlgEdDSA, pemText, h.clock.Now())
	h.startKeys()
	if n := len(h.jwksKIDs()); n != 1 {
		t.Fatalf("JWKS has %d keys, want only the signing key", n)
	}
}

// An HS256 secret is never stored nor published.
func TestHMACKeyNeverPublished(t *testing.T) {
	h := newHarness(t, options{})
	h.startKeys()
	if n := h.count(`SELECT COUNT(*) FROM signing_keys`); n != 0 {
		t.Fatalf("%d keys stored", n)
	}
	if kids := h.jwksKIDs(); len(kids) != 0 {
		t.Fatalf("JWKS %v", kids)
	}
}
