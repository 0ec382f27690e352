package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// binary builds the server once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gqlauth-bin")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "gqlauth")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

// proc is the server binary running as a child process.
type proc struct {
	*testServer
	cmd *exec.Cmd
}

func startProcess(t *testing.T, env map[string]string) *proc {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "gqlauth listening on "); ok {
				addr <- strings.TrimSuffix(rest, "/")
			}
		}
	}()
	select {
	case url := <-addr:
		return &proc{testServer: &testServer{URL: url, env: env, stderr: stderr}, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("server process did not start:\n%s", stderr.String())
		return nil
	}
}

// TestSIGKILLLosesNothingAnswered kills the server with SIGKILL under a
// load of registrations, logins and logouts; after a restart every
// registration and every logout that was answered with success holds.
func TestSIGKILLLosesNothingAnswered(t *testing.T) {
	forEachStore(t, func(t *testing.T, dbURL string) {
		env := testEnv(dbURL, map[string]string{"ADDR": freePort(t), "JWT_SECRET": "a-crash-test-secret-that-is-long-enough"})
		p := startProcess(t, env)

		type done struct {
			email  string
			access string // set when a logout of this token was answered with success
		}
		var (
			mu       sync.Mutex
			answered []done
			seq      atomic.Int64
		)
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					email := fmt.Sprintf("crash%d@example.com", seq.Add(1))
					r, err := tryDo(p.URL, "", `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`,
						map[string]any{"i": map[string]any{"email": email, "password": "password-123"}})
					if err != nil || len(r.Errors) > 0 {
						continue // refused or cut off by the kill: no promise was made
					}
					mu.Lock()
					answered = append(answered, done{email: email})
					mu.Unlock()
					tok := r.Data["register"].(map[string]any)["accessToken"].(string)
					r, err = tryDo(p.URL, tok, `mutation { logout }`, nil)
					if err == nil && len(r.Errors) == 0 && r.Data["logout"] == true {
						mu.Lock()
						answered = append(answered, done{email: email, access: tok})
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(700 * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.cmd.Wait()
		stop()
		wg.Wait()

		mu.Lock()
		defer mu.Unlock()
		if len(answered) == 0 {
			t.Fatal("no request was answered before the kill; the test proves nothing")
		}
		env["ADDR"] = freePort(t)
		q := startProcess(t, env)
		logouts := 0
		for _, d := range answered {
			if d.access == "" {
				q.login(t, d.email, "password-123") // the registration survived
				continue
			}
			logouts++
			wantErr(t, q.me(t, d.access), "UNAUTHENTICATED", "TOKEN_REVOKED") // the logout survived
		}
		t.Logf("%d answered operations checked after SIGKILL, %d of them logouts", len(answered), logouts)
	})
}

// TestSIGTERMDrains: SIGTERM lets an in-flight request finish, then exits 0.
func TestSIGTERMDrains(t *testing.T) {
	env := testEnv(sqliteURL(t), map[string]string{
		"ADDR": freePort(t), "ARGON2_MEMORY_KIB": "19456", "ARGON2_TIME": "40", "SHUTDOWN_TIMEOUT": "20s", "LOG_LEVEL": "info",
	})
	p := startProcess(t, env)
	result := make(chan *gqlResponse, 1)
	go func() {
		r, err := tryDo(p.URL, "", `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`,
			map[string]any{"i": map[string]any{"email": "drain@example.com", "password": "password-123"}})
		if err != nil {
			r = &gqlResponse{Errors: []gqlError{{Message: err.Error()}}}
		}
		result <- r
	}()
	time.Sleep(100 * time.Millisecond) // the slow hash is under way
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-result
	if len(r.Errors) > 0 || r.Data["register"] == nil {
		t.Fatalf("in-flight request was not drained: %+v", r.Errors)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("server exit after SIGTERM: %v\n%s", err, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "shutting down") {
		t.Fatalf("no shutdown log:\n%s", p.stderr.String())
	}
}
