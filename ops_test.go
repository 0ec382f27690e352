package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetrics(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"METRICS_OPERATIONS": "Me"}))
	tok, _ := s.register(t, "metric@example.com", "password-123")
	wantErr(t, s.do(t, "", loginQ, loginVars("metric@example.com", "wrong-password")), "INVALID_CREDENTIALS", "")
	ok(t, s.do(t, tok.access, `query Me { me { id } }`, nil))
	wantErr(t, s.do(t, "", `query Me { me { id } }`, nil), "UNAUTHENTICATED", "TOKEN_MISSING")

	status, body := get(t, s.URL+"/metrics")
	if status != 200 {
		t.Fatalf("GET /metrics = %d", status)
	}
	for _, want := range []string{
		`gqlauth_graphql_operations_total{operation="Me",outcome="ok"} 1`,
		`gqlauth_graphql_operations_total{operation="Me",outcome="UNAUTHENTICATED"} 1`,
		`gqlauth_graphql_operation_duration_seconds_bucket{operation="Me",outcome="ok",le="+Inf"} 1`,
		`gqlauth_auth_checks_total{code="OK",reason=""} 1`,
		`gqlauth_auth_checks_total{code="UNAUTHENTICATED",reason="TOKEN_MISSING"} 1`,
		`gqlauth_security_events_total{type="login_failed"} 1`,
		`gqlauth_security_events_total{type="register"} 1`,
		`gqlauth_hash_queue_length 0`,
		`gqlauth_hash_wait_seconds_count 2`,
		`gqlauth_hash_worker_restarts_total 0`,
		`go_sql_max_open_connections{db_name="gqlauth"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestMetricsOnSeparateAddress(t *testing.T) {
	ln := freePort(t)
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"METRICS_ADDR": ln}))
	if status, _ := get(t, s.URL+"/metrics"); status != http.StatusNotFound {
		t.Fatalf("/metrics on the public port = %d", status)
	}
	if status, body := get(t, "http://"+ln+"/metrics"); status != 200 || !strings.Contains(body, "gqlauth_hash_queue_length") {
		t.Fatalf("/metrics on METRICS_ADDR = %d", status)
	}
}

// TestStructuredRequestLog: one JSON line per request with the request id
// (the caller's, echoed back), the operation, the user, status and latency.
func TestStructuredRequestLog(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"LOG_FORMAT": "json", "LOG_LEVEL": "info"}))
	tok, p := s.register(t, "logs@example.com", "password-123")
	uid := p["user"].(map[string]any)["id"]
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"query WhoAmI { me { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.access)
	req.Header.Set("X-Request-Id", "trace-abc-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") != "trace-abc-123" {
		t.Fatalf("X-Request-Id echoed as %q", resp.Header.Get("X-Request-Id"))
	}
	var line map[string]any
	sc := bufio.NewScanner(bytes.NewReader([]byte(s.stderr.String())))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		if m["request_id"] == "trace-abc-123" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no log line for the request:\n%s", s.stderr.String())
	}
	for k, want := range map[string]any{"msg": "request", "operation": "WhoAmI", "user_id": uid, "status": float64(200), "path": "/graphql"} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Error("log line has no duration")
	}
}

// TestBackgroundPruning: the pruner runs by itself and applies the audit
// retention.
func TestBackgroundPruning(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"PRUNE_INTERVAL": "1s", "AUDIT_RETENTION": "2s"}))
	s.cli(t, "admin-password-1\n", "user", "create", "--email", "old@example.com", "--role", "ADMIN")
	const q = `{ auditEvents(first: 100) { edges { node { type } } } }`
	deadline := time.Now().Add(20 * time.Second)
	for {
		admin, _ := s.login(t, "old@example.com", "admin-password-1")
		var types []string
		for _, e := range ok(t, s.do(t, admin.access, q, nil))["auditEvents"].(map[string]any)["edges"].([]any) {
			types = append(types, e.(map[string]any)["node"].(map[string]any)["type"].(string))
		}
		if !slices.Contains(types, "register") {
			break // the CLI's registration event aged out and was pruned
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit events never pruned: %v", types)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
