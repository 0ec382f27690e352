package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCORSRefusesPatternsAndNull: an origin list that would grant
// credentials to sites no one named stops the server before it listens,
// with one line per bad entry naming it; the good entries beside them are
// not reported.
func TestCORSRefusesPatternsAndNull(t *testing.T) {
	bad := []string{"https://*", "https://*.example.com", "*.example.com", "http://app.example.com:*", "null", "NULL", "*",
		"https://app.example.com/", "app.example.com", "https://app.example.com/path"}
	good := []string{"https://app.example.com", "http://localhost:3000"}
	env := map[string]string{"DATABASE_URL": sqliteURL(t), "CORS_ALLOWED_ORIGINS": strings.Join(append(bad, good...), ", ")}
	err := run(context.Background(), []string{"gqlauth"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("started with origin patterns")
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if strings.Contains(l, "CORS_ALLOWED_ORIGINS") {
			lines = append(lines, l)
		}
	}
	if len(lines) != len(bad) {
		t.Fatalf("want %d lines, one per bad origin, got:\n%s", len(bad), err)
	}
	for i, o := range bad {
		if !strings.Contains(lines[i], `"`+o+`"`) {
			t.Errorf("line %d does not name %q: %s", i, o, lines[i])
		}
	}
	for _, o := range good {
		if strings.Contains(err.Error(), `"`+o+`"`) {
			t.Errorf("good origin %q reported:\n%s", o, err)
		}
	}
	// The good ones alone start the server.
	env["CORS_ALLOWED_ORIGINS"] = strings.Join(good, ",")
	if _, err := loadConfig(getenvFrom(env)); err != nil {
		t.Fatalf("good origins refused: %v", err)
	}
}
