package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gqlauth/gqlauth/auth"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The JSON transports, with the status codes of GraphQL over HTTP. gqlgen
// answers a request that fails before execution (a document that does not
// parse or validate, variables that do not coerce, a request limit) with
// 422 to application/json clients, which Apollo Client 3 turns into a
// network error and so loses the errors, and with `"data": null` to
// application/graphql-response+json clients, whose media type says a
// request error has no data. It answers a mutation over GET with 406 and
// no extensions.code. These wrappers keep gqlgen's transports and correct
// only those answers.
type (
	postTransport struct{ transport.POST }
	getTransport  struct{ transport.GET }
)

var (
	_ graphql.Transport = postTransport{}
	_ graphql.Transport = getTransport{}
)

// Do serves a POST.
func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rw := &requestErrorWriter{ResponseWriter: w}
	t.POST.Do(rw, r, exec)
	rw.finish()
}

// Do serves a GET.
func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	rw := &requestErrorWriter{ResponseWriter: w}
	t.GET.Do(rw, r, exec)
	rw.finish()
}

// requestErrorWriter holds back the answer to a request that failed before
// execution, which gqlgen's transports (and only those answers) start with
// WriteHeader, so that finish can set its status and body. An executed
// operation's answer goes straight through.
type requestErrorWriter struct {
	http.ResponseWriter
	failed bool
	status int
	body   bytes.Buffer
}

func (w *requestErrorWriter) WriteHeader(code int) {
	if !w.failed {
		w.failed, w.status = true, code
	}
}

func (w *requestErrorWriter) Write(b []byte) (int, error) {
	if !w.failed {
		return w.ResponseWriter.Write(b)
	}
	return w.body.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *requestErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestErrorBody is a request error's answer: errors and no data entry
// (the GraphQL spec: "if an error was raised before execution begins, the
// data entry should not be present").
type requestErrorBody struct {
	Errors     json.RawMessage `json:"errors"`
	Extensions json.RawMessage `json:"extensions,omitempty"`
}

func (w *requestErrorWriter) finish() {
	if !w.failed {
		return
	}
	h := w.ResponseWriter.Header()
	h.Set("Cache-Control", "no-store")
	if w.status == http.StatusNotAcceptable {
		// gqlgen's GET transport refusing a mutation (or subscription).
		h.Set("Allow", "POST")
		w.ResponseWriter.WriteHeader(http.StatusMethodNotAllowed)
		_ = json.NewEncoder(w.ResponseWriter).Encode(map[string]any{"errors": []map[string]any{{
			"message":    "only queries may be sent with GET; send mutations with POST",
			"extensions": map[string]any{"code": string(auth.CodeMethodNotAllowed)},
		}}})
		return
	}
	var body requestErrorBody
	var codes struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	raw := w.body.Bytes()
	if json.Unmarshal(raw, &body) != nil || json.Unmarshal(raw, &codes) != nil || len(codes.Errors) == 0 {
		// Not an error list: pass it on as gqlgen wrote it.
		w.ResponseWriter.WriteHeader(w.status)
		_, _ = w.ResponseWriter.Write(raw)
		return
	}
	graphqlResponse := strings.HasPrefix(h.Get("Content-Type"), "application/graphql-response+json")
	w.ResponseWriter.WriteHeader(requestErrorStatus(codes.Errors[0].Extensions.Code, graphqlResponse))
	_ = json.NewEncoder(w.ResponseWriter).Encode(body)
}

// requestErrorStatus is the status of a request error with code, per
// GraphQL over HTTP: a request that is not a GraphQL request at all
// (undecodable, no query) is 400 whatever the client accepts; any other
// (the document, the variables, a limit) is 200 with the errors in the
// body for application/json, which clients of that media type expect, and
// 400 for application/graphql-response+json, whose status tells the
// client that nothing ran.
func requestErrorStatus(code string, graphqlResponse bool) int {
	if code == string(auth.CodeBadRequest) || graphqlResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// requireQuery refuses a request without a document (no query, and no
// persisted query's hash that could be looked up), which gqlgen would
// answer as a document with no operation. It runs after the persisted
// query extension has filled the query in.
type requireQuery struct{}

var (
	_ graphql.HandlerExtension          = requireQuery{}
	_ graphql.OperationParameterMutator = requireQuery{}
)

func (requireQuery) ExtensionName() string                   { return "RequireQuery" }
func (requireQuery) Validate(graphql.ExecutableSchema) error { return nil }

func (requireQuery) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query != "" {
		return nil
	}
	return &gqlerror.Error{
		Message:    `the request has no query: send {"query": "…"} (or the query parameter with GET)`,
		Extensions: map[string]any{"code": string(auth.CodeBadRequest)},
	}
}
