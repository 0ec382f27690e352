package hashworker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// process is one running worker.
type process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	log   *slog.Logger
	wmu   sync.Mutex // serialises request frames

	closing atomic.Bool // Close asked it to stop: its exit is no news

	mu      sync.Mutex
	pending map[uint64]chan reply
	cause   error         // why the worker is dead; set once
	done    chan struct{} // closed when the worker is known dead
	exited  chan struct{} // closed when the process has been waited for
}

func (p *process) isDead() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) deathCause() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cause == nil {
		return errors.New("unknown cause")
	}
	return p.cause
}

// call sends q and waits for its reply.
func (p *process) call(q *request, timeout time.Duration) (reply, error) {
	ch := make(chan reply, 1)
	p.mu.Lock()
	if p.cause != nil {
		p.mu.Unlock()
		return reply{}, unavailable(fmt.Errorf("hash worker died: %w", p.cause))
	}
	p.pending[q.ID] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, q.ID)
		p.mu.Unlock()
	}()

	frame := q.marshal()
	defer clear(frame)
	if len(frame) > maxFrame {
		return reply{}, fmt.Errorf("hash request of %d bytes exceeds %d", len(frame), maxFrame)
	}
	p.wmu.Lock()
	if p.closing.Load() {
		p.wmu.Unlock()
		return reply{}, ErrClosed
	}
	err := writeFrame(p.stdin, frame)
	p.wmu.Unlock()
	if err != nil {
		p.kill(fmt.Errorf("write request: %w", err))
		return reply{}, unavailable(fmt.Errorf("hash worker: %w", err))
	}
	r, err := await(p, ch, timeout)
	if err != nil {
		p.kill(err)
		return reply{}, unavailable(fmt.Errorf("hash worker: %w", err))
	}
	return r, nil
}

// await waits for a value on ch while the worker lives, checking every
// timeout that it used some CPU since the last check: a worker starved by
// its low priority is slow, one that uses nothing is stuck.
func await[T any](p *process, ch <-chan T, timeout time.Duration) (T, error) {
	var zero T
	t := time.NewTicker(timeout)
	defer t.Stop()
	last, measurable := cpuTime(p.cmd.Process.Pid)
	for {
		select {
		case v := <-ch:
			return v, nil
		case <-p.done:
			select {
			case v := <-ch: // answered just before it died
				return v, nil
			default:
				return zero, fmt.Errorf("died: %w", p.deathCause())
			}
		case <-t.C:
			now, ok := cpuTime(p.cmd.Process.Pid)
			if !measurable || !ok || now <= last {
				return zero, fmt.Errorf("no progress in %s", timeout)
			}
			last = now
		}
	}
}

// readLoop delivers replies until the worker's output ends, then reaps it.
func (p *process) readLoop() {
	var err error
	for {
		var frame []byte
		if frame, err = readFrame(p.out); err != nil {
			break
		}
		var r reply
		if err = r.unmarshal(frame); err != nil {
			break
		}
		p.mu.Lock()
		ch := p.pending[r.ID]
		p.mu.Unlock()
		if ch != nil {
			select {
			case ch <- r: // buffered for the one reply its id gets
			default:
				err = fmt.Errorf("second reply for request %d", r.ID)
			}
		}
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = errors.New("exited")
	}
	p.die(err)
	p.cmd.Process.Kill() // a worker whose stream is out of step is of no use
	werr := p.cmd.Wait()
	if p.closing.Load() {
		p.log.Debug("hash worker stopped", "pid", p.cmd.Process.Pid, "status", werr)
	} else {
		p.log.Error("hash worker exited", "pid", p.cmd.Process.Pid, "cause", err, "status", werr)
	}
	close(p.exited)
}

// die records why the worker is dead, once, and wakes every waiter.
func (p *process) die(cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cause != nil {
		return
	}
	p.cause = cause
	close(p.done)
}

// kill ends a worker that misbehaved; readLoop then reaps it.
func (p *process) kill(cause error) {
	p.die(cause)
	p.cmd.Process.Kill()
}

// lineLogger logs what the worker writes to stderr, a line at a time.
type lineLogger struct {
	log *slog.Logger
	buf []byte
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.log.Warn("hash worker", "stderr", string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 4096 {
		l.log.Warn("hash worker", "stderr", string(l.buf))
		l.buf = l.buf[:0]
	}
	return len(b), nil
}
