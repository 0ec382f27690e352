// Package hashworker runs argon2id in a child process at a lower CPU
// priority than the server.
//
// A login costs one argon2id hash: tens of milliseconds of a core and its
// whole memory cost (19 MiB by default) allocated and dropped. Run in the
// server's process, that work competes on equal terms with the requests
// that only check a token: the kernel time-slices the hashing thread
// against them, and the allocations drive the garbage collector, whose
// pauses and assists land on every request. In a child process started at
// SCHED_IDLE (or a positive nice value) the kernel runs a token check the
// moment it is ready and gives hashing the CPU that is left, and the
// server's heap no longer sees the hashes at all.
//
// The worker is the server's own executable, started with an environment
// that holds nothing but the marker RunIfChild looks for; passwords travel
// over a pipe, never in argv or the environment.
package hashworker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// ErrClosed is returned by a Client after Close. Like every failure of the
// worker itself (as opposed to a request it refused), it wraps
// auth.ErrUnavailable: the caller may retry.
var ErrClosed = fmt.Errorf("hash worker closed: %w", auth.ErrUnavailable)

// unavailable marks err as a failure of the worker, worth a retry.
func unavailable(err error) error { return fmt.Errorf("%w: %w", auth.ErrUnavailable, err) }

// Options configure a Client.
type Options struct {
	// Path is the worker's executable. The default is the running binary
	// (/proc/self/exe on Linux, so that a binary replaced on disk by a
	// deploy still starts workers that speak its own protocol).
	Path string
	// Idle runs the worker under SCHED_IDLE (Linux): it gets only CPU time
	// no other thread on the machine wants.
	Idle bool
	// Nice is how many nice steps below the server the worker runs when
	// not Idle, 0 to 19 (Linux; capped at nice 19, so that a server that
	// is itself niced, which may not raise a priority, still starts it).
	Nice int
	// Log receives the worker's deaths and anything it writes to stderr.
	Log *slog.Logger
	// Timeout is how long the worker may go without using any CPU while it
	// holds work (or has not yet greeted) before it is taken to be stuck
	// and killed; the default is 30 s. A worker that is merely slow, on a
	// busy machine at a low priority, is waited for. Where CPU time cannot
	// be read (not Linux), Timeout is a plain deadline.
	Timeout time.Duration
}

// Client hands argon2id derivations to a worker process, starting it
// again if it dies. It is safe for concurrent use; the caller bounds how
// many derivations are in flight (each holds its memory cost in the
// worker).
type Client struct {
	opts     Options
	next     atomic.Uint64
	restarts atomic.Int64

	mu        sync.Mutex
	proc      *process
	closed    bool
	lastStart time.Time
}

// Start starts a worker and returns its Client.
func Start(opts Options) (*Client, error) {
	if opts.Path == "" {
		opts.Path = selfPath()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Nice < 0 || opts.Nice > 19 {
		return nil, fmt.Errorf("hash worker nice value %d is outside 0..19", opts.Nice)
	}
	c := &Client{opts: opts}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.start()
	if err != nil {
		return nil, err
	}
	c.proc = p
	return c, nil
}

func selfPath() string {
	if runtime.GOOS == "linux" {
		return "/proc/self/exe"
	}
	if p, err := os.Executable(); err == nil {
		return p
	}
	return os.Args[0]
}

// IDKey is argon2.IDKey computed by the worker.
//
// ctx is honoured until the request is sent; after that IDKey waits for
// the answer, because the worker cannot abandon a hash, and a caller that
// bounds concurrent hashes must not count one as done while the worker
// still holds its memory (auth.Hasher lets its caller go but keeps the
// slot until the answer). Errors wrap auth.ErrUnavailable when the worker
// failed, not when it refused the request.
func (c *Client) IDKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := c.worker()
	if err != nil {
		return nil, err
	}
	q := request{ID: c.next.Add(1), Time: time, Memory: memory, Threads: threads, KeyLen: keyLen, Salt: salt, Password: password}
	rep, err := p.call(&q, c.opts.Timeout)
	if err != nil {
		return nil, err
	}
	if rep.Err != "" {
		return nil, fmt.Errorf("hash worker refused: %s", rep.Err)
	}
	if uint32(len(rep.Key)) != keyLen {
		p.kill(errors.New("reply of the wrong length"))
		return nil, unavailable(fmt.Errorf("hash worker answered %d bytes for a %d-byte key", len(rep.Key), keyLen))
	}
	return rep.Key, nil
}

// PID is the current worker's process id, 0 when none is running.
func (c *Client) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil || c.proc.isDead() {
		return 0
	}
	return c.proc.cmd.Process.Pid
}

// Restarts is how many times a worker was started again after one died.
func (c *Client) Restarts() int64 { return c.restarts.Load() }

// Close stops the worker: its input is closed, it finishes what it holds
// and exits; it is killed if it has not within five seconds.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	p := c.proc
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	p.wmu.Lock() // a request being written finishes first; later ones see closing
	p.closing.Store(true)
	p.stdin.Close()
	p.wmu.Unlock()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.kill(errors.New("did not exit after its input closed"))
		<-p.exited
	}
	return nil
}

// restartEvery is the least time between two worker starts, so that a
// worker that dies at once does not turn every login into a fork.
const restartEvery = time.Second

// worker returns a live worker, starting one if the last has died.
func (c *Client) worker() (*process, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.proc != nil && !c.proc.isDead() {
		return c.proc, nil
	}
	if time.Since(c.lastStart) < restartEvery {
		return nil, unavailable(fmt.Errorf("hash worker died (%w) and was restarted less than %s ago", c.proc.deathCause(), restartEvery))
	}
	p, err := c.start()
	if err != nil {
		return nil, unavailable(err)
	}
	c.proc = p
	c.restarts.Add(1)
	return p, nil
}

// start starts a worker and waits for its greeting. c.mu is held.
func (c *Client) start() (*process, error) {
	c.lastStart = time.Now()
	cmd := exec.Command(c.opts.Path)
	cmd.Args = []string{"gqlauth-hashworker"}
	cmd.Env = childEnvironment()
	cmd.Stderr = &lineLogger{log: c.opts.Log}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdin.Close()
		return nil, err
	}
	if err := startWithPriority(cmd, c.opts.Idle, c.opts.Nice); err != nil {
		return nil, fmt.Errorf("start hash worker %s: %w", c.opts.Path, err)
	}
	p := &process{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout), pending: map[uint64]chan reply{},
		done: make(chan struct{}), exited: make(chan struct{}), log: c.opts.Log}
	greeted := make(chan error, 1)
	go func() {
		b, err := readFrame(p.out)
		if err == nil && string(b) != hello {
			err = fmt.Errorf("unexpected greeting %.40q", b)
		}
		greeted <- err
	}()
	// A worker that starts at a low priority on a busy machine may take a
	// while to greet; one that uses no CPU meanwhile is not starting.
	gerr, err := await(p, greeted, c.opts.Timeout)
	if err == nil {
		err = gerr
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait() // ends the greeting's read too
		return nil, fmt.Errorf("hash worker %s did not greet (not a gqlauth binary, or it failed to start): %w", c.opts.Path, err)
	}
	go p.readLoop()
	c.opts.Log.Debug("hash worker started", "pid", cmd.Process.Pid, "idle", c.opts.Idle, "nice", c.opts.Nice)
	return p, nil
}

// childEnvironment is the worker's whole environment: the marker, and the
// Go runtime settings an operator may have chosen for the machine.
func childEnvironment() []string {
	// GORACE matters only to a race-enabled build (the tests): a worker
	// would otherwise sleep a second at exit, and every Close with it.
	env := []string{childEnv + "=1", "GORACE=atexit_sleep_ms=0"}
	for _, k := range []string{"GOMAXPROCS", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
