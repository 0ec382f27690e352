package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/db/dbtest"
)

// TestPostgresOutage stops a PostgreSQL of the test's own mid-traffic:
// requests that need it fail fast with SERVICE_UNAVAILABLE, /readyz turns
// 503, and the server recovers by itself once PostgreSQL is back.
func TestPostgresOutage(t *testing.T) {
	pg := dbtest.StartCluster(t)
	s := startServer(t, testEnv(pg.URL(), nil))
	tok, _ := s.register(t, "outage@example.com", "password-123")
	ok(t, s.me(t, tok.access))

	pg.Stop()
	// The default client would wait forever; a hung request fails here.
	client := &http.Client{Timeout: 15 * time.Second}
	prev := http.DefaultClient
	http.DefaultClient = client
	defer func() { http.DefaultClient = prev }()

	for _, r := range []*gqlResponse{
		s.me(t, tok.access),
		s.do(t, "", loginQ, loginVars("outage@example.com", "password-123")),
		s.refresh(t, tok.refresh),
	} {
		e := wantErr(t, r, "SERVICE_UNAVAILABLE", "")
		if e.Extensions["retryAfter"] == nil {
			t.Errorf("no retryAfter: %+v", e)
		}
	}
	if status, _ := get(t, s.URL+"/readyz"); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz during the outage = %d", status)
	}
	if status, _ := get(t, s.URL+"/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz during the outage = %d: the process is alive", status)
	}

	pg.Start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _ := get(t, s.URL+"/readyz")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not recover within 30 s of PostgreSQL's return")
		}
		time.Sleep(200 * time.Millisecond)
	}
	ok(t, s.me(t, tok.access))
	s.login(t, "outage@example.com", "password-123")
}
