// Package graph is the GraphQL layer: the gqlgen-generated executor, thin
// resolvers that call the auth service, and the schema directives.
package graph

import "github.com/gqlauth/gqlauth/auth"

//go:generate go run github.com/99designs/gqlgen generate

// Resolver is the root resolver; it holds only the auth service.
type Resolver struct {
	Auth *auth.Service
}
