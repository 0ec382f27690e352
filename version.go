package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what the binary knows of its own build: an operator asking
// "which build is this?" and /metrics answer the same.
type buildInfo struct {
	Version   string // the module version, or (devel) for a build of a checkout
	Revision  string // the VCS commit, when the build recorded one
	Modified  bool   // the checkout had uncommitted changes
	GoVersion string
}

// readBuildInfo reads the build information the Go toolchain embedded.
func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	return buildInfoFrom(bi, ok)
}

// buildInfoFrom is readBuildInfo's parsing, apart so that tests can give it
// what a release build or a dirty checkout embeds.
func buildInfoFrom(bi *debug.BuildInfo, ok bool) buildInfo {
	b := buildInfo{Version: "(devel)", GoVersion: runtime.Version()}
	if !ok || bi == nil {
		return b
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// RevisionLabel is the revision as /metrics shows it: a build from a
// modified checkout is not that commit, and says so.
func (b buildInfo) RevisionLabel() string {
	if b.Modified && b.Revision != "" {
		return b.Revision + "-modified"
	}
	return b.Revision
}

// String is the one line `gqlauth --version` prints.
func (b buildInfo) String() string {
	s := "gqlauth " + b.Version
	if b.Revision != "" {
		s += " (revision " + b.RevisionLabel() + ")"
	}
	return s + " " + b.GoVersion
}

func printVersion(w io.Writer) {
	fmt.Fprintln(w, readBuildInfo())
}
