package main

import (
	"time"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/mailer"
	"github.com/gqlauth/gqlauth/metrics"
)

// initMailer builds the sender that drains the outbox (serve runs it) and
// exports its metrics.
func (a *app) initMailer(sealer *auth.Sealer) error {
	tr, err := mailer.NewTransport(a.cfg.Mail.SMTPURL, a.log)
	if err != nil {
		return err
	}
	if a.cfg.Mail.SMTPURL == "" {
		a.log.Info("SMTP_URL unset: mail is written to the log, not sent")
	}
	// A mail older than its link carries a dead link; the notice of an
	// address change carries none and is never too old.
	maxAge := map[string]time.Duration{
		auth.MailVerifyEmail:        a.cfg.Mail.VerifyTTL,
		auth.MailResetPassword:      a.cfg.Mail.ResetTTL,
		auth.MailConfirmEmailChange: a.cfg.Mail.ResetTTL,
	}
	a.mailer = &mailer.Sender{Outbox: a.store, Templates: a.cfg.Mail.Templates, Transport: tr, From: a.cfg.Mail.From, Log: a.log,
		MaxAge: maxAge, Sealer: sealer}
	a.metrics.ObserveMail(func() metrics.MailStats {
		st := a.mailer.Stats()
		ms := metrics.MailStats{Queued: st.Queued, Retrying: st.Retrying, Sent: st.Sent, Failed: st.Failed, Abandoned: st.Abandoned}
		if !st.OldestQueued.IsZero() {
			ms.OldestAge = time.Since(st.OldestQueued)
		}
		return ms
	})
	return nil
}
