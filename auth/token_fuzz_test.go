package auth

import (
	"testing"
	"time"
)

// FuzzParseToken: no input panics the verifier, and nothing but a token
// this server signed is ever accepted.
func FuzzParseToken(f *testing.F) {
	// A fixed clock and jti make the seed token identical in every fuzz
	// worker process.
	c := &clock{time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	tk, err := NewTokens(TokenConfig{Secret: testSecret, Issuer: "gqlauth", Audience: "gqlauth",
		AccessTTL: 15 * time.Minute, RefreshTTL: time.Hour, Leeway: 30 * time.Second}, c.now)
	if err != nil {
		f.Fatal(err)
	}
	good, err := tk.Issue(AccessToken, testUser, "s1", "fuzz-jti", "", true)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good.Token)
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1MSJ9.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		claims, err := tk.Parse(raw, AccessToken)
		if err != nil {
			if ErrorCode(err) != CodeUnauthenticated {
				t.Fatalf("error without UNAUTHENTICATED: %v", err)
			}
			return
		}
		if raw != good.Token {
			// A different string can only verify if it decodes to the same
			// signed bytes (base64 padding slack); it must then carry the
			// same claims.
			if claims.ID != good.Claims.ID || claims.Subject != good.Claims.Subject {
				t.Fatalf("accepted a forged token %q with claims %+v", raw, claims)
			}
		}
	})
}
