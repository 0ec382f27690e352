package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gqlauth/gqlauth/auth"
)

// DefaultMaxBodyBytes bounds a GraphQL request body.
const DefaultMaxBodyBytes = 1 << 20

// guardGraphQL refuses what a browser can send cross-site without a CORS
// preflight (a POST of text/plain, a form, multipart) and bodies over
// maxBody. Mutations over GET are refused by the GET transport itself.
func guardGraphQL(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			if msg := undecodableGET(r); msg != "" {
				reject(w, http.StatusBadRequest, auth.CodeBadRequest, msg, nil)
				return
			}
		case http.MethodOptions:
		case http.MethodPost:
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || (mt != "application/json" && mt != "application/graphql-response+json") {
				reject(w, http.StatusUnsupportedMediaType, auth.CodeUnsupportedMediaType,
					"POST /graphql needs Content-Type: application/json", nil)
				return
			}
			// gqlgen's JSON transport matches application/json only.
			r.Header.Set("Content-Type", "application/json")
			tooLarge := func() {
				reject(w, http.StatusRequestEntityTooLarge, auth.CodeRequestTooLarge,
					"request body exceeds "+strconv.FormatInt(maxBody, 10)+" bytes", map[string]any{"limit": maxBody})
			}
			if r.ContentLength > maxBody {
				tooLarge()
				return
			}
			// A body without a length (chunked) is read up to the bound, so
			// that it is refused the same way before gqlgen sees it.
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				reject(w, http.StatusBadRequest, auth.CodeBadRequest, "could not read the request body", nil)
				return
			}
			if int64(len(body)) > maxBody {
				tooLarge()
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			reject(w, http.StatusMethodNotAllowed, auth.CodeMethodNotAllowed, "use POST (or GET for queries)", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// reject answers in the GraphQL error shape, so clients handle it like any
// other error.
func reject(w http.ResponseWriter, status int, code auth.Code, msg string, ext map[string]any) {
	if ext == nil {
		ext = map[string]any{}
	}
	ext["code"] = string(code)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": ext}}})
}
