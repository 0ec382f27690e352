package hashworker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"golang.org/x/crypto/argon2"
)

// TestMain lets this test binary serve as its own hash worker, as the
// server binary does.
func TestMain(m *testing.M) {
	switch os.Getenv("HASHWORKER_TEST_MODE") {
	case "duplicate-replies":
		os.Exit(serveDuplicates())
	case "parent":
		os.Exit(runParent())
	}
	RunIfChild()
	os.Exit(m.Run())
}

// serveDuplicates is a broken worker: it answers every request three
// times (a reply channel holds one; a client that blocked on a full one
// would hang for good).
func serveDuplicates() int {
	if writeFrame(os.Stdout, []byte(hello)) != nil {
		return 1
	}
	for {
		frame, err := readFrame(os.Stdin)
		if err != nil {
			return 0
		}
		var q request
		if q.unmarshal(frame) != nil {
			return 1
		}
		r := (&reply{ID: q.ID, Key: make([]byte, q.KeyLen)}).marshal()
		for range 3 {
			writeFrame(os.Stdout, r)
		}
	}
}

// runParent starts a worker, prints its pid and waits to be killed.
func runParent() int {
	c, err := Start(Options{})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println(c.PID())
	select {}
}

// helperScript is an executable that runs this test binary in mode.
func helperScript(t *testing.T, mode string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "worker.sh")
	script := fmt.Sprintf("#!/bin/sh\nHASHWORKER_TEST_MODE=%s exec %q\n", mode, exe)
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// gone reports whether pid has exited (a zombie counts: it runs no more).
func gone(pid int) bool {
	f, err := statFields(fmt.Sprintf("/proc/%d/stat", pid))
	return err != nil || len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// stopProcess sends SIGSTOP to pid and waits until the kernel shows it
// stopped: the signal is delivered asynchronously, and on a loaded machine
// a worker could still answer a request sent right after kill returned.
func stopProcess(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if f, err := statFields(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && len(f) > 0 && (f[0] == "T" || f[0] == "t") {
			return
		}
	}
	t.Fatalf("process %d did not stop", pid)
}

func startClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestKeysMatchInlineArgon2(t *testing.T) {
	c := startClient(t, Options{Idle: true})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := fmt.Appendf(nil, "password-%d", i)
			salt := fmt.Appendf(nil, "salt-salt-%d", i)
			mem, tm, keyLen := uint32(64+i*8), uint32(1+i%3), uint32(16+i)
			got, err := c.IDKey(context.Background(), pw, salt, tm, mem, 1, keyLen)
			if err != nil {
				t.Error(err)
				return
			}
			if want := argon2.IDKey(pw, salt, tm, mem, 1, keyLen); !bytes.Equal(got, want) {
				t.Errorf("request %d: worker key %x, inline key %x", i, got, want)
			}
		}()
	}
	wg.Wait()
}

func TestInvalidParametersAreRefusedAndWorkerSurvives(t *testing.T) {
	c := startClient(t, Options{})
	pid := c.PID()
	if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 0, 64, 1, 32); err == nil || !strings.Contains(err.Error(), "invalid argon2id") || errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("t=0: err = %v, want the worker's refusal (not unavailable)", err)
	}
	if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, maxMemoryKiB+1, 1, 32); err == nil {
		t.Fatal("memory beyond the limit was accepted")
	}
	if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 64, 1, 32); err != nil {
		t.Fatal(err)
	}
	if c.PID() != pid {
		t.Fatalf("worker restarted (pid %d -> %d) after refusing bad parameters", pid, c.PID())
	}
}

func TestCanceledContextIsNotSent(t *testing.T) {
	c := startClient(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.IDKey(ctx, []byte("pw"), []byte("saltsalt"), 1, 64, 1, 32); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := c.next.Load(); n != 0 {
		t.Fatalf("%d requests numbered for a canceled context, want none", n)
	}
}

func TestKilledWorkerFailsInFlightAndIsRestarted(t *testing.T) {
	c := startClient(t, Options{})
	pid := c.PID()
	// A hash big enough to be in flight when the worker is killed.
	errc := make(chan error, 1)
	go func() {
		_, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 50, 64<<10, 1, 32)
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "died") || !errors.Is(err, auth.ErrUnavailable) {
			t.Fatalf("in-flight hash: err = %v, want the worker's death, unavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight hash did not fail after its worker was killed")
	}
	time.Sleep(restartEvery)
	key, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 64, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, argon2.IDKey([]byte("pw"), []byte("saltsalt"), 1, 64, 1, 32)) {
		t.Fatal("restarted worker gave a wrong key")
	}
	if c.PID() == pid || c.PID() == 0 || c.Restarts() != 1 {
		t.Fatalf("pid %d -> %d, restarts %d: want a new worker, one restart", pid, c.PID(), c.Restarts())
	}
}

func TestStuckWorkerIsKilled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("progress is read from /proc")
	}
	c := startClient(t, Options{Timeout: 200 * time.Millisecond})
	pid := c.PID()
	// A stopped worker uses no CPU: stuck, not slow.
	stopProcess(t, pid)
	_, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 64, 1, 32)
	if err == nil || !strings.Contains(err.Error(), "no progress") || !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("err = %v, want no progress, unavailable", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatal("the stuck worker is still alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSlowWorkerIsWaitedFor: a hash far longer than Timeout is not taken
// for a stuck worker while the worker keeps using CPU.
func TestSlowWorkerIsWaitedFor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("progress is read from /proc")
	}
	c := startClient(t, Options{Timeout: 100 * time.Millisecond})
	pid := c.PID()
	start := time.Now()
	if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 40, 16<<10, 1, 32); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Skipf("the hash took only %s: not long enough to show anything", took)
	}
	if c.PID() != pid || c.Restarts() != 0 {
		t.Fatal("a slow but working worker was replaced")
	}
}

// TestDuplicateRepliesDoNotWedge: a worker that answers more than once is killed
// as out of step, and neither callers nor Close hang on it.
func TestDuplicateRepliesDoNotWedge(t *testing.T) {
	c, err := Start(Options{Path: helperScript(t, "duplicate-replies"), Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 64, 1, 32)
		}
		c.Close()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("calls or Close hung on a worker that answers twice")
	}
}

// TestWorkerExitsWithItsParent: a server killed with SIGKILL leaves no
// worker behind; the worker sees its input end and exits.
func TestWorkerExitsWithItsParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), "HASHWORKER_TEST_MODE=parent")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("parent said %q", line)
	}
	if gone(pid) {
		t.Fatal("worker not running")
	}
	parent.Process.Kill()
	parent.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatal("the worker outlived its parent")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCloseStopsWorker(t *testing.T) {
	c, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	pid := c.PID()
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close kills after 5 s; a worker that heeds its input ending is far
	// quicker than that.
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Close took %s: the worker did not exit when its input ended", took)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("worker %d still running after Close", pid)
	}
	if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 64, 1, 32); err != ErrClosed || !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("after Close: err = %v, want ErrClosed (unavailable)", err)
	}
}

func TestNotAWorkerIsRefused(t *testing.T) {
	sh, err := filepath.Abs("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sh); err != nil {
		t.Skip("no /bin/true")
	}
	if _, err := Start(Options{Path: sh}); err == nil || !strings.Contains(err.Error(), "did not greet") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if _, err := Start(Options{Nice: 20}); err == nil {
		t.Fatal("nice 20 accepted")
	}
}

// TestWorkerGetsNoSecrets: the worker's environment is the marker alone,
// whatever the server's holds.
func TestWorkerGetsNoSecrets(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	t.Setenv("JWT_SECRET", "do-not-leak-this")
	c := startClient(t, Options{})
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", c.PID()))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(env, []byte("do-not-leak-this")) || !bytes.Contains(env, []byte(childEnv+"=1")) {
		t.Fatalf("worker environment %q", env)
	}
}
