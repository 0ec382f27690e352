package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Documents that are cheap to send and were expensive to check before any
// resolver ran. Each must be answered well within costDeadline: before the
// checks were linear, the first took about 14 s of CPU and the second
// seconds. The deadline is a generous bound on "answered at all", not a
// measurement; the figures are in BENCHMARKS.md.
const costDeadline = 5 * time.Second

// doWithin posts query and fails the test if no answer comes within
// costDeadline.
func (s *testServer) doWithin(t *testing.T, query string) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: costDeadline}).Do(req)
	if errors.Is(err, os.ErrDeadlineExceeded) || err != nil && strings.Contains(err.Error(), "Client.Timeout") {
		t.Fatalf("no answer within %v to a %d-byte document: checking it still costs too much", costDeadline, len(query))
	}
	if err != nil {
		t.Fatal(err)
	}
	out, _ := decodeGQL(t, resp)
	return out
}

// doublingFragments is a document of levels fragments, each spreading the
// next twice: under 1 KB for 25 levels, 2^levels paths to the leaf.
func doublingFragments(root, typ, leaf string, levels int) string {
	var b strings.Builder
	b.WriteString(strings.Replace(root, "SPREAD", "...F0", 1))
	for i := range levels {
		b.WriteString(" fragment F" + itoa(i) + " on " + typ + " { ...F" + itoa(i+1) + " ...F" + itoa(i+1) + " }")
	}
	b.WriteString(" fragment F" + itoa(levels) + " on " + typ + " { " + leaf + " }")
	return b.String()
}

func TestAttackFragmentDoubling(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	q := doublingFragments("{ SPREAD }", "Query", "__typename", 25)
	if len(q) >= 1024 {
		t.Fatalf("the attack document is %d bytes, meant to be under 1 KB", len(q))
	}
	// Counted once per fragment and multiplied at each spread: 2^25 fields.
	e := wantErr(t, s.doWithin(t, q), "COMPLEXITY_LIMIT_EXCEEDED", "")
	if e.Extensions["limit"] != float64(500) {
		t.Fatalf("limit not named: %+v", e)
	}
	// Aliases are counted the same way.
	e = wantErr(t, s.doWithin(t, doublingFragments("{ SPREAD }", "Query", "a: __typename", 25)), "TOO_MANY_ALIASES", "")
	if e.Extensions["limit"] != float64(30) {
		t.Fatalf("limit not named: %+v", e)
	}
	// Introspection is free in the complexity count, so under __schema no
	// limit refuses it: measuring, validating and running it must all be
	// linear for it to be answered at all.
	r := s.doWithin(t, doublingFragments("{ __schema { types { SPREAD } } }", "__Type", "name", 25))
	types, _ := ok(t, r)["__schema"].(map[string]any)["types"].([]any)
	if len(types) == 0 {
		t.Fatalf("no types in %+v", r.Data)
	}
}

func TestAttackRepeatedFieldFlood(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	// 4,998 fields and two braces: just within the parser's 5,000 tokens.
	flood := "{" + strings.Repeat(" __typename", 4998) + " }"
	for _, q := range []string{flood, flood + " ", " " + flood + "\n"} {
		e := wantErr(t, s.doWithin(t, q), "QUERY_TOO_LARGE", "")
		if e.Extensions["limit"] != float64(300) {
			t.Fatalf("limit not named: %+v", e)
		}
	}
	// A large legitimate document passes: GraphiQL's introspection query.
	introspection, err := os.ReadFile("testdata/introspection/graphiql.graphql") // the query GraphiQL sends
	if err != nil {
		t.Fatal(err)
	}
	r := s.doWithin(t, string(introspection))
	types, _ := ok(t, r)["__schema"].(map[string]any)["types"].([]any)
	if len(types) == 0 {
		t.Fatalf("no types in %+v", r.Data)
	}
}

// TestOperationTimeoutCoversValidation disables the node budget so that
// validating the field flood is slow (seconds), and expects the operation
// timeout to answer instead of the document running after it: the deadline
// covers parsing and validation, not only execution.
func TestOperationTimeoutCoversValidation(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), map[string]string{"QUERY_MAX_NODES": "100000", "OPERATION_TIMEOUT": "100ms"}))
	flood := "{" + strings.Repeat(" __typename", 4998) + " }"
	wantErr(t, s.do(t, "", flood, nil), "OPERATION_TIMEOUT", "")
	ok(t, s.do(t, "", "{ __typename }", nil))
}
