package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// A body padded to the body limit must not be kept: the cached document
// holds its source.
func TestQueryCacheKeepsOnlyShortQueries(t *testing.T) {
	ctx := context.Background()
	c := newQueryCache(10)
	short, long := "{ __typename }", "{ __typename } #"+strings.Repeat("x", maxCachedQuery)
	c.Add(ctx, short, &ast.QueryDocument{})
	c.Add(ctx, long, &ast.QueryDocument{})
	if _, ok := c.Get(ctx, short); !ok {
		t.Error("a short query was not cached")
	}
	if _, ok := c.lru.Get(ctx, long); ok {
		t.Error("a query over maxCachedQuery was cached")
	}
}
