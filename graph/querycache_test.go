package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// A body padded past 16 KiB must not be kept: the cached document holds
// its source. The size is written out, not taken from maxCachedQuery, so
// that widening the bound fails here.
func TestQueryCacheKeepsOnlyShortQueries(t *testing.T) {
	ctx := context.Background()
	c := newQueryCache(10)
	const pad = "{ __typename } #"
	short, long := "{ __typename }", pad+strings.Repeat("x", 16<<10+1-len(pad))
	c.Add(ctx, short, &ast.QueryDocument{})
	c.Add(ctx, long, &ast.QueryDocument{})
	if _, ok := c.Get(ctx, short); !ok {
		t.Error("a short query was not cached")
	}
	if _, ok := c.lru.Get(ctx, long); ok {
		t.Error("a query over maxCachedQuery was cached")
	}
}
