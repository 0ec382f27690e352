package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the bare handler: startBare
// re-executes whatever binary is running, and under `go test` that is this
// one.
func TestMain(m *testing.M) {
	if maybeServeBare() {
		return
	}
	os.Exit(m.Run())
}

// TestBenchRuns runs the whole tool briefly on SQLite, so that it cannot
// rot unnoticed: every scenario must run, move requests and see no error.
// Hashing is cheap here (the one place the override flags are for); the
// connection counts stay below the server's hashing queue, so that no login
// is refused.
func TestBenchRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	opts := options{
		Users:    20,
		Duration: 300 * time.Millisecond,
		Warmup:   100 * time.Millisecond,
		Conc:     8, HashConc: 4, WideConc: 32,
		Out:             out,
		Argon2MemoryKiB: 64, Argon2Time: 1,
		Sockets: 40, SocketsPerUser: 10,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, progress bytes.Buffer
	rep, err := run(ctx, opts, &stdout, &progress)
	if err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, progress.String())
	}
	if len(rep.Rows) != len(scenarios) {
		t.Fatalf("%d rows for %d scenarios", len(rep.Rows), len(scenarios))
	}
	for i, r := range rep.Rows {
		if r.Name != scenarios[i].Name {
			t.Errorf("row %d is %s, want %s", i, r.Name, scenarios[i].Name)
		}
		if r.Result == nil {
			t.Errorf("%s did not run", r.Name)
			continue
		}
		l := r.Result.Load
		if l.Requests == 0 || l.RPS() <= 0 {
			t.Errorf("%s: no throughput", r.Name)
		}
		if l.Errors > 0 {
			t.Errorf("%s: %d errors: %s", r.Name, l.Errors, l.ErrorSummary())
		}
		if r.Result.Mem.Current <= 0 || r.Result.Mem.Peak <= 0 {
			t.Errorf("%s: no RSS reading: %+v", r.Name, r.Result.Mem)
		}
	}
	for i, r := range rep.Rows {
		if want := scenarios[i].Floor; want != "" && (r.Floor == nil || r.Floor.Kind != want || r.Floor.Rate <= 0) {
			t.Errorf("%s: floor %+v, want a %s measurement", r.Name, r.Floor, want)
		}
		if _, _, ok := rep.baseline(&rep.Rows[i]); !ok && (scenarios[i].Floor != "" || r.Name == "me-under-login") {
			t.Errorf("%s: no ratio to its baseline", r.Name)
		}
	}
	if s := rep.Sockets; s == nil {
		t.Error("the subscriptions did not run")
	} else if s.Revoked != 10 || s.OthersOpen != 30 || s.LastClose <= 0 || s.Open.Current <= 0 || s.Idle.Current <= 0 {
		t.Errorf("subscriptions: %+v", s)
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(md) != stdout.String() {
		t.Error("the file and stdout differ")
	}
	for _, want := range []string{"## Setup", "## Baselines", "## Scenarios", "## Targets", "## Subscriptions", "test override", "| me-under-login |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md)+progress.String(), "skipped") {
		t.Errorf("a scenario was skipped:\n%s", md)
	}
}
