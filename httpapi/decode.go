package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// undecodableGET tells why a GET request's parameters cannot be decoded,
// or "" when they can. gqlgen's GET transport answers these itself,
// without extensions.code, and quotes the parser's error (which echoes
// part of the query string); this answers first, in the usual error
// shape, with a message that quotes nothing the client sent.
func undecodableGET(r *http.Request) string {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "the query string is malformed"
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := q.Get(name); v != "" {
			var m map[string]any
			if json.Unmarshal([]byte(v), &m) != nil {
				return "the " + name + " parameter must be a JSON object"
			}
		}
	}
	return ""
}
