package graph

import (
	"context"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
)

// The router's authorization directives as the schema writes them, and
// their imports in the @link line.
var (
	edgeDirectiveUse    = regexp.MustCompile(`\s*@(authenticated|requiresScopes\(scopes:\s*\[[^)]*\]\))`)
	edgeDirectiveImport = regexp.MustCompile(`,\s*"@(authenticated|requiresScopes)"`)
)

// withoutEdgeDirectives serves federation's `_service { sdl }` without
// @authenticated and @requiresScopes (FEDERATION_EDGE_DIRECTIVES=false),
// for @apollo/gateway: it refuses any supergraph that uses them (they are
// "for: SECURITY" features only Apollo Router implements). The server's
// own directives, which decide every request, are unchanged.
func withoutEdgeDirectives(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	fc := graphql.GetFieldContext(ctx)
	if err != nil || fc == nil || fc.Object != "_Service" || fc.Field.Name != "sdl" {
		return res, err
	}
	switch sdl := res.(type) {
	case string:
		return stripEdgeDirectives(sdl), nil
	case *string:
		if sdl != nil {
			s := stripEdgeDirectives(*sdl)
			return &s, nil
		}
	}
	return res, err
}

// stripEdgeDirectives works line by line and leaves comments and
// descriptions alone, which may name the directives.
func stripEdgeDirectives(sdl string) string {
	lines := strings.Split(sdl, "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "#") || strings.HasPrefix(t, `"`) {
			continue
		}
		lines[i] = edgeDirectiveUse.ReplaceAllString(edgeDirectiveImport.ReplaceAllString(l, ""), "")
	}
	return strings.Join(lines, "\n")
}
