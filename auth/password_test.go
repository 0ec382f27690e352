package auth

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

var ctx = context.Background()

// fastParams keep unit tests quick; the defaults are exercised end to end.
var fastParams = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h, err := NewHasher(DefaultArgon2Params, 2, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not a PHC argon2id string at OWASP parameters: %s", enc)
	}
	enc2, _ := h.Hash(ctx, "correct horse battery staple")
	if enc == enc2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	ok, rehash, err := h.Verify(ctx, "correct horse battery staple", enc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	ok, _, err = h.Verify(ctx, "correct horse battery stapl", enc)
	if err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
}

func TestVerifyAsksForRehashWhenParametersChange(t *testing.T) {
	old, _ := NewHasher(fastParams, 2, 8, nil)
	enc, _ := old.Hash(ctx, "password-123")
	cur, _ := NewHasher(DefaultArgon2Params, 2, 8, nil)
	ok, rehash, err := cur.Verify(ctx, "password-123", enc)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify = %v, %v, %v; want ok and rehash", ok, rehash, err)
	}
}

func TestVerifyAcceptsBcryptAndAsksForRehash(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte("legacy-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := NewHasher(fastParams, 2, 8, nil)
	ok, rehash, err := h.Verify(ctx, "legacy-password", string(b))
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify(bcrypt) = %v, %v, %v", ok, rehash, err)
	}
	ok, _, err = h.Verify(ctx, "wrong", string(b))
	if err != nil || ok {
		t.Fatalf("Verify(bcrypt, wrong) = %v, %v", ok, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	h, _ := NewHasher(fastParams, 2, 8, nil)
	for _, enc := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5"} {
		if ok, _, err := h.Verify(ctx, "x", enc); err == nil || ok {
			t.Errorf("Verify(%q) = %v, %v; want an error", enc, ok, err)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := map[string]bool{
		"short":                       false,
		"exactly8":                    true,
		"ünïcödé!":                    true,  // 8 characters, more bytes
		"日本語のパスワ":                     false, // 7 characters
		strings.Repeat("a", 256):      true,
		strings.Repeat("a", 257):      false,
		"with spaces and \u00a0 nbsp": true,
	}
	for pw, want := range cases {
		err := ValidatePassword("password", pw)
		if (err == nil) != want {
			t.Errorf("ValidatePassword(%q) = %v, want ok=%v", pw, err, want)
		}
		if err != nil && (ErrorCode(err) != CodeBadUserInput || err.(*Error).Field != "password") {
			t.Errorf("error %v lacks code or field", err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{
		"  Alice@Example.COM ":    "alice@example.com",
		"a.b+tag@sub.example.org": "a.b+tag@sub.example.org",
	}
	for in, want := range good {
		got, err := NormalizeEmail("email", in)
		if err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "plain", "@example.com", "a@b", "Alice <a@example.com>", "a@example.com.", strings.Repeat("a", 250) + "@x.io"} {
		if _, err := NormalizeEmail("email", in); ErrorCode(err) != CodeBadUserInput {
			t.Errorf("NormalizeEmail(%q) = %v; want BAD_USER_INPUT", in, err)
		}
	}
}
