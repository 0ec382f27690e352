package graph

import (
	"strings"

	"github.com/gqlauth/gqlauth/auth"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// bodyNotDecodedMessage replaces gqlgen's answer to a POST body that is
// not a GraphQL request object, which quotes the decoder's error and then
// the whole body back: passwords or tokens in a slightly broken request
// would land in the response (and in any log or proxy that keeps it).
const bodyNotDecodedMessage = `the request body must be a JSON object: {"query": …, "variables": {…}, "operationName": …}`

// hideUndecodedBody rewrites gqlgen's refusal of an undecodable POST body
// so that it quotes nothing the client sent; it reports whether gerr was
// that refusal.
func hideUndecodedBody(gerr *gqlerror.Error) bool {
	if !strings.HasPrefix(gerr.Message, "json request body could not be decoded") {
		return false
	}
	gerr.Message = bodyNotDecodedMessage
	gerr.Extensions = map[string]any{"code": string(auth.CodeBadRequest)}
	return true
}
