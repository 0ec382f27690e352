package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The operations the bench sends. Fields are the ones a client needs; `me`
// asks for exactly what the bare baseline answers, so both write the same
// bytes.
const (
	meQuery       = `{ me { id email role } }`
	loginQuery    = `mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }`
	registerQuery = `mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken } }`
	refreshQuery  = `mutation($r: String) { refresh(refreshToken: $r) { accessToken refreshToken } }`
)

// meBody is the one request body of every `me`, encoded once.
var meBody = mustJSON(map[string]any{"query": meQuery})

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// gqlClient posts GraphQL operations to one endpoint.
type gqlClient struct {
	http     *http.Client
	endpoint string // http://127.0.0.1:PORT/graphql
}

// tokenPair is the current tokens of one session.
type tokenPair struct {
	Access  string `json:"accessToken"`
	Refresh string `json:"refreshToken"`
}

// meUser is what `me` answers.
type meUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// gqlResponse is a GraphQL answer; Data keeps each field raw so that the
// caller decodes only what it needs.
type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// post sends body and decodes the answer's field into out. Anything but a
// 200 with that field and no errors is an error; kind names it for the
// report ("HTTP 503", the GraphQL error code, "transport", …).
func (c *gqlClient) post(ctx context.Context, token string, body []byte, field string, out any) (kind string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "request", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "transport", err
	}
	// Read to the end so that the connection goes back to the pool.
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "transport", err
	}
	var r gqlResponse
	jerr := json.Unmarshal(raw, &r)
	if resp.StatusCode != http.StatusOK {
		kind = fmt.Sprintf("HTTP %d", resp.StatusCode)
		if jerr == nil && len(r.Errors) > 0 {
			kind += " " + errorCode(r)
		}
		return kind, fmt.Errorf("%s: %s", resp.Status, truncate(string(raw), 200))
	}
	if jerr != nil {
		return "bad JSON", fmt.Errorf("decode %q: %w", truncate(string(raw), 200), jerr)
	}
	if len(r.Errors) > 0 {
		return errorCode(r), fmt.Errorf("%s: %s", errorCode(r), r.Errors[0].Message)
	}
	f, ok := r.Data[field]
	if !ok || string(f) == "null" {
		return "no data", fmt.Errorf("no %s in %s", field, truncate(string(raw), 200))
	}
	if err := json.Unmarshal(f, out); err != nil {
		return "bad JSON", fmt.Errorf("decode %s: %w", field, err)
	}
	return "", nil
}

// errorCode is the first error's extensions.code, with its reason when it
// has one (UNAUTHENTICATED/TOKEN_REVOKED).
func errorCode(r gqlResponse) string {
	code, _ := r.Errors[0].Extensions["code"].(string)
	if code == "" {
		code = "GRAPHQL_ERROR"
	}
	if reason, _ := r.Errors[0].Extensions["reason"].(string); reason != "" {
		code += "/" + reason
	}
	return code
}

// me fetches the caller; the answer must name a user.
func (c *gqlClient) me(ctx context.Context, access string) (string, error) {
	var u meUser
	kind, err := c.post(ctx, access, meBody, "me", &u)
	if err == nil && (u.ID == "" || u.Email == "") {
		return "no data", fmt.Errorf("me answered without id or email: %+v", u)
	}
	return kind, err
}

func (c *gqlClient) credentials(ctx context.Context, query, field, email, password string) (tokenPair, string, error) {
	body := mustJSON(map[string]any{"query": query, "variables": map[string]any{
		"i": map[string]string{"email": email, "password": password}}})
	var p tokenPair
	kind, err := c.post(ctx, "", body, field, &p)
	if err == nil && (p.Access == "" || p.Refresh == "") {
		return p, "no data", fmt.Errorf("%s answered without tokens", field)
	}
	return p, kind, err
}

// login opens a session.
func (c *gqlClient) login(ctx context.Context, email, password string) (tokenPair, string, error) {
	return c.credentials(ctx, loginQuery, "login", email, password)
}

// register creates an account and opens its first session.
func (c *gqlClient) register(ctx context.Context, email, password string) (tokenPair, string, error) {
	return c.credentials(ctx, registerQuery, "register", email, password)
}

// refresh rotates: refreshToken is used up and the answer holds its successor.
func (c *gqlClient) refresh(ctx context.Context, refreshToken string) (tokenPair, string, error) {
	body := mustJSON(map[string]any{"query": refreshQuery, "variables": map[string]any{"r": refreshToken}})
	var p tokenPair
	kind, err := c.post(ctx, "", body, "refresh", &p)
	if err == nil && (p.Access == "" || p.Refresh == "") {
		return p, "no data", fmt.Errorf("refresh answered without tokens")
	}
	return p, kind, err
}
