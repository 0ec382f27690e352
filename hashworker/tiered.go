package hashworker

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultStarveAfter is how long the idle worker's oldest hash may wait
// before Tiered takes it to be starved. A hash takes tens of milliseconds
// of a core; an idle worker that holds one for a quarter of a second is
// losing the CPU to other work.
const DefaultStarveAfter = 250 * time.Millisecond

// Tiered is a KeyDeriver over two workers: hashes run in one at
// SCHED_IDLE, and while that one is starved they go to the other, at a
// nice value.
//
// At SCHED_IDLE the kernel runs any other thread first, so logins may use
// every core while the requests that only check a token lose nothing:
// with a hash in flight on every core `me` p99 under a login flood stayed
// under 2x its p99 alone, where at nice 5, 10 or 19 it was 2.7-3.3x (2
// CPUs, Linux 6.18's EEVDF; BENCHMARKS.md). But on a machine kept busy by
// other work an idle worker may not run for seconds, and logins would
// stall: so a hash that has waited starveAfter in the idle worker is sent
// to the niced one too, which keeps its share of a busy CPU, and while the
// idle worker's oldest hash is that late, new hashes go straight to the
// niced one.
//
// Memory: the caller's pool (auth.Hasher) counts a hash as done when its
// first key comes back, while a starved twin may still hold its memory in
// the idle worker. The idle worker is therefore given at most slots hashes
// at once, abandoned twins included, and the niced one at most the pool's:
// at most 2 x slots hashes hold memory at any time.
type Tiered struct {
	idle, niced *Client
	slots       int
	starveAfter time.Duration
	now         func() time.Time
	hedgeAfter  func(time.Duration) <-chan time.Time

	mu       sync.Mutex
	inflight map[uint64]time.Time // hashes in the idle worker, by when they were sent
	next     uint64
	fallback uint64 // hashes sent to the niced worker
}

// StartTiered starts the idle worker and, from niced, the fallback one
// (whose Idle is ignored). slots bounds the idle worker's hashes (the
// caller's pool size); starveAfter 0 means DefaultStarveAfter.
func StartTiered(idle, niced Options, slots int, starveAfter time.Duration) (*Tiered, error) {
	idle.Idle, niced.Idle = true, false
	a, err := Start(idle)
	if err != nil {
		return nil, err
	}
	b, err := Start(niced)
	if err != nil {
		a.Close()
		return nil, err
	}
	if starveAfter <= 0 {
		starveAfter = DefaultStarveAfter
	}
	return &Tiered{idle: a, niced: b, slots: max(1, slots), starveAfter: starveAfter, now: time.Now, hedgeAfter: time.After, inflight: map[uint64]time.Time{}}, nil
}

// IDKey computes the key in the idle worker, or in the niced one while the
// idle one is starved. A hash that has waited in the idle worker for
// starveAfter is sent to the niced one as well, and the first key to come
// back is the answer: no login waits on a starved worker for longer than
// that. (Its twin in the idle worker runs on when it gets the CPU; its
// answer is dropped.)
func (t *Tiered) IDKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	id, ok := t.admit()
	if !ok {
		return t.niced.IDKey(ctx, password, salt, time, memory, threads, keyLen)
	}
	type result struct {
		key []byte
		err error
	}
	results := make(chan result, 2)
	// Each call gets its own copy of the password, cleared when that call
	// is over: the caller clears its own as soon as this returns, while
	// the call that lost may still be marshalling its copy. The copy is
	// taken before the goroutine starts: taken inside it, a twin that is
	// scheduled late would read the caller's password while it is cleared.
	call := func(c *Client, pw []byte, done func()) {
		key, err := c.IDKey(ctx, pw, salt, time, memory, threads, keyLen)
		clear(pw)
		done()
		results <- result{key, err}
	}
	go call(t.idle, bytes.Clone(password), func() { t.done(id) })
	select {
	case r := <-results:
		return r.key, r.err
	case <-t.hedgeAfter(t.starveAfter):
	}
	t.mu.Lock()
	t.fallback++
	t.mu.Unlock()
	go call(t.niced, bytes.Clone(password), func() {})
	r := <-results
	if r.err != nil { // the other may yet succeed
		r = <-results
	}
	return r.key, r.err
}

// admit registers a hash for the idle worker, or reports false when that
// worker is starved or already holds slots hashes.
func (t *Tiered) admit() (uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.inflight) >= t.slots {
		t.fallback++
		return 0, false
	}
	for _, sent := range t.inflight {
		if now.Sub(sent) > t.starveAfter {
			t.fallback++
			return 0, false
		}
	}
	t.next++
	t.inflight[t.next] = now
	return t.next, true
}

func (t *Tiered) done(id uint64) {
	t.mu.Lock()
	delete(t.inflight, id)
	t.mu.Unlock()
}

// Fallbacks is how many hashes went to the niced worker, or were sent
// there too, because the idle one was starved.
func (t *Tiered) Fallbacks() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fallback
}

// Restarts is how many times either worker was started again after dying.
func (t *Tiered) Restarts() int64 { return t.idle.Restarts() + t.niced.Restarts() }

// PID is the idle worker's process id, which takes every hash while it is
// not starved (0 when it is not running).
func (t *Tiered) PID() int { return t.idle.PID() }

// FallbackPID is the niced worker's process id (0 when it is not running).
func (t *Tiered) FallbackPID() int { return t.niced.PID() }

// Close stops both workers.
func (t *Tiered) Close() error { return errors.Join(t.idle.Close(), t.niced.Close()) }
