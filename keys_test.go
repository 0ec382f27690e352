package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gqlauth/gqlauth/db/dbtest"
)

// jwkSet is /.well-known/jwks.json as a verifier reads it.
type jwkSet struct {
	Keys []struct {
		Kty, Crv, X, Y, N, E, Kid, Alg, Use string
	} `json:"keys"`
}

func fetchJWKS(t *testing.T, s *testServer) (jwkSet, *http.Response) {
	t.Helper()
	resp, err := http.Get(s.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jwkSet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set, resp
}

// publicKeyOf rebuilds a public key from its JWK alone, as a verifier with
// nothing but the JWKS would.
func publicKeyOf(t *testing.T, set jwkSet, kid string) any {
	t.Helper()
	b64 := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("bad base64url %q", s)
		}
		return b
	}
	for _, k := range set.Keys {
		if k.Kid != kid {
			continue
		}
		switch k.Kty {
		case "OKP":
			return ed25519.PublicKey(b64(k.X))
		case "EC":
			return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(b64(k.X)), Y: new(big.Int).SetBytes(b64(k.Y))}
		case "RSA":
			return &rsa.PublicKey{N: new(big.Int).SetBytes(b64(k.N)), E: int(new(big.Int).SetBytes(b64(k.E)).Int64())}
		}
	}
	t.Fatalf("kid %s not in the JWKS %+v", kid, set)
	return nil
}

// genKey runs `gqlauth keys generate` and returns the new file.
func genKey(t *testing.T, alg string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), strings.ToLower(alg)+".pem")
	var out strings.Builder
	args := []string{"gqlauth", "keys", "generate", "--algorithm", alg, "--out", path, "--rsa-bits", "2048"}
	if err := run(t.Context(), args, getenvFrom(nil), strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("keys generate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "kid ") {
		t.Errorf("keys generate did not name the kid: %s", out.String())
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, err %v", st.Mode(), err)
	}
	return path
}

// TestAsymmetricTokensVerifyFromJWKS: for each algorithm, a token the
// server issues verifies with nothing but the published JWKS, and the
// server still refuses algorithm games with that public key.
func TestAsymmetricTokensVerifyFromJWKS(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			s := startServer(t, testEnv(dbtest.SQLiteURL(t), map[string]string{
				"JWT_ALGORITHM": alg, "JWT_PRIVATE_KEY_FILE": genKey(t, alg),
			}))
			tok, _ := s.register(t, "kay@example.com", "password-123")
			set, resp := fetchJWKS(t, s)
			if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
				t.Errorf("JWKS Cache-Control %q", cc)
			}
			if len(set.Keys) != 1 || set.Keys[0].Alg != alg || set.Keys[0].Use != "sig" {
				t.Fatalf("JWKS %+v", set)
			}
			parsed, err := jwt.Parse(tok.access, func(tk *jwt.Token) (any, error) {
				return publicKeyOf(t, set, tk.Header["kid"].(string)), nil
			}, jwt.WithValidMethods([]string{alg}), jwt.WithAudience("gqlauth"), jwt.WithIssuer("gqlauth"))
			if err != nil || !parsed.Valid {
				t.Fatalf("token does not verify from the JWKS: %v", err)
			}
			ok(t, s.me(t, tok.access))

			// HS256 keyed with the public key's bytes, under the real kid:
			// the algorithm-confusion forgery.
			kid := parsed.Header["kid"].(string)
			claims := parsed.Claims.(jwt.MapClaims)
			claims["role"] = "ADMIN"
			for _, secret := range [][]byte{[]byte(set.Keys[0].X + set.Keys[0].N), []byte(strings.Repeat("k", 32))} {
				forged := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
				forged.Header["kid"] = kid
				raw, err := forged.SignedString(secret)
				if err != nil {
					t.Fatal(err)
				}
				wantErr(t, s.me(t, raw), "UNAUTHENTICATED", "TOKEN_INVALID")
			}
		})
	}
}

// TestHS256SecretNeverPublished: the default algorithm publishes an empty
// key set.
func TestHS256SecretNeverPublished(t *testing.T) {
	s := startServer(t, testEnv(dbtest.SQLiteURL(t), nil))
	s.register(t, "hs@example.com", "password-123")
	set, resp := fetchJWKS(t, s)
	if resp.StatusCode != http.StatusOK || len(set.Keys) != 0 {
		t.Fatalf("status %d, keys %+v", resp.StatusCode, set.Keys)
	}
}

// TestKeyRotation: after restarting on a new key, tokens signed with the
// old one still work until they expire, the JWKS lists both keys, and new
// tokens name the new key. Across algorithms too.
func TestKeyRotation(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		env := testEnv(dbURL, map[string]string{"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY_FILE": genKey(t, "ES256")})
		var old tokens
		// A sub-test, so that the first server stops before the second starts.
		t.Run("before", func(t *testing.T) {
			s := startServer(t, env)
			old, _ = s.register(t, "rot@example.com", "password-123")
		})
		oldKid := kidOf(t, old.access)

		env2 := testEnv(dbURL, map[string]string{"JWT_ALGORITHM": "EdDSA", "JWT_PRIVATE_KEY_FILE": genKey(t, "EdDSA")})
		s := startServer(t, env2)
		ok(t, s.me(t, old.access))
		fresh, _ := payload(t, ok(t, s.refresh(t, old.refresh)), "refresh")
		newKid := kidOf(t, fresh.access)
		if newKid == oldKid {
			t.Fatal("new tokens still signed with the old key")
		}
		ok(t, s.me(t, fresh.access))
		set, _ := fetchJWKS(t, s)
		if len(set.Keys) != 2 || set.Keys[0].Kid != newKid || set.Keys[1].Kid != oldKid {
			t.Fatalf("JWKS should list the new key first, then the old: %+v", set.Keys)
		}
	})
}

func kidOf(t *testing.T, raw string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		t.Fatal("token has no kid")
	}
	return kid
}

// TestKeyConfigErrors: a key that does not fit the algorithm, or a missing
// file, stops the server with a message naming the setting.
func TestKeyConfigErrors(t *testing.T) {
	ed := genKey(t, "EdDSA")
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY_FILE": ed}, "JWT_PRIVATE_KEY_FILE: an Ed25519 key signs EdDSA, not ES256"},
		{map[string]string{"JWT_ALGORITHM": "RS256"}, "JWT_PRIVATE_KEY_FILE: required with JWT_ALGORITHM=RS256"},
		{map[string]string{"JWT_ALGORITHM": "none"}, "JWT_ALGORITHM: must be one of HS256, EdDSA, ES256, RS256"},
		{map[string]string{"JWT_ALGORITHM": "HS512"}, "JWT_ALGORITHM: must be one of"},
		{map[string]string{"JWT_PRIVATE_KEY_FILE": ed}, "is for EdDSA, ES256 or RS256"},
	} {
		var out strings.Builder
		err := run(t.Context(), []string{"gqlauth", "serve"}, getenvFrom(testEnv(dbtest.SQLiteURL(t), tc.env)), strings.NewReader(""), &out, &out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: want error containing %q, got %v", tc.env, tc.want, err)
		}
	}
	// keys generate never overwrites a key.
	var out strings.Builder
	err := run(t.Context(), []string{"gqlauth", "keys", "generate", "--out", ed}, getenvFrom(nil), strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("overwrote an existing key file: %v", err)
	}
}

// TestRollingKeyRotation: mid-deployment one replica signs with the new key
// while another still signs with the old; each accepts the other's tokens,
// the old replica learning the new kid from the shared store when it
// first sees it.
func TestRollingKeyRotation(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		a := startServer(t, testEnv(dbURL, map[string]string{"JWT_ALGORITHM": "EdDSA", "JWT_PRIVATE_KEY_FILE": genKey(t, "EdDSA")}))
		fromA, _ := a.register(t, "roll@example.com", "password-123")
		b := startServer(t, testEnv(dbURL, map[string]string{"JWT_ALGORITHM": "EdDSA", "JWT_PRIVATE_KEY_FILE": genKey(t, "EdDSA")}))
		fromB, _ := b.login(t, "roll@example.com", "password-123")
		if kidOf(t, fromA.access) == kidOf(t, fromB.access) {
			t.Fatal("both replicas sign with one key")
		}
		ok(t, b.me(t, fromA.access))
		ok(t, a.me(t, fromB.access))
		if set, _ := fetchJWKS(t, a); len(set.Keys) != 2 {
			t.Fatalf("replica A should now publish both keys: %+v", set.Keys)
		}
	})
}
