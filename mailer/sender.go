package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gqlauth/gqlauth/auth"
)

// Outbox is the store side of delivery (package db implements it).
type Outbox interface {
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]auth.QueuedMail, error)
	MarkMailSent(ctx context.Context, id int64, now time.Time) error
	MarkMailFailed(ctx context.Context, id int64, next time.Time, reason string) error
	AbandonMail(ctx context.Context, id int64, now time.Time, reason string) error
	PruneMail(ctx context.Context, before time.Time) (int64, error)
	MailStats(ctx context.Context) (auth.MailStats, error)
}

// Defaults of the Sender's knobs.
const (
	DefaultPoll        = time.Second
	DefaultBaseBackoff = time.Second
	// DefaultMaxBackoff with DefaultPoll sends mail queued during an SMTP
	// outage within 30 s of the server answering again.
	DefaultMaxBackoff  = 29 * time.Second
	DefaultSendTimeout = 30 * time.Second
	DefaultBatch       = 10
	DefaultRetention   = 7 * 24 * time.Hour
)

// Sender drains the outbox: it claims due mails, renders and sends each,
// and marks it sent, or failed with an exponential backoff so that an SMTP
// outage delays mail without losing it. A mail is given up (kept in the
// outbox with its error, never sent) only when the server refuses that
// very mail for good (a 5xx reply to its recipient or its content, see
// Permanent), or when it is older than its template's MaxAge, so that its
// link is dead. Several replicas may each run one:
// a claim is exclusive. A mail whose delivery succeeded but could not be
// marked (the database went away) is sent again when its claim runs out:
// delivery is at least once, never lost.
type Sender struct {
	Outbox    Outbox
	Templates *Templates
	Transport Transport
	// From is the sender address (MAIL_FROM).
	From string
	Log  *slog.Logger
	// Sealer opens the values the use cases sealed (the links); nil
	// reads them as they are.
	Sealer *auth.Sealer
	// Now is the clock (time.Now when nil); tests pass a fake one.
	Now func() time.Time
	// MaxAge is, by template, how long a mail is retried before it is
	// given up: the lifetime of the link it carries. A template without
	// one (the notice of an address change) is retried for ever.
	MaxAge map[string]time.Duration
	// Zero values take the defaults above.
	Poll, BaseBackoff, MaxBackoff, SendTimeout, Retention time.Duration
	Batch                                                 int

	sent, failed, abandoned atomic.Uint64
	stats                   atomic.Pointer[auth.MailStats]
	lastPrune               time.Time
}

// Stats are the sender's counters and the outbox as last read, for metrics.
type Stats struct {
	auth.MailStats
	// Sent and Failed count deliveries and failed attempts by this
	// process, Abandoned the mails it gave up.
	Sent, Failed, Abandoned uint64
}

// Stats reads the counters without touching the database: the outbox
// figures are those of the sender's last pass.
func (s *Sender) Stats() Stats {
	st := Stats{Sent: s.sent.Load(), Failed: s.failed.Load(), Abandoned: s.abandoned.Load()}
	if p := s.stats.Load(); p != nil {
		st.MailStats = *p
	}
	return st
}

// Run drains the outbox every Poll until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(or(s.Poll, DefaultPoll))
	defer t.Stop()
	for {
		s.Drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Drain sends every mail due now, batch after batch, and returns how many
// it delivered. Errors are logged: the next pass tries again.
func (s *Sender) Drain(ctx context.Context) int {
	batch := s.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	timeout := or(s.SendTimeout, DefaultSendTimeout)
	// The lease outlasts a whole batch, so that a slow but live sender
	// keeps its claim and no other sender sends the same mail.
	lease := time.Duration(batch)*timeout + time.Minute
	delivered := 0
	for ctx.Err() == nil {
		mails, err := s.Outbox.ClaimMail(ctx, s.now(), lease, batch)
		if err != nil {
			s.Log.WarnContext(ctx, "mail: claim failed", "err", err)
			break
		}
		for i := range mails {
			if s.deliver(ctx, &mails[i], timeout) {
				delivered++
			}
		}
		if len(mails) < batch {
			break
		}
	}
	s.maintain(ctx)
	return delivered
}

func (s *Sender) deliver(ctx context.Context, m *auth.QueuedMail, timeout time.Duration) bool {
	mail, err := s.open(m.Mail)
	var msg *Message
	if err == nil {
		msg, err = s.Templates.Render(s.From, &mail)
	}
	if err == nil {
		sctx, cancel := context.WithTimeout(ctx, timeout)
		err = s.Transport.Send(sctx, msg)
		cancel()
	}
	// The outbox is marked even when ctx has just ended (shutdown), so
	// that a delivered mail is not sent again.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err != nil {
		s.failed.Add(1)
		if why := s.giveUp(m, err); why != "" {
			s.abandoned.Add(1)
			s.Log.ErrorContext(ctx, "mail: given up", "mail_id", m.ID, "template", m.Template,
				"attempts", m.Attempts, "why", why, "err", err)
			if err := s.Outbox.AbandonMail(mctx, m.ID, s.now(), why+": "+err.Error()); err != nil {
				s.Log.WarnContext(ctx, "mail: mark abandoned", "mail_id", m.ID, "err", err)
			}
			return false
		}
		next := s.now().Add(s.backoff(m.Attempts))
		s.Log.WarnContext(ctx, "mail: delivery failed; will retry", "mail_id", m.ID, "template", m.Template,
			"attempts", m.Attempts, "next_attempt", next, "err", err)
		if err := s.Outbox.MarkMailFailed(mctx, m.ID, next, err.Error()); err != nil {
			s.Log.WarnContext(ctx, "mail: mark failed", "mail_id", m.ID, "err", err)
		}
		return false
	}
	s.sent.Add(1)
	if err := s.Outbox.MarkMailSent(mctx, m.ID, s.now()); err != nil {
		s.Log.WarnContext(ctx, "mail: sent but not marked; it will be sent again", "mail_id", m.ID, "err", err)
	}
	return true
}

// open returns m with its sealed values opened.
func (s *Sender) open(m auth.Mail) (auth.Mail, error) {
	if s.Sealer == nil {
		return m, nil
	}
	data := make(map[string]string, len(m.Data))
	for k, v := range m.Data {
		plain, err := s.Sealer.Open(v)
		if err != nil {
			return m, fmt.Errorf("mail data %s: %w", k, err)
		}
		data[k] = plain
	}
	m.Data = data
	return m, nil
}

// giveUp says why a failed mail is not to be retried, or "".
func (s *Sender) giveUp(m *auth.QueuedMail, err error) string {
	switch {
	case errors.Is(err, auth.ErrUnsealable):
		return "its link was sealed under another signing key (rotated since)"
	case Permanent(err):
		return "refused for good by the SMTP server"
	case s.MaxAge[m.Template] > 0 && s.now().Sub(m.CreatedAt) >= s.MaxAge[m.Template]:
		return "older than its links"
	}
	return ""
}

// backoff doubles from BaseBackoff with each failed attempt, up to
// MaxBackoff.
func (s *Sender) backoff(attempts int) time.Duration {
	d, maxd := or(s.BaseBackoff, DefaultBaseBackoff), or(s.MaxBackoff, DefaultMaxBackoff)
	for i := 1; i < attempts && d < maxd; i++ {
		d *= 2
	}
	return min(d, maxd)
}

// maintain refreshes the stats and, hourly, prunes sent mail.
func (s *Sender) maintain(ctx context.Context) {
	if st, err := s.Outbox.MailStats(ctx); err == nil {
		s.stats.Store(&st)
	}
	now := s.now()
	if now.Sub(s.lastPrune) < time.Hour {
		return
	}
	s.lastPrune = now
	if _, err := s.Outbox.PruneMail(ctx, now.Add(-or(s.Retention, DefaultRetention))); err != nil {
		s.Log.WarnContext(ctx, "mail: prune failed", "err", err)
	}
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
