package graph

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gqlauth/gqlauth/auth"
)

// checkArguments refuses, before any directive or resolver runs, a field
// whose arguments hold a string no store can keep: PostgreSQL's text type
// refuses NUL bytes and invalid UTF-8 outright, so such a string would
// reach the database and come back as an internal error (and an ERROR
// log) although it is the client's mistake. JSON variables are always
// valid UTF-8, but a GET query's literals are raw bytes. Checking here,
// once for every field, means no resolver can forget; it answers
// BAD_USER_INPUT naming the argument's path (`id`, `input.email`,
// `representations[0].id`) on every store alike.
func checkArguments(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(fc.Field.Arguments) == 0 {
		return next(ctx)
	}
	var vars map[string]any
	if oc := graphql.GetOperationContext(ctx); oc != nil {
		vars = oc.Variables
	}
	args := fc.Field.ArgumentMap(vars)
	for _, name := range slices.Sorted(maps.Keys(args)) {
		if err := checkValue(name, args[name]); err != nil {
			return nil, err
		}
	}
	return next(ctx)
}

// checkValue walks one argument value as the client sent it: strings,
// input objects and lists, to any depth.
func checkValue(path string, v any) error {
	switch v := v.(type) {
	case string:
		return checkString(path, v)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) { // the same error every time
			if err := checkValue(path+"."+k, v[k]); err != nil {
				return err
			}
		}
	case []any:
		for i, ev := range v {
			if err := checkValue(path+"["+strconv.Itoa(i)+"]", ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkString(path, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return auth.BadInput(path, "%s must not contain a NUL character", path)
	}
	if !utf8.ValidString(s) {
		return auth.BadInput(path, "%s must be valid UTF-8", path)
	}
	return nil
}
