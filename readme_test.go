package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gqlauth/gqlauth/auth"
)

// readmeTable returns the first cells of the Markdown table that follows
// heading in the README.
func readmeTable(t *testing.T, heading string) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
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
		t.Fatalf("README's %q table not found", heading)
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

// TestREADMEErrorTableListsEveryCode keeps the README's error table and the
// one list of client-visible codes (auth.Codes) the same.
func TestREADMEErrorTableListsEveryCode(t *testing.T) {
	documented := names(readmeTable(t, "### Errors"))
	var codes []string
	for _, c := range auth.Codes {
		codes = append(codes, string(c))
	}
	slices.Sort(codes)
	for _, c := range codes {
		if !slices.Contains(documented, c) {
			t.Errorf("code %s is not in the README's error table", c)
		}
	}
	for _, c := range documented {
		if !slices.Contains(codes, c) {
			t.Errorf("the README's error table lists %s, which is not in auth.Codes", c)
		}
	}
}

// TestREADMEConfigTableListsEverySetting keeps the README's configuration
// table and the settings the server reads the same.
func TestREADMEConfigTableListsEverySetting(t *testing.T) {
	documented := names(readmeTable(t, "## Configuration"))
	var read []string
	for _, s := range settings {
		read = append(read, s.env)
	}
	slices.Sort(read)
	for _, s := range read {
		if !slices.Contains(documented, s) {
			t.Errorf("setting %s is not in the README's configuration table", s)
		}
	}
	for _, s := range documented {
		if !slices.Contains(read, s) {
			t.Errorf("the README's configuration table lists %s, which the server does not read", s)
		}
	}
}
