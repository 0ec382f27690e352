package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// loginFrom attempts a login as a client behind a trusted proxy that
// reports the client's address in X-Forwarded-For.
func (s *testServer) loginFrom(t *testing.T, ip, email, password string) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": loginQ, "variables": loginVars(email, password)})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", ip)
	return s.send(t, req)
}

// TestAttackIPv6AddressRotationIsThrottledPerNetwork: one IPv6 host holds
// a /64 and can pick a fresh address for every attempt; the per-IP counter
// counts the /64 (RATE_LIMIT_IPV6_PREFIX), so rotating addresses within it
// gains nothing, while other /64s and IPv4 clients keep their own counts.
func TestAttackIPv6AddressRotationIsThrottledPerNetwork(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		s := startServer(t, testEnv(dbURL, map[string]string{
			"TRUSTED_PROXIES": "127.0.0.1/8,::1", "RATE_LIMIT_IP": "3", "RATE_LIMIT_ACCOUNT": "1000"}))
		s.register(t, "v6@example.com", "password-123")
		attempt := func(ip string) *gqlResponse { return s.loginFrom(t, ip, "v6@example.com", "wrong-password") }

		// Three guesses, each from a different address of one /64.
		for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
			wantErr(t, attempt(ip), "INVALID_CREDENTIALS", "")
		}
		// A fourth address of the same /64 is over the limit.
		wantErr(t, attempt("2001:db8:1:2:dead:beef::7"), "RATE_LIMITED", "")
		// So is the same network written another way (uppercase, zeros).
		wantErr(t, attempt("2001:DB8:1:2:0:0:0:9"), "RATE_LIMITED", "")
		// The next /64 is another client.
		wantErr(t, attempt("2001:db8:1:3::1"), "INVALID_CREDENTIALS", "")

		// IPv4 is counted per address, as before.
		for range 3 {
			wantErr(t, attempt("192.0.2.1"), "INVALID_CREDENTIALS", "")
		}
		wantErr(t, attempt("192.0.2.1"), "RATE_LIMITED", "")
		wantErr(t, attempt("192.0.2.2"), "INVALID_CREDENTIALS", "")
		// An IPv4-mapped IPv6 address is that IPv4 client, not a /64.
		wantErr(t, attempt("::ffff:192.0.2.1"), "RATE_LIMITED", "")
	})
}

// TestIPv6PrefixIsConfigurable: a wider prefix counts a whole /48 as one
// client; 128 counts every address alone.
func TestIPv6PrefixIsConfigurable(t *testing.T) {
	for prefix, sameClient := range map[string]bool{"48": true, "128": false} {
		t.Run(prefix, func(t *testing.T) {
			s := startServer(t, testEnv(sqliteURL(t), map[string]string{
				"TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_IP": "2", "RATE_LIMIT_IPV6_PREFIX": prefix}))
			wantErr(t, s.loginFrom(t, "2001:db8:1:1::1", "p@example.com", "password-123"), "INVALID_CREDENTIALS", "")
			wantErr(t, s.loginFrom(t, "2001:db8:1:2::1", "p@example.com", "password-123"), "INVALID_CREDENTIALS", "")
			r := s.loginFrom(t, "2001:db8:1:ffff::1", "p@example.com", "password-123")
			if sameClient {
				wantErr(t, r, "RATE_LIMITED", "")
			} else {
				wantErr(t, r, "INVALID_CREDENTIALS", "")
			}
		})
	}
}

// TestIPv6PrefixOutOfRangeRefused: a prefix too short would throttle
// whole providers together; over 128 is no prefix.
func TestIPv6PrefixOutOfRangeRefused(t *testing.T) {
	for _, v := range []string{"16", "31", "129", "sixty-four", "-64"} {
		_, err := loadConfig(getenvFrom(map[string]string{"RATE_LIMIT_IPV6_PREFIX": v}))
		if err == nil || !strings.Contains(err.Error(), "RATE_LIMIT_IPV6_PREFIX") {
			t.Errorf("RATE_LIMIT_IPV6_PREFIX=%s: err = %v", v, err)
		}
	}
	for _, v := range []string{"32", "64", "128"} {
		if _, err := loadConfig(getenvFrom(map[string]string{"RATE_LIMIT_IPV6_PREFIX": v})); err != nil {
			t.Errorf("RATE_LIMIT_IPV6_PREFIX=%s refused: %v", v, err)
		}
	}
}
