package db

import "testing"

// TestSpanNaming: a statement's span is named after the store method that
// ran it, and says which operation it was, from the code alone.
func TestSpanNaming(t *testing.T) {
	for fn, want := range map[string]string{
		"github.com/gqlauth/gqlauth/db.queries.TokenState":               "TokenState",
		"github.com/gqlauth/gqlauth/db.(*Store).Tx":                      "Tx",
		"github.com/gqlauth/gqlauth/db.queries.RevokeUserSessions.func1": "RevokeUserSessions",
		"github.com/gqlauth/gqlauth/db.(*Store).ClaimMail.func2.1":       "ClaimMail",
		"github.com/gqlauth/gqlauth/db.queries.Prune.deferwrap1":         "Prune",
		"github.com/gqlauth/gqlauth/db.updateOne":                        "updateOne",
		"main": "",
	} {
		if got := methodName(fn); got != want {
			t.Errorf("methodName(%q) = %q, want %q", fn, got, want)
		}
	}
	for q, want := range map[string]string{
		"SELECT 1": "SELECT",
		"\n\t\tINSERT INTO users (id) VALUES (?)": "INSERT",
		"update sessions SET x = ?":               "UPDATE",
		"WITH s AS (UPDATE sessions …) SELECT":    "WITH",
		"(SELECT 1) UNION (SELECT 2)":             "SELECT",
	} {
		if got := firstKeyword(q); got != want {
			t.Errorf("firstKeyword(%q) = %q, want %q", q, got, want)
		}
	}
}
