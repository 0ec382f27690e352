package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// maxCachedQuery is the longest query text kept in the query cache. The
// cache is keyed by the text and each document holds its source, so
// without a bound 1,000 bodies padded with a comment to 1 MiB would keep a
// gigabyte; a client's real queries are far shorter, and a longer one is
// only parsed and validated again (within the node budget).
const maxCachedQuery = 16 << 10

// queryCache is gqlgen's query cache for documents that are worth keeping.
type queryCache struct{ lru *lru.LRU[*ast.QueryDocument] }

var _ graphql.Cache[*ast.QueryDocument] = queryCache{}

func newQueryCache(entries int) queryCache {
	return queryCache{lru.New[*ast.QueryDocument](entries)}
}

func (c queryCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if len(query) > maxCachedQuery {
		return nil, false
	}
	return c.lru.Get(ctx, query)
}

func (c queryCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	if len(query) <= maxCachedQuery {
		c.lru.Add(ctx, query, doc)
	}
}
