package hashworker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// threadSched returns the policy and nice value of every thread of pid.
func threadSched(t *testing.T, pid int) map[string][2]int {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int{}
	for _, task := range tasks {
		f, err := statFields(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
		if err != nil {
			continue // the thread ended
		}
		// nice is field 19, policy field 41.
		nice, _ := strconv.Atoi(f[19-3])
		policy, _ := strconv.Atoi(f[41-3])
		out[task.Name()] = [2]int{policy, nice}
	}
	return out
}

// niceOf is the nice value of pid's main thread.
func niceOf(t *testing.T, pid int) int {
	t.Helper()
	for _, s := range threadSched(t, pid) {
		return s[1]
	}
	t.Fatalf("no threads for %d", pid)
	return 0
}

// TestWorkerPriority: every thread of the worker runs at the lowered
// priority, and none of the server's threads does, including after the
// worker was started (the thread that started it must not be reused).
// nice:N is relative to the server's own nice value and capped at 19, so a
// server that was itself started niced (which may not raise a priority)
// still starts its worker: the test runs itself again under nice 15.
func TestWorkerPriority(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("priorities are lowered on Linux only")
	}
	const schedIdle = 5
	base := niceOf(t, os.Getpid())
	for _, tc := range []struct {
		opts   Options
		policy int
		nice   int
	}{{Options{Idle: true}, schedIdle, base}, {Options{Nice: 19}, 0, 19}, {Options{Nice: 3}, 0, min(19, base+3)}} {
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
				t.Errorf("%+v: worker thread %s has policy %d nice %d, want %d %d", tc.opts, tid, s[0], s[1], tc.policy, tc.nice)
			}
		}
		for tid, s := range threadSched(t, os.Getpid()) {
			if s != [2]int{0, base} {
				t.Errorf("%+v: server thread %s has policy %d nice %d, want 0 %d", tc.opts, tid, s[0], s[1], base)
			}
		}
	}
	if os.Getenv("HASHWORKER_TEST_RENICED") != "" {
		return
	}
	nice, err := exec.LookPath("nice")
	if err != nil {
		t.Log("no nice(1): the niced-server case is not run")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nice, "-n", "15", exe, "-test.run", "^TestWorkerPriority$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "HASHWORKER_TEST_RENICED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("under nice 15: %v\n%s", err, out)
	}
}
