package main

import (
	"crypto/sha512"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// get fetches path from the server and returns the response with its body.
func (s *testServer) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// The playground page needs nothing but this server: every script and
// stylesheet it names is served here, matches its SRI hash, and the CSP
// allows no other origin and no inline script or style. (e2e/browser.test.mjs
// runs it in Chromium with every other host blocked.)
func TestPlaygroundServedFromBinary(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	resp, page := s.get(t, "/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	if got := resp.Header.Get("Content-Security-Policy"); got != csp {
		t.Fatalf("CSP = %q", got)
	}
	if regexp.MustCompile(`(?i)https?://|<script>|<style|style=`).Match(page) {
		t.Fatalf("the page refers to another origin or has inline code:\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)" integrity="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	names := map[string]bool{}
	for _, ref := range refs {
		url, integrity := ref[1], html.UnescapeString(ref[2])
		names[url[strings.LastIndex(url, "/")+1:]] = true
		if !strings.HasPrefix(url, "/playground/assets/") {
			t.Errorf("%s is not served by the playground", url)
			continue
		}
		resp, body := s.get(t, url)
		sum := sha512.Sum384(body)
		if resp.StatusCode != http.StatusOK || "sha384-"+base64.StdEncoding.EncodeToString(sum[:]) != integrity {
			t.Errorf("%s: status %d, %d bytes not matching %s", url, resp.StatusCode, len(body), integrity)
		}
		// Unchanged files are revalidated, not downloaded again.
		req, _ := http.NewRequest(http.MethodGet, s.URL+url, nil)
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		again, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		again.Body.Close()
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidated: %d", url, again.StatusCode)
		}
	}
	for _, want := range []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql.min.css", "playground.js", "playground.css"} {
		if !names[want] {
			t.Errorf("the page does not load %s: %v", want, names)
		}
	}
	wantAttributes(t, page, `data-headers="true"`, `data-cookies="false"`)
	if resp, _ := s.get(t, "/playground/assets/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: %d", resp.StatusCode)
	}

	// In cookie mode the page learns the CSRF cookie and header names.
	c := startServer(t, testEnv(sqliteURL(t), map[string]string{"TOKEN_LOCATION": "cookies", "CSRF_COOKIE_NAME": "my_csrf"}))
	_, page = c.get(t, "/")
	wantAttributes(t, page, `data-headers="false"`, `data-cookies="true"`, `data-csrf-cookie="my_csrf"`, `data-csrf-header="X-CSRF-Token"`)
}

func wantAttributes(t *testing.T, page []byte, attrs ...string) {
	t.Helper()
	for _, a := range attrs {
		if !strings.Contains(string(page), a) {
			t.Errorf("the page has no %s:\n%s", a, page)
		}
	}
}
