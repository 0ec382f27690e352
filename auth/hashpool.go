package auth

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrHashBusy means the hashing pool's queue is full.
var ErrHashBusy = errors.New("password hashing pool is saturated")

// hashPool bounds concurrent argon2id work. Each hash holds about 19 MiB
// and a core for tens of milliseconds, so unbounded concurrency turns a
// login flood into memory exhaustion and starves every other request.
// Callers beyond the workers wait in a bounded queue; beyond that they are
// refused at once, which the service reports as RATE_LIMITED.
type hashPool struct {
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
	onWait   func(time.Duration) // set before use; may be nil
}

func newHashPool(workers, queue int) *hashPool {
	if workers < 1 {
		workers = 1
	}
	return &hashPool{slots: make(chan struct{}, workers), maxQueue: int64(queue)}
}

// do runs fn on a worker slot.
func (p *hashPool) do(ctx context.Context, fn func()) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	fn()
	return nil
}

// acquire takes a worker slot, waiting in the queue if there is room.
func (p *hashPool) acquire(ctx context.Context) error {
	start := time.Now()
	select {
	case p.slots <- struct{}{}:
	default:
		if p.waiting.Add(1) > p.maxQueue {
			p.waiting.Add(-1)
			return ErrHashBusy
		}
		select {
		case p.slots <- struct{}{}:
			p.waiting.Add(-1)
		case <-ctx.Done():
			p.waiting.Add(-1)
			return ctx.Err()
		}
	}
	if p.onWait != nil {
		p.onWait(time.Since(start))
	}
	return nil
}

// release gives back a slot taken by acquire.
func (p *hashPool) release() { <-p.slots }

// QueueLength is how many callers wait for a worker now.
func (p *hashPool) QueueLength() int { return int(p.waiting.Load()) }
