package main

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
)

// docTable returns the first cells of the Markdown table that follows
// heading in the Markdown file path.
func docTable(t *testing.T, path, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no %q section", path, heading)
	}
	var cells []string
	inTable := false
	for _, line := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cols := strings.Split(line, "|")
		if len(cols) > 2 && !strings.HasPrefix(strings.TrimSpace(cols[1]), "---") {
			cells = append(cells, cols[1])
		}
	}
	if len(cells) < 2 {
		t.Fatalf("%s: the %q table not found", path, heading)
	}
	return cells[1:] // past the header row
}

var backticked = regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")

// names collects the backticked upper-case names of the cells.
func names(cells []string) []string {
	var out []string
	for _, c := range cells {
		for _, m := range backticked.FindAllStringSubmatch(c, -1) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestDocsErrorTableListsEveryCode keeps the error table of docs/api.md
// and the one list of client-visible codes (auth.Codes) the same.
func TestDocsErrorTableListsEveryCode(t *testing.T) {
	documented := names(docTable(t, "docs/api.md", "## Errors"))
	var codes []string
	for _, c := range auth.Codes {
		codes = append(codes, string(c))
	}
	slices.Sort(codes)
	for _, c := range codes {
		if !slices.Contains(documented, c) {
			t.Errorf("code %s is not in docs/api.md's error table", c)
		}
	}
	for _, c := range documented {
		if !slices.Contains(codes, c) {
			t.Errorf("docs/api.md's error table lists %s, which is not in auth.Codes", c)
		}
	}
}

// TestConfigDocsUpToDate: docs/configuration.md is what `gqlauth config
// docs` generates from the settings table now (`make docs` rewrites it).
func TestConfigDocsUpToDate(t *testing.T) {
	var want bytes.Buffer
	configDocs(&want)
	got, err := os.ReadFile("docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatal("docs/configuration.md is out of date with the settings table: run make docs")
	}
	if rows := strings.Count(string(got), "\n| `"); rows != len(settings) {
		t.Fatalf("docs/configuration.md documents %d settings, the server reads %d", rows, len(settings))
	}
}

// TestREADMEFrontPageIsShort: the README is a front page (what gqlauth is,
// the two commands, prerequisites, a walkthrough, links); the guides are
// in docs/.
func TestREADMEFrontPageIsShort(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(string(b))); n >= 12000 {
		t.Fatalf("README.md is %d characters; the front page should stay under 12,000 (move detail to docs/)", n)
	}
}
