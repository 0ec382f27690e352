package main

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procStat returns field n (1-based, as in proc(5)) of /proc/PID/stat.
func procStat(t *testing.T, pid, n int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the parenthesised command start at field 3.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	v, err := strconv.ParseInt(f[n-3], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLoginsHashInTheWorker: with HASH_ISOLATION=nice:10 the server's
// password hashes run in a child process at nice 10; a worker killed
// under a login answers SERVICE_UNAVAILABLE, not an internal error, and
// the next login, on a new worker, succeeds.
func TestLoginsHashInTheWorker(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	// A hash long enough (hundreds of milliseconds) to be killed midway.
	a := openTestApp(t, testEnv(sqliteURL(t), map[string]string{
		"HASH_ISOLATION": "nice:10", "ARGON2_MEMORY_KIB": "8192", "ARGON2_TIME": "8",
	}))
	hs := httptest.NewServer(a.handler)
	defer hs.Close()
	s := &testServer{URL: hs.URL}

	pid := a.hashWorker.PID()
	if pid == 0 {
		t.Fatal("no hash worker running")
	}
	if nice := procStat(t, pid, 19); nice != 10 {
		t.Fatalf("worker nice %d, want 10", nice)
	}
	if nice := procStat(t, os.Getpid(), 19); nice != 0 {
		t.Fatalf("server nice %d, want 0", nice)
	}
	cpu := func() int64 { return procStat(t, pid, 14) + procStat(t, pid, 15) } // utime + stime, in ticks
	before := cpu()
	s.register(t, "hash@example.com", "password-123")
	if cpu() <= before {
		t.Fatal("register did not make the worker compute anything")
	}

	// Kill the worker once it is visibly hashing this login.
	done := make(chan *gqlResponse, 1)
	go func() {
		done <- s.do(t, "", loginQ, loginVars("hash@example.com", "password-123"))
	}()
	start := cpu()
	deadline := time.Now().Add(10 * time.Second)
	for cpu() < start+2 {
		if time.Now().After(deadline) {
			t.Fatal("the worker never started hashing the login")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if !failsWith("SERVICE_UNAVAILABLE")(r) {
		t.Fatalf("login on a killed worker: %+v, want SERVICE_UNAVAILABLE", r.Errors)
	}
	r = eventually(t, func() *gqlResponse { return s.do(t, "", loginQ, loginVars("hash@example.com", "password-123")) }, succeeds)
	if !succeeds(r) {
		t.Fatalf("login after the worker died: %+v", r.Errors)
	}
	if np := a.hashWorker.PID(); np == pid || np == 0 || a.hashWorker.Restarts() != 1 {
		t.Fatalf("worker pid %d after restart (was %d), %d restarts", np, pid, a.hashWorker.Restarts())
	}
}

func TestParseHashIsolation(t *testing.T) {
	for v, want := range map[string]hashIsolation{
		"off":     {},
		"process": {Process: true},
		"idle":    {Process: true, Idle: true},
		"nice:1":  {Process: true, Nice: 1},
		"nice:19": {Process: true, Nice: 19},
	} {
		if got, err := parseHashIsolation(v); err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", v, got, err, want)
		}
	}
	for _, v := range []string{"", "nice:0", "nice:20", "nice:-5", "nice:", "fast", "IDLE"} {
		if _, err := parseHashIsolation(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
