package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawAnswer is a /graphql answer: its status, headers and top-level
// entries, undecoded, so that a missing data entry differs from a null one.
type rawAnswer struct {
	status int
	header http.Header
	body   map[string]json.RawMessage
	code   string // the first error's extensions.code
}

func (s *testServer) post(t *testing.T, accept, body string) rawAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return s.raw(t, req)
}

func (s *testServer) raw(t *testing.T, req *http.Request) rawAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := rawAnswer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("status %d, body not a JSON object: %s", resp.StatusCode, b)
	}
	var errs []gqlError
	if e, ok := a.body["errors"]; ok {
		if err := json.Unmarshal(e, &errs); err != nil || len(errs) == 0 {
			t.Fatalf("errors entry is not a list of errors: %s", b)
		}
		a.code, _ = errs[0].Extensions["code"].(string)
	}
	return a
}

// TestRequestErrorStatus: a request that fails before execution answers
// as GraphQL over HTTP says. With Accept: application/json (what Apollo
// Client 3 sends) or no Accept, 200 and the errors in the body, where
// clients read them (gqlgen's 422 is a network error to Apollo Client 3);
// with application/graphql-response+json, 400. Either way the answer has
// no data entry, since nothing ran; a request that is no GraphQL request
// at all is 400 for both.
func TestRequestErrorStatus(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	const (
		jsonType    = "application/json"
		graphqlType = "application/graphql-response+json"
	)
	cases := []struct {
		name, body, code string
		// the status for application/json, and for graphql-response+json
		jsonStatus, graphqlStatus int
	}{
		{"document does not parse", `{"query":"{ me {"}`, "GRAPHQL_PARSE_FAILED", 200, 400},
		{"document does not validate", `{"query":"{ noSuchField }"}`, "GRAPHQL_VALIDATION_FAILED", 200, 400},
		{"variables do not coerce", `{"query":"query($id: ID!) { user(id: $id) { id } }","variables":{"id":null}}`, "GRAPHQL_VALIDATION_FAILED", 200, 400},
		{"operation name not in the document", `{"query":"query A { me { id } }","operationName":"B"}`, "GRAPHQL_VALIDATION_FAILED", 200, 400},
		{"a limit", `{"query":"{ ` + strings.Repeat("a: me { id } ", 31) + `}"}`, "TOO_MANY_ALIASES", 200, 400},
		{"unknown persisted query", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}}}`, "PERSISTED_QUERY_NOT_FOUND", 200, 400},
		{"no query", `{"qeury":"{ me { id } }"}`, "BAD_REQUEST", 400, 400},
		{"body not JSON", `{"query": "{ me`, "BAD_REQUEST", 400, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, accept := range []string{jsonType, "", "*/*", graphqlType} {
				want := c.jsonStatus
				if accept == graphqlType {
					want = c.graphqlStatus
				}
				a := s.post(t, accept, c.body)
				if a.status != want || a.code != c.code {
					t.Errorf("Accept %q: %d %s, want %d %s", accept, a.status, a.code, want, c.code)
				}
				if _, ok := a.body["data"]; ok {
					t.Errorf("Accept %q: a request error has a data entry: %s", accept, a.body["data"])
				}
			}
		})
	}
	t.Run("an executed operation keeps 200 and its data", func(t *testing.T) {
		for _, accept := range []string{jsonType, graphqlType} {
			a := s.post(t, accept, `{"query":"{ me { id } }"}`)
			if a.status != 200 || a.code != "UNAUTHENTICATED" || string(a.body["data"]) != "null" {
				t.Errorf("Accept %q: %d %s data=%s", accept, a.status, a.code, a.body["data"])
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, accept) {
				t.Errorf("Accept %q answered as %q", accept, ct)
			}
		}
	})
}

// TestMutationOverGETIs405: a mutation sent with GET is refused as
// GraphQL over HTTP says, 405 with Allow: POST, and carries a code like
// every other failure.
func TestMutationOverGETIs405(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	for _, accept := range []string{"", "application/json", "application/graphql-response+json"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?query=mutation%7Blogout%7D", nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		a := s.raw(t, req)
		if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "POST" || a.code != "METHOD_NOT_ALLOWED" {
			t.Errorf("Accept %q: %d Allow=%q code=%q", accept, a.status, a.header.Get("Allow"), a.code)
		}
		if _, ok := a.body["data"]; ok {
			t.Errorf("Accept %q: data entry %s", accept, a.body["data"])
		}
	}
}
