package cache

import (
	"context"
	"log/slog"
	"time"
)

// ResyncMargin is how far before the previous resync each resync looks
// back: it covers a transaction that stamped its change before that resync
// but committed after it, and modest clock skew between replicas.
const ResyncMargin = 30 * time.Second

// Resync forgets every entry whose row changed at or after since.
func (s *Store) Resync(ctx context.Context, since time.Time) error {
	changes, err := s.Base.ChangedSince(ctx, since)
	if err != nil {
		return err
	}
	for _, c := range changes {
		s.Apply(c)
	}
	return nil
}

// RunResync resyncs every interval until ctx ends. It is the repair for a
// missed notification, and on SQLite the way changes made by another
// process (the CLI) reach the server.
func (s *Store) RunResync(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := s.opts.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			start := s.opts.Now()
			if err := s.Resync(ctx, last.Add(-ResyncMargin)); err != nil {
				if ctx.Err() == nil {
					log.WarnContext(ctx, "cache resync failed; will retry", "err", err)
				}
				continue // keep last: the next resync covers this one's span
			}
			last = start
		}
	}
}
