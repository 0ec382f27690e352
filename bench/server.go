package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildServer compiles the real gqlauth binary from the module root into
// dir, so that the bench measures exactly what would be deployed (no race
// detector, no test hooks).
func buildServer(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "gqlauth")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the go.mod that encloses the working
// directory: `go run ./bench` from the root and `go test` in bench/ agree.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the gqlauth repository")
	}
	return filepath.Dir(gomod), nil
}

// childEnv is the environment of a child process: only what a Go program
// needs to run plus vars. The bench's own environment is not inherited
// wholesale, so a stray HASH_WORKERS or ARGON2_* in the shell cannot change
// what is measured; Go runtime knobs pass through on purpose.
func childEnv(vars map[string]string) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "GOMAXPROCS", "GOGC", "GOMEMLIMIT", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			if _, set := vars[k]; !set {
				env = append(env, k+"="+v)
			}
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// child is a process the bench started and serves HTTP on loopback.
type child struct {
	name   string
	cmd    *exec.Cmd
	URL    string // http://127.0.0.1:PORT, without the trailing slash
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done is closed
}

// lockedBuffer keeps a child's stderr for the error message if it dies.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 { // a flood of warnings must not grow without bound
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild runs cmd and waits until it prints a line starting with
// prefix followed by its URL (as `gqlauth listening on http://…/` does).
// stdin, when not nil, is written to the child and closed.
func startChild(ctx context.Context, name string, cmd *exec.Cmd, prefix string, stdin []byte) (*child, error) {
	c := &child{name: name, cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok && !found {
				found = true
				urlc <- strings.TrimSuffix(strings.TrimSpace(rest), "/")
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	select {
	case c.URL = <-urlc:
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("%s exited before listening (%v):\n%s", name, c.err, c.stderr.String())
	case <-time.After(60 * time.Second):
		c.kill()
		return nil, fmt.Errorf("%s did not start within 60s:\n%s", name, c.stderr.String())
	case <-ctx.Done():
		c.kill()
		return nil, ctx.Err()
	}
}

// stop asks the child to shut down (SIGTERM: the server drains in-flight
// requests) and kills it if it has not exited after timeout.
func (c *child) stop(timeout time.Duration) error {
	select {
	case <-c.done:
		return c.exitError()
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.exitError()
	case <-time.After(timeout):
		c.kill()
		return fmt.Errorf("%s did not stop within %s; killed", c.name, timeout)
	}
}

func (c *child) exitError() error {
	if c.err != nil {
		return fmt.Errorf("%s exited with %v:\n%s", c.name, c.err, c.stderr.String())
	}
	return nil
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// alive fails when the child has died, with what it wrote to stderr.
func (c *child) alive() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s died (%v):\n%s", c.name, c.err, c.stderr.String())
	default:
		return nil
	}
}

// memory is a process's resident set with its children's (the server's
// password hash worker), in KiB.
type memory struct {
	Peak    int64 // VmHWM summed: the high-water marks since start or since resetPeak
	Current int64 // VmRSS summed
}

// processes is the child and every process it started (the hash worker),
// found by their parent pid in /proc.
func (c *child) processes() []int {
	pids := []int{c.cmd.Process.Pid}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut after ")".
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(c.cmd.Process.Pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// memory reads VmHWM and VmRSS of the server and its hash worker from
// /proc and adds them up. The sum of two peaks may exceed the peak of the
// sum, so the figure errs on the side of more memory.
func (c *child) memory() (memory, error) {
	var total memory
	for i, pid := range c.processes() {
		m, err := processMemory(pid)
		if err != nil && i == 0 {
			return memory{}, err
		}
		total.Peak += m.Peak
		total.Current += m.Current
	}
	return total, nil
}

func processMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			m.Peak = n
		case "VmRSS":
			m.Current = n
		}
	}
	if m.Current == 0 {
		return m, errors.New("no VmRSS in /proc status")
	}
	return m, nil
}

// resetPeak resets the VmHWM of the server and its hash worker to their
// current RSS (Linux >= 4.0: writing 5 to clear_refs), so that each
// scenario's peak is its own and not the run's so far. It reports whether
// that worked for all of them.
func (c *child) resetPeak() bool {
	ok := true
	for _, pid := range c.processes() {
		f, err := os.OpenFile(fmt.Sprintf("/proc/%d/clear_refs", pid), os.O_WRONLY, 0)
		if err != nil {
			ok = false
			continue
		}
		if _, err = f.WriteString("5"); err != nil {
			ok = false
		}
		f.Close()
	}
	return ok
}
