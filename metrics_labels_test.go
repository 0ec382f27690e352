package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var operationSeries = regexp.MustCompile(`(?m)^gqlauth_graphql_operations_total\{operation="([^"]*)"`)

// TestOperationLabelsBounded: operation names are the client's to make up;
// a thousand of them add no series. Only names METRICS_OPERATIONS lists
// label an operation as themselves; any other is labelled by its root
// field, and the access log names an anonymous operation as its metrics do.
func TestOperationLabelsBounded(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{
		"METRICS_OPERATIONS": "WhoAmI, Listed", "LOG_FORMAT": "json", "LOG_LEVEL": "info",
	}))
	tok, _ := s.register(t, "labels@example.com", "password-123")
	for i := range 1000 {
		ok(t, s.do(t, "", fmt.Sprintf("query Made_Up_%d { __typename }", i), nil))
	}
	ok(t, s.do(t, tok.access, `query WhoAmI { me { id } }`, nil))
	ok(t, s.do(t, tok.access, `query NotListed { me { id } }`, nil))
	ok(t, s.do(t, tok.access, `{ a: me { id } b: me { email } }`, nil))
	ok(t, s.do(t, tok.access, `query Both { me { id } mySessions { id } }`, nil))
	ok(t, s.do(t, tok.access, `query Spread { ...F } fragment F on Query { mySessions { id } }`, nil))

	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.access)
	req.Header.Set("X-Request-Id", "anonymous-op")
	ok(t, s.send(t, req))

	_, body := get(t, s.URL+"/metrics")
	var labels []string
	for _, m := range operationSeries.FindAllStringSubmatch(body, -1) {
		labels = append(labels, m[1])
	}
	slices.Sort(labels)
	labels = slices.Compact(labels)
	// register is a mutation with one root field.
	want := []string{"WhoAmI", "__typename", "me", "multiple", "mySessions", "register"}
	if !slices.Equal(labels, want) {
		t.Fatalf("operation labels %q, want %q", labels, want)
	}
	for _, series := range []string{
		`gqlauth_graphql_operations_total{operation="__typename",outcome="ok"} 1000`,
		`gqlauth_graphql_operations_total{operation="me",outcome="ok"} 3`,
		`gqlauth_graphql_operations_total{operation="WhoAmI",outcome="ok"} 1`,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
	logged := ""
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["request_id"] == "anonymous-op" {
			logged, _ = line["operation"].(string)
		}
	}
	if logged != "me" {
		t.Fatalf("access log names the anonymous operation %q, its metrics \"me\"", logged)
	}
}
