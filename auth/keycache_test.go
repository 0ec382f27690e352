package auth_test

// FAILS ON PURPOSE: a finding of the service tests, left red for the lead.
//
// Tokens.Parse remembers verified access tokens by hash and, on a cache
// hit, re-checks only their lifetimes, not that their key is still
// accepted. A token verified once while its key was accepted therefore
// keeps verifying after a reload has dropped the key (a retired key past
// its window, or a key deleted from signing_keys because it leaked), until
// the token's own exp, which whoever holds the leaked key chooses. The fix
// is small: drop cached tokens of keys that leave the set (or keep the kid
// with the cached claims and look it up on each hit).

import (
	"testing"
	"time"
)

func TestRetiredKeyNotAcceptedFromVerifiedCache(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	old := newHarness(t, options{Key: k1})
	old.startKeys()
	old.newUser("alice@example.com")
	rotated := old.replica(options{Key: k2})
	rotated.startKeys() // retires k1
	horizon := rotated.clock.Now().Add(refreshTTL + leeway)

	old.clock.Advance(horizon.Sub(old.clock.Now()) - time.Second)
	tok, err := old.login(old.anon(), "alice@example.com", goodPassword) // signed with k1
	check(t, "login on the k1 replica", err, ok)
	rotated.reloadKeys()
	check(t, "k1 token before the horizon", rotated.parseAccess(tok.Access), ok) // now cached

	old.clock.Advance(2 * time.Second)
	rotated.reloadKeys() // k1 leaves the accepted set
	check(t, "the same k1 token past the horizon", rotated.parseAccess(tok.Access), invalid)
}
