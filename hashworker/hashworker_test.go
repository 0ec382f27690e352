package hashworker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// TestMain lets this test binary serve as its own hash worker, as the
// server binary does.
func TestMain(m *testing.M) {
	RunIfChild()
	os.Exit(m.Run())
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
	if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 0, 64, 1, 32); err == nil || !strings.Contains(err.Error(), "invalid argon2id") {
		t.Fatalf("t=0: err = %v, want the worker's refusal", err)
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
		if err == nil || !strings.Contains(err.Error(), "died") {
			t.Fatalf("in-flight hash: err = %v, want the worker's death", err)
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
	c := startClient(t, Options{Timeout: 50 * time.Millisecond})
	pid := c.PID()
	_, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 200, 64<<10, 1, 32)
	if err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the stuck worker is still alive")
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
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("worker %d still running after Close", pid)
	}
	if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 1, 64, 1, 32); err != ErrClosed {
		t.Fatalf("after Close: err = %v, want ErrClosed", err)
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
	if _, err := Start(Options{Path: sh}); err == nil || !strings.Contains(err.Error(), "not a gqlauth hash worker") {
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

// threadSched returns the policy and nice value of every thread of pid.
func threadSched(t *testing.T, pid int) map[string][2]int {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int{}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread ended
		}
		// Fields after the parenthesised command: state is field 3, nice
		// field 19, policy field 41.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		nice, _ := strconv.Atoi(f[19-3])
		policy, _ := strconv.Atoi(f[41-3])
		out[task.Name()] = [2]int{policy, nice}
	}
	return out
}

// TestWorkerPriority: every thread of the worker runs at the lowered
// priority, and none of the server's threads does, including after the
// worker was started (the thread that started it must not be reused).
func TestWorkerPriority(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("priorities are lowered on Linux only")
	}
	const schedIdle = 5
	for _, tc := range []struct {
		opts   Options
		policy int
		nice   int
	}{{Options{Idle: true}, schedIdle, 0}, {Options{Nice: 19}, 0, 19}} {
		c := startClient(t, tc.opts)
		// Make the worker create its threads, and the server a few more.
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.IDKey(context.Background(), []byte("pw"), []byte("saltsalt"), 2, 1024, 1, 32); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		worker := threadSched(t, c.PID())
		if len(worker) < 2 {
			t.Fatalf("worker has %d threads; want a Go runtime's several", len(worker))
		}
		for tid, s := range worker {
			if s != [2]int{tc.policy, tc.nice} {
				t.Errorf("%+v: worker thread %s has policy %d nice %d", tc.opts, tid, s[0], s[1])
			}
		}
		for tid, s := range threadSched(t, os.Getpid()) {
			if s != [2]int{0, 0} {
				t.Errorf("%+v: server thread %s has policy %d nice %d", tc.opts, tid, s[0], s[1])
			}
		}
	}
}
