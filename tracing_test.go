package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/db"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// doTraced posts a GraphQL operation as a router would forward it: with
// its traceparent header and, when given, a bearer token.
func (s *testServer) doTraced(t *testing.T, tp traceparent, token, query string, vars map[string]any) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if tp.header != "" {
		req.Header.Set("traceparent", tp.header)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.send(t, req)
}

// spansOf are the received spans of one trace.
func spansOf(all []recvSpan, traceID string) []recvSpan {
	var out []recvSpan
	for _, s := range all {
		if s.TraceID == traceID {
			out = append(out, s)
		}
	}
	return out
}

// findSpan returns the first span of spans named name, failing the test
// (with what the trace holds) if there is none.
func findSpan(t *testing.T, spans []recvSpan, name string) recvSpan {
	t.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	t.Fatalf("no span %q in the trace; it has %v", name, names)
	return recvSpan{}
}

// wantAttrs fails the test unless span carries each attribute as given.
func wantAttrs(t *testing.T, s recvSpan, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, ok := s.Attrs[k]; !ok || got != v {
			t.Errorf("span %q: attribute %s = %q (present: %v), want %q; all: %v", s.Name, k, got, ok, v, s.Attrs)
		}
	}
}

// TestTracesReachAnOTLPCollector runs the real server with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a real OTLP/HTTP receiver and
// sends it what a router forwards: operations with a W3C traceparent. Each
// trace goes on from the router's span (same trace id, the router's span
// as the parent), with the spans the docs promise: the HTTP request, the
// GraphQL operation, the auth check, the store's statements and the
// password hash. An unsampled traceparent records nothing. The spans of
// the last requests reach the collector when the server stops. And nothing
// received, anywhere in the exports, holds a password, an email, a token
// or a mailed link's token.
func TestTracesReachAnOTLPCollector(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		rcv := startOTLPReceiver(t)
		mb, env := mailServer(t, dbURL, map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
			"OTEL_EXPORTER_OTLP_HEADERS":  "x-collector-key=k3y%20one",
			"OTEL_SERVICE_NAME":           "gqlauth-under-test",
			"LOG_LEVEL":                   "info",
		})
		srv := startServer(t, env)
		const (
			email       = "trace.alice@example.com"
			password    = "correct horse tracing"
			wrong       = "wrong horse tracing"
			newPassword = "battery staple tracing"
		)
		var secrets []string
		keep := func(tk tokens) {
			secrets = append(secrets, tk.access, tk.refresh, tk.access[strings.LastIndexByte(tk.access, '.')+1:])
		}
		traces := map[string]traceparent{}
		trace := func(name string) traceparent {
			tp := newTraceparent(true)
			traces[name] = tp
			return tp
		}

		r := srv.doTraced(t, trace("register"), "", `mutation Register($i: RegisterInput!) { register(input: $i) { `+payloadFields+` } }`,
			map[string]any{"i": map[string]any{"email": email, "password": password}})
		regTokens, reg := payload(t, ok(t, r), "register")
		keep(regTokens)
		userID := reg["user"].(map[string]any)["id"].(string)

		verifyToken := linkToken(t, mb.next(t, email), "verify-email")
		ok(t, srv.doTraced(t, trace("verify"), "", verifyEmailOp, map[string]any{"t": verifyToken}))

		r = srv.doTraced(t, trace("wrongLogin"), "", `mutation LogIn($i: LoginInput!) { login(input: $i) { accessToken } }`,
			map[string]any{"i": map[string]any{"email": email, "password": wrong}})
		wantErr(t, r, "INVALID_CREDENTIALS", "")

		r = srv.doTraced(t, trace("login"), "", `mutation LogIn($i: LoginInput!) { login(input: $i) { `+payloadFields+` } }`,
			map[string]any{"i": map[string]any{"email": email, "password": password}})
		loginTokens, _ := payload(t, ok(t, r), "login")
		keep(loginTokens)

		ok(t, srv.doTraced(t, trace("me"), loginTokens.access, `query Me { me { id email role } }`, nil))

		r = srv.doTraced(t, trace("refresh"), "", `mutation($r: String) { refresh(refreshToken: $r) { `+payloadFields+` } }`,
			map[string]any{"r": loginTokens.refresh})
		refreshed, _ := payload(t, ok(t, r), "refresh")
		keep(refreshed)

		unsampled := newTraceparent(false)
		ok(t, srv.doTraced(t, unsampled, refreshed.access, `{ me { id } }`, nil))
		ok(t, srv.do(t, refreshed.access, `query Untraced { me { id } }`, nil))

		// Tokens in URLs (a mailed link pointed at the API by mistake, a
		// GET's variables) stay out: spans carry the route, not the URL.
		stray, get := newTraceparent(true), newTraceparent(true)
		getURL := func(path string, tp traceparent) *http.Response {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			req.Header.Set("traceparent", tp.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		if resp := getURL("/verify-email?token="+verifyToken, stray); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a stray link answered %d", resp.StatusCode)
		}
		getURL("/graphql?query="+url.QueryEscape(`query($e: String) { me { id } }`)+"&variables="+url.QueryEscape(`{"e":"`+email+`","p":"`+password+`"}`), get)

		// Last, as a reset ends every session.
		ok(t, srv.doTraced(t, trace("requestReset"), "", requestResetOp, map[string]any{"e": email}))
		resetToken := linkToken(t, mb.next(t, email), "reset-password")
		ok(t, srv.doTraced(t, trace("reset"), "", resetPasswordOp, map[string]any{"t": resetToken, "p": newPassword}))

		// The batch is sent every 5 s or at shutdown: stop now, so the
		// last requests' spans must be flushed by the stop.
		srv.stop()
		all := rcv.Spans()
		defer func() {
			if t.Failed() {
				for _, s := range all {
					t.Logf("trace %s span %s parent %s: %s %v %v", s.TraceID, s.SpanID, s.ParentID, s.Name, s.Kind, s.Attrs)
				}
			}
		}()
		secrets = append(secrets, email, password, wrong, newPassword, verifyToken, resetToken)
		for _, leak := range rcv.leaks(secrets) {
			t.Error(leak)
		}

		dialect := "sqlite"
		if strings.HasPrefix(dbURL, "postgres") {
			dialect = "postgresql"
		}
		for name, tp := range traces {
			spans := spansOf(all, tp.traceID)
			// The router's span is the parent of this server's root span.
			root := findSpan(t, spans, "POST /graphql")
			if root.ParentID != tp.parentID || root.Kind != tracepb.Span_SPAN_KIND_SERVER {
				t.Errorf("%s: the HTTP span's parent is %q (kind %v), want the router's %q", name, root.ParentID, root.Kind, tp.parentID)
			}
			wantAttrs(t, root, map[string]string{"http.request.method": "POST", "http.route": "/graphql", "http.response.status_code": "200"})
			if root.Attrs["gqlauth.request_id"] == "" {
				t.Errorf("%s: the HTTP span has no request id", name)
			}
			if got := root.Resource["service.name"]; got != "gqlauth-under-test" {
				t.Errorf("%s: service.name %q", name, got)
			}
			for _, s := range spans {
				if s.SpanID != root.SpanID && !slices.ContainsFunc(spans, func(p recvSpan) bool { return p.SpanID == s.ParentID }) {
					t.Errorf("%s: span %q has a parent outside its trace", name, s.Name)
				}
				if strings.HasPrefix(s.Name, "db.") {
					if s.Kind != tracepb.Span_SPAN_KIND_CLIENT || s.Attrs["db.system.name"] != dialect {
						t.Errorf("%s: store span %q: kind %v, db.system.name %q, want CLIENT on %s", name, s.Name, s.Kind, s.Attrs["db.system.name"], dialect)
					}
				}
			}
		}

		login := spansOf(all, traces["login"].traceID)
		op := findSpan(t, login, "mutation login")
		wantAttrs(t, op, map[string]string{"graphql.operation.type": "mutation", "graphql.operation.name": "LogIn"})
		if op.ParentID != findSpan(t, login, "POST /graphql").SpanID {
			t.Error("the operation's span is not a child of the request's")
		}
		findSpan(t, login, "password.hash")
		wantAttrs(t, findSpan(t, login, "db.UserByEmail"), map[string]string{"db.operation.name": "SELECT"})
		wantAttrs(t, findSpan(t, login, "db.CreateSession"), map[string]string{"db.operation.name": "INSERT"})
		wantAttrs(t, findSpan(t, login, db.SpanTx), map[string]string{"gqlauth.db.tx.outcome": "commit"})

		// A wrong password is hashed too (and the span says nothing of it).
		findSpan(t, spansOf(all, traces["wrongLogin"].traceID), "password.hash")
		wrongOp := findSpan(t, spansOf(all, traces["wrongLogin"].traceID), "mutation login")
		wantAttrs(t, wrongOp, map[string]string{"gqlauth.error.codes": "INVALID_CREDENTIALS"})
		if wrongOp.StatusCode == tracepb.Status_STATUS_CODE_ERROR {
			t.Error("a client's wrong password marks the operation failed")
		}
		findSpan(t, spansOf(all, traces["register"].traceID), "password.hash")
		findSpan(t, spansOf(all, traces["reset"].traceID), "password.hash")

		me := spansOf(all, traces["me"].traceID)
		meOp := findSpan(t, me, "query me")
		wantAttrs(t, meOp, map[string]string{"graphql.operation.type": "query", "graphql.operation.name": "Me"})
		check := findSpan(t, me, "auth.check")
		wantAttrs(t, check, map[string]string{"graphql.field.name": "me", "user.id": userID})
		if check.ParentID != meOp.SpanID {
			t.Error("the auth check is not a child of the operation")
		}

		strayRoot := findSpan(t, spansOf(all, stray.traceID), "GET")
		wantAttrs(t, strayRoot, map[string]string{"http.response.status_code": "404"})
		if route, ok := strayRoot.Attrs["http.route"]; ok {
			t.Errorf("a path not among the server's routes is a span's route: %q", route)
		}
		findSpan(t, spansOf(all, get.traceID), "GET /graphql")

		if spans := spansOf(all, unsampled.traceID); len(spans) > 0 {
			t.Errorf("an unsampled traceparent recorded %d spans", len(spans))
		}
		// Without a traceparent the server starts a trace of its own.
		roots := 0
		for _, s := range all {
			if s.Name == "POST /graphql" && s.ParentID == "" {
				roots++
			}
		}
		if roots != 1 {
			t.Errorf("%d root HTTP spans, want 1 (the request without traceparent)", roots)
		}

		for _, h := range rcv.headers {
			if got := h.Get("X-Collector-Key"); got != "k3y one" {
				t.Errorf("export sent X-Collector-Key %q, want OTEL_EXPORTER_OTLP_HEADERS' %q", got, "k3y one")
			}
		}
		// The access log line leads to the trace, sampled or not.
		for _, id := range []string{traces["me"].traceID, unsampled.traceID} {
			if !strings.Contains(srv.stderr.String(), "trace_id="+id) {
				t.Errorf("the access log does not carry the trace id %s", id)
			}
		}
	})
}
