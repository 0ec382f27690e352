package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestTokens(t *testing.T, c *clock) *Tokens {
	t.Helper()
	tk, err := NewTokens(TokenConfig{Secret: testSecret, Issuer: "gqlauth", Audience: "gqlauth",
		AccessTTL: 15 * time.Minute, RefreshTTL: 720 * time.Hour, Leeway: 30 * time.Second}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

var testUser = &User{ID: "u1", Email: "a@example.com", Role: RoleUser}

func validClaims(now time.Time) *Claims {
	return &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "gqlauth", Subject: "u1", Audience: jwt.ClaimStrings{"gqlauth"},
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), NotBefore: jwt.NewNumericDate(now),
			IssuedAt: jwt.NewNumericDate(now), ID: "jti1",
		},
		Role: RoleUser, SessionID: "s1", Type: AccessToken, Fresh: true,
	}
}

// testKID is the kid Tokens derives from testSecret.
var testKID = mustHMACKey(testSecret).ID

func sign(t *testing.T, m jwt.SigningMethod, c jwt.Claims, key any) string {
	t.Helper()
	return signWith(t, m, c, key, map[string]any{"kid": testKID})
}

// signWith signs with extra (or, with nil values, removed) headers.
func signWith(t *testing.T, m jwt.SigningMethod, c jwt.Claims, key any, headers map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	for k, v := range headers {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantReason(t *testing.T, err error, want Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %s", want)
	}
	if ErrorCode(err) != CodeUnauthenticated || ErrorReason(err) != want {
		t.Fatalf("got %v; want UNAUTHENTICATED/%s", err, want)
	}
}

func TestIssueAndParseRoundTrip(t *testing.T) {
	c := &clock{time.Now()}
	tk := newTestTokens(t, c)
	iss, err := tk.Issue(AccessToken, testUser, "s1", "", "", true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tk.Parse(iss.Token, AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "u1" || got.SessionID != "s1" || !got.Fresh || got.Role != RoleUser || len(got.ID) != 32 {
		t.Fatalf("claims = %+v", got)
	}
	if d := got.ExpiresAt.Sub(got.IssuedAt.Time); d != 15*time.Minute {
		t.Fatalf("lifetime %v", d)
	}
	r, err := tk.Issue(RefreshToken, testUser, "s1", "rj", "", true)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := tk.Parse(r.Token, RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Fresh || rc.ID != "rj" {
		t.Fatalf("refresh claims = %+v", rc)
	}
}

func TestParseRejectsForgedTokens(t *testing.T) {
	c := &clock{time.Now()}
	tk := newTestTokens(t, c)
	now := c.t
	good := sign(t, jwt.SigningMethodHS256, validClaims(now), testSecret)
	if _, err := tk.Parse(good, AccessToken); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding

	tamperedPayload := func() string {
		c := validClaims(now)
		c.Role = RoleAdmin
		forged := strings.Split(sign(t, jwt.SigningMethodHS256, c, []byte("another-secret-another-secret-xx")), ".")
		return parts[0] + "." + forged[1] + "." + parts[2]
	}()
	sig := []byte(parts[2])
	sig[3] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)
	none := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"`+testKID+`"}`)) + "." + parts[1] + "."
	// alg says RS256 but the signature is HMAC with our secret: the
	// allow-list must refuse it before any key is chosen.
	rsHeaderHMAC := func() string {
		h := b64.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"` + testKID + `"}`))
		s, _ := jwt.SigningMethodHS256.Sign(h+"."+parts[1], testSecret)
		return h + "." + parts[1] + "." + b64.EncodeToString(s)
	}()
	mod := func(f func(*Claims)) *Claims { c := validClaims(now); f(c); return c }

	cases := []struct {
		name  string
		token string
		want  Reason
	}{
		{"alg none", none, ReasonTokenInvalid},
		{"HS384 with the right secret", sign(t, jwt.SigningMethodHS384, validClaims(now), testSecret), ReasonTokenInvalid},
		{"RS256 signed with a private key", sign(t, jwt.SigningMethodRS256, validClaims(now), rsaKey), ReasonTokenInvalid},
		{"RS256 header, HMAC signature", rsHeaderHMAC, ReasonTokenInvalid},
		{"tampered payload", tamperedPayload, ReasonTokenInvalid},
		{"tampered signature", tamperedSig, ReasonTokenInvalid},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, validClaims(now), []byte("wrong-secret-wrong-secret-wrong-!")), ReasonTokenInvalid},
		{"expired", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		}), testSecret), ReasonTokenExpired},
		{"expired with a bad signature", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		}), []byte("wrong-secret-wrong-secret-wrong-!")), ReasonTokenInvalid},
		{"nbf in the future", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) {
			c.NotBefore = jwt.NewNumericDate(now.Add(5 * time.Minute))
		}), testSecret), ReasonTokenInvalid},
		{"iat in the future", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(5 * time.Minute))
		}), testSecret), ReasonTokenInvalid},
		{"no exp", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.ExpiresAt = nil }), testSecret), ReasonTokenInvalid},
		{"wrong iss", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.Issuer = "evil" }), testSecret), ReasonTokenInvalid},
		{"wrong aud", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.Audience = jwt.ClaimStrings{"other"} }), testSecret), ReasonTokenInvalid},
		{"refresh used as access", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.Type = RefreshToken }), testSecret), ReasonTokenInvalid},
		{"no type", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.Type = "" }), testSecret), ReasonTokenInvalid},
		{"no sid", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.SessionID = "" }), testSecret), ReasonTokenInvalid},
		{"no sub", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.Subject = "" }), testSecret), ReasonTokenInvalid},
		{"no jti", sign(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.ID = "" }), testSecret), ReasonTokenInvalid},
		{"garbage", "not.a.jwt", ReasonTokenInvalid},
		{"unknown kid", signWith(t, jwt.SigningMethodHS256, validClaims(now), testSecret, map[string]any{"kid": "other"}), ReasonTokenInvalid},
		{"no kid", signWith(t, jwt.SigningMethodHS256, validClaims(now), testSecret, map[string]any{"kid": nil}), ReasonTokenInvalid},
		{"wrong typ", signWith(t, jwt.SigningMethodHS256, validClaims(now), testSecret, map[string]any{"kid": testKID, "typ": "at+jwt"}), ReasonTokenInvalid},
		{"no typ", signWith(t, jwt.SigningMethodHS256, validClaims(now), testSecret, map[string]any{"kid": testKID, "typ": nil}), ReasonTokenInvalid},
		{"oversized", signWith(t, jwt.SigningMethodHS256, mod(func(c *Claims) { c.Role = Role(strings.Repeat("A", MaxTokenBytes)) }), testSecret, map[string]any{"kid": testKID}), ReasonTokenInvalid},
		{"empty", "", ReasonTokenInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tk.Parse(tc.token, AccessToken)
			wantReason(t, err, tc.want)
		})
	}
}

func TestParseAccessAsRefreshRejected(t *testing.T) {
	c := &clock{time.Now()}
	tk := newTestTokens(t, c)
	a, err := tk.Issue(AccessToken, testUser, "s1", "", "", true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tk.Parse(a.Token, RefreshToken)
	wantReason(t, err, ReasonTokenInvalid)
}

func TestParseLeewayAndExpiry(t *testing.T) {
	c := &clock{time.Now()}
	tk := newTestTokens(t, c)
	a, err := tk.Issue(AccessToken, testUser, "s1", "", "", true)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(15*time.Minute + 20*time.Second) // past exp, inside the 30 s leeway
	if _, err := tk.Parse(a.Token, AccessToken); err != nil {
		t.Fatalf("token inside leeway rejected: %v", err)
	}
	c.t = c.t.Add(20 * time.Second) // past exp + leeway
	_, err = tk.Parse(a.Token, AccessToken)
	wantReason(t, err, ReasonTokenExpired)
}

func TestNewTokensRejectsShortSecret(t *testing.T) {
	_, err := NewTokens(TokenConfig{Secret: []byte("short"), Issuer: "i", Audience: "a", AccessTTL: time.Minute, RefreshTTL: time.Hour}, nil)
	if err == nil || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("err = %v", err)
	}
}

func mustHMACKey(secret []byte) *SigningKey {
	k, err := NewHMACKey(secret)
	if err != nil {
		panic(err)
	}
	return k
}

// TestVerifiedCacheRechecksLifetimes: a remembered token is still refused
// once it expires, and is never taken for a refresh token.
func TestVerifiedCacheRechecksLifetimes(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	tk := newTestTokens(t, c)
	iss, err := tk.Issue(AccessToken, testUser, "s1", "", "", true)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := tk.Parse(iss.Token, AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tk.Parse(iss.Token, RefreshToken); ErrorReason(err) != ReasonTokenInvalid {
		t.Fatalf("an access token served as a refresh token: %v", err)
	}
	c.t = c.t.Add(15*time.Minute + 31*time.Second) // past exp and the 30 s leeway
	if _, err := tk.Parse(iss.Token, AccessToken); ErrorReason(err) != ReasonTokenExpired {
		t.Fatalf("a remembered token outlived its exp: %v", err)
	}
}

// mapClaims is validClaims as a map, so that a test can give a claim a
// JSON type the Claims struct would never produce.
func mapClaims(now time.Time, override map[string]any) jwt.MapClaims {
	m := jwt.MapClaims{
		"iss": "gqlauth", "sub": "u1", "aud": []string{"gqlauth"},
		"exp": now.Add(time.Minute).Unix(), "nbf": now.Unix(), "iat": now.Unix(),
		"jti": "jti1", "role": string(RoleUser), "sid": "s1", "type": string(AccessToken), "fresh": true,
	}
	for k, v := range override {
		m[k] = v
	}
	return m
}

// TestParseRefusesNonConformingTokens: RFC 7515 §4.1.11 (crit) and RFC
// 7519 §2 (NumericDate is a JSON number), on tokens otherwise valid and
// signed with the right key.
func TestParseRefusesNonConformingTokens(t *testing.T) {
	c := &clock{time.Now()}
	tk := newTestTokens(t, c)
	now := c.t
	str := func(tm time.Time) string { return strconv.FormatInt(tm.Unix(), 10) }
	ok := sign(t, jwt.SigningMethodHS256, mapClaims(now, nil), testSecret)
	if _, err := tk.Parse(ok, AccessToken); err != nil {
		t.Fatalf("control token rejected: %v", err)
	}
	cases := map[string]string{
		"crit naming a claim": signWith(t, jwt.SigningMethodHS256, mapClaims(now, nil), testSecret,
			map[string]any{"kid": testKID, "crit": []string{"exp"}}),
		"crit naming an extension": signWith(t, jwt.SigningMethodHS256, mapClaims(now, nil), testSecret,
			map[string]any{"kid": testKID, "crit": []string{"b64"}, "b64": true}),
		"empty crit": signWith(t, jwt.SigningMethodHS256, mapClaims(now, nil), testSecret,
			map[string]any{"kid": testKID, "crit": []string{}}),
		"exp a string": sign(t, jwt.SigningMethodHS256, mapClaims(now, map[string]any{"exp": str(now.Add(time.Minute))}), testSecret),
		"nbf a string": sign(t, jwt.SigningMethodHS256, mapClaims(now, map[string]any{"nbf": str(now)}), testSecret),
		"iat a string": sign(t, jwt.SigningMethodHS256, mapClaims(now, map[string]any{"iat": str(now)}), testSecret),
		"exp a bool":   sign(t, jwt.SigningMethodHS256, mapClaims(now, map[string]any{"exp": true}), testSecret),
		"exp an array": sign(t, jwt.SigningMethodHS256, mapClaims(now, map[string]any{"exp": []int64{now.Unix() + 60}}), testSecret),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tk.Parse(tok, AccessToken)
			wantReason(t, err, ReasonTokenInvalid)
		})
	}
}
