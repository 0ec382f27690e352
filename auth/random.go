package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// randomToken is 256 random bits, base64url: an mfaToken, an OIDC state,
// nonce or PKCE code verifier (43 characters of the unreserved set, RFC
// 7636), a browser's flow secret.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// isRandomToken accepts what randomToken makes, in its one spelling (the
// last character's spare bits zero).
func isRandomToken(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// tokenDigest is what the store keeps of a randomToken handed out (SHA-256,
// hex): a copy of the database holds nothing that can be presented.
func tokenDigest(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}
