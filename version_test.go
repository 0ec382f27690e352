package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
)

// TestBuildInfoFromEmbeddedSettings: a release build shows its module
// version, a build of a checkout its commit, marked when it had changes.
func TestBuildInfoFromEmbeddedSettings(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}}
	b := buildInfoFrom(bi, true)
	if got, want := b.String(), "gqlauth v1.4.0 (revision 0123abcd-modified) go1.26.8"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if b.RevisionLabel() != "0123abcd-modified" {
		t.Errorf("RevisionLabel() = %q", b.RevisionLabel())
	}
	if b := buildInfoFrom(nil, false); b.Version != "(devel)" || b.GoVersion == "" {
		t.Errorf("without build info: %+v", b)
	}
}

// TestVersionCommand: --version, -version and version print the build, and
// --help names it too, with no configuration or database needed.
func TestVersionCommand(t *testing.T) {
	want := readBuildInfo().String()
	bad := map[string]string{"ACCESS_TOKEN_TTL": "nonsense"} // a broken environment does not stop it
	for _, arg := range []string{"--version", "-version", "version", "--help"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"gqlauth", arg}, getenvFrom(bad), nil, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("gqlauth %s printed %q, want it to contain %q", arg, out.String(), want)
		}
	}
}

// TestMetricsBuildInfo: /metrics says which build answers.
func TestMetricsBuildInfo(t *testing.T) {
	s := startServer(t, testEnv(sqliteURL(t), nil))
	b := readBuildInfo()
	want := fmt.Sprintf(`gqlauth_build_info{goversion=%q,revision=%q,version=%q} 1`, b.GoVersion, b.RevisionLabel(), b.Version)
	if _, body := get(t, s.URL+"/metrics"); !strings.Contains(body, want) {
		t.Fatalf("/metrics lacks %s", want)
	}
}
