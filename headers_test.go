package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestSecurityHeadersAndCORS: every response carries the headers that stop
// framing, sniffing, referrer leaks and caching of tokens, and CORS grants
// credentials only to the origins configured, none when none are.
func TestSecurityHeadersAndCORS(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example.com"}))
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://app.example.com")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	for k, v := range map[string]string{
		"X-Content-Type-Options":           "nosniff",
		"Referrer-Policy":                  "no-referrer",
		"X-Frame-Options":                  "DENY",
		"Cache-Control":                    "no-store",
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Credentials": "true",
	} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP = %q", h.Get("Content-Security-Policy"))
	}
	// A preflight from another origin gets no CORS grant.
	pre, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
	pre.Header.Set("Origin", "https://evil.example.net")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type,authorization")
	resp, err = http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("evil origin allowed: %q", got)
	}
	// The playground's CSP allows this server only (TestPlaygroundServedFromBinary).
	resp, err = http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "jsdelivr") {
		t.Fatalf("playground CSP = %q", csp)
	}
	// Without CORS_ALLOWED_ORIGINS no origin gets a grant: rs/cors would
	// read an empty list as every origin, with credentials.
	plain := startServer(t, testEnv(sqliteURL(t), nil))
	for _, method := range []string{http.MethodOptions, http.MethodPost} {
		req, _ := http.NewRequest(method, plain.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://evil.example.net")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s without configured origins: Access-Control-Allow-Origin = %q", method, got)
		}
	}
}
