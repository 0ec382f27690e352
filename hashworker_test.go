package main

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/hashworker"
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
// password hashes run in a child process 10 nice steps below the server; a worker killed
// under a login answers SERVICE_UNAVAILABLE, not an internal error, and
// the next login, on a new worker, succeeds.
func TestLoginsHashInTheWorker(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	// A hash long enough (hundreds of milliseconds) to be killed midway.
	a := openTestApp(t, testEnv(sqliteURL(t), map[string]string{
		"HASH_ISOLATION": "nice:10", "ARGON2_MEMORY_KIB": "8192", "ARGON2_TIME": "32",
	}))
	hs := httptest.NewServer(a.handler)
	defer hs.Close()
	s := &testServer{URL: hs.URL}

	pid := a.hashWorker.PID()
	if pid == 0 {
		t.Fatal("no hash worker running")
	}
	// nice:10 is relative to the server's own nice value, capped at 19.
	base := procStat(t, os.Getpid(), 19)
	if nice := procStat(t, pid, 19); nice != min(19, base+10) {
		t.Fatalf("worker nice %d, want %d (server at %d)", nice, min(19, base+10), base)
	}
	cpu := func() int64 { return procStat(t, pid, 14) + procStat(t, pid, 15) } // utime + stime, in ticks
	before := cpu()
	s.register(t, "hash@example.com", "password-123")
	if cpu() <= before {
		t.Fatal("register did not make the worker compute anything")
	}

	// Kill the worker once it is visibly hashing this login (one clock
	// tick of CPU into a hash of some hundreds of milliseconds).
	done := make(chan *gqlResponse, 1)
	go func() {
		done <- s.do(t, "", loginQ, loginVars("hash@example.com", "password-123"))
	}()
	start := cpu()
	deadline := time.Now().Add(10 * time.Second)
	for cpu() < start+1 {
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
		"off":         {},
		"process":     {Process: true},
		"idle":        {Process: true, Idle: true},
		"idle+nice:5": {Process: true, Idle: true, Nice: 5},
		"nice:1":      {Process: true, Nice: 1},
		"nice:19":     {Process: true, Nice: 19},
	} {
		if got, err := parseHashIsolation(v); err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", v, got, err, want)
		}
	}
	for _, v := range []string{"", "nice:0", "nice:20", "nice:-5", "nice:", "fast", "IDLE", "idle+nice:0", "idle+nice:", "idle+", "nice:5+idle"} {
		if _, err := parseHashIsolation(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}

// TestLoginEndsAtTheOperationTimeoutWhileItsHashWaits: a login whose hash
// cannot run (the worker is stopped, as a starved one would be) still
// answers OPERATION_TIMEOUT on time; the hash keeps its slot until the
// worker answers, and the next login succeeds once it runs again.
func TestLoginEndsAtTheOperationTimeoutWhileItsHashWaits(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	// One worker: with the default's two, a stopped idle worker is what
	// its fallback is for (TestStoppedIdleWorkerFallsBack).
	a := openTestApp(t, testEnv(sqliteURL(t), map[string]string{"OPERATION_TIMEOUT": "500ms", "HASH_ISOLATION": "nice:5"}))
	hs := httptest.NewServer(a.handler)
	defer hs.Close()
	s := &testServer{URL: hs.URL}
	s.register(t, "slow@example.com", "password-123")

	pid := a.hashWorker.PID()
	stopProcess(t, pid)
	start := time.Now()
	r := s.do(t, "", loginQ, loginVars("slow@example.com", "password-123"))
	took := time.Since(start)
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if !failsWith("OPERATION_TIMEOUT")(r) || took > 5*time.Second {
		t.Fatalf("login with a stopped worker: %+v after %s, want OPERATION_TIMEOUT after about 500ms", r.Errors, took)
	}
	r = s.do(t, "", loginQ, loginVars("slow@example.com", "password-123"))
	if !succeeds(r) {
		t.Fatalf("login after the worker resumed: %+v", r.Errors)
	}
	if a.hashWorker.PID() != pid {
		t.Fatal("a stopped, then resumed, worker was replaced")
	}
}

// TestDefaultHashIsolationIsTiered: by default hashes run in a worker at
// SCHED_IDLE, with a second one at nice 5 standing by for when the idle
// one is starved (hashworker.Tiered), and logins use one hashing slot per
// CPU.
func TestDefaultHashIsolationIsTiered(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	// The default cost, so that two hashes use ticks of CPU time.
	a := openTestApp(t, testEnv(sqliteURL(t), map[string]string{"ARGON2_MEMORY_KIB": "19456", "ARGON2_TIME": "2"}))
	tw, ok := a.hashWorker.(*hashworker.Tiered)
	if !ok {
		t.Fatalf("default hash workers are %T, want *hashworker.Tiered", a.hashWorker)
	}
	if a.cfg.HashWorkers != runtime.NumCPU() {
		t.Fatalf("HASH_WORKERS %d, want %d", a.cfg.HashWorkers, runtime.NumCPU())
	}
	const schedIdle = 5
	if policy := procStat(t, tw.PID(), 41); policy != schedIdle {
		t.Fatalf("idle worker's policy %d, want SCHED_IDLE", policy)
	}
	base := procStat(t, os.Getpid(), 19)
	if nice := procStat(t, tw.FallbackPID(), 19); nice != min(19, base+5) {
		t.Fatalf("fallback worker nice %d, want %d", nice, min(19, base+5))
	}
	hs := httptest.NewServer(a.handler)
	defer hs.Close()
	s := &testServer{URL: hs.URL}
	cpu := func() int64 {
		return procStat(t, tw.PID(), 14) + procStat(t, tw.PID(), 15) + procStat(t, tw.FallbackPID(), 14) + procStat(t, tw.FallbackPID(), 15)
	}
	// Which of the two computes depends on what else the machine is doing
	// (under the whole suite the idle one may well be starved).
	before := cpu()
	s.register(t, "tiered@example.com", "password-123")
	s.login(t, "tiered@example.com", "password-123")
	if cpu() <= before {
		t.Fatal("the workers computed nothing for a register and a login")
	}
}

// TestStoppedIdleWorkerFallsBack: with the default isolation a login whose
// hash cannot run in the idle worker (stopped here, as a starved one would
// be) is answered by the niced fallback worker, well within
// OPERATION_TIMEOUT.
func TestStoppedIdleWorkerFallsBack(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	a := openTestApp(t, testEnv(sqliteURL(t), map[string]string{"OPERATION_TIMEOUT": "5s"}))
	tw := a.hashWorker.(*hashworker.Tiered)
	hs := httptest.NewServer(a.handler)
	defer hs.Close()
	s := &testServer{URL: hs.URL}
	s.register(t, "stopped@example.com", "password-123")
	stopProcess(t, tw.PID())
	defer syscall.Kill(tw.PID(), syscall.SIGCONT)
	s.login(t, "stopped@example.com", "password-123")
	s.login(t, "stopped@example.com", "password-123")
	if tw.Fallbacks() < 2 {
		t.Fatalf("%d hashes fell back while the idle worker was stopped", tw.Fallbacks())
	}
}

// stopProcess sends SIGSTOP to pid and waits until /proc shows it stopped:
// the signal is delivered asynchronously, and on a loaded machine a worker
// could still answer a request sent right after kill returned.
func stopProcess(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// The state follows the command's closing parenthesis.
		if i := bytes.LastIndexByte(b, ')'); err == nil && i > 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
			return
		}
	}
	t.Fatalf("process %d did not stop", pid)
}
