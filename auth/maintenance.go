package auth

import (
	"context"
	"log/slog"
	"time"
)

// pruneStore is what Pruner needs of the store.
type pruneStore interface {
	// Prune deletes revocations, throttles and sessions that can no longer
	// matter at now, and audit events older than auditBefore (zero: keep
	// all), and returns how many rows it removed.
	Prune(ctx context.Context, now, auditBefore time.Time) (int64, error)
}

// Pruner deletes what can no longer matter: expired revocations, ended
// sessions, old throttle windows, and audit events past their retention.
type Pruner struct {
	store     pruneStore
	retention time.Duration // 0 keeps audit events forever
	log       *slog.Logger
	now       func() time.Time
}

// Prune deletes once and returns how many rows went.
func (p *Pruner) Prune(ctx context.Context) (int64, error) {
	now := p.now().UTC()
	var auditBefore time.Time
	if p.retention > 0 {
		auditBefore = now.Add(-p.retention)
	}
	return p.store.Prune(ctx, now, auditBefore)
}

// Run prunes every interval until ctx ends.
func (p *Pruner) Run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		n, err := p.Prune(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.ErrorContext(ctx, "prune failed", "err", err)
		} else if n > 0 {
			p.log.InfoContext(ctx, "pruned expired records", "rows", n)
		}
	})
}

// every calls fn every interval until ctx ends: the loop of the service's
// background jobs.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
