package main

import (
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/gqlauth/gqlauth/mailer"
)

// mailConfig is where and how the server sends mail.
type mailConfig struct {
	SMTPURL   string // empty: mail goes to the log
	From      string
	AppURL    string // no trailing slash
	Templates *mailer.Templates
	// VerifyTTL and ResetTTL are the lifetimes of mailed links.
	VerifyTTL, ResetTTL time.Duration
}

// readMail reads the mail settings. SMTP_URL, the templates and the
// addresses are checked now, so that a mistake stops the start-up rather
// than the first mail. Production requires SMTP_URL: written to the log,
// a reset link would sit in log storage for anyone who reads it.
func readMail(r *envReader, c *config) {
	m := &c.Mail
	m.SMTPURL = r.fromFile("SMTP_URL", false)
	if m.SMTPURL == "" && c.Production {
		r.bad("SMTP_URL", "required when APP_ENV=production: without it mail, reset links included, is written to the log (e.g. smtp://user:pass@smtp.example.com:587)")
	}
	if m.SMTPURL != "" {
		if _, err := mailer.NewSMTP(m.SMTPURL); err != nil {
			r.bad("SMTP_URL", "%s", strings.TrimPrefix(err.Error(), "mailer: SMTP_URL: "))
		}
	}
	m.From = r.get("MAIL_FROM")
	if _, err := mail.ParseAddress(m.From); err != nil {
		r.bad("MAIL_FROM", "not an address (e.g. Example <noreply@example.com>): %q", m.From)
	}
	m.AppURL = strings.TrimRight(r.get("APP_URL"), "/")
	if u, err := url.Parse(m.AppURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		r.bad("APP_URL", "must be an http(s) base URL without query or fragment, e.g. https://app.example.com, not %q", m.AppURL)
	} else if c.Production && u.Scheme != "https" {
		// Mailed over plain HTTP, a reset link's token crosses the network
		// in clear; the development default (localhost) reaches nobody.
		r.bad("APP_URL", "must be your frontend's https URL when APP_ENV=production (links in mail open it), not %q", m.AppURL)
	}
	m.VerifyTTL = r.duration("VERIFY_TOKEN_TTL", time.Second)
	m.ResetTTL = r.duration("RESET_TOKEN_TTL", time.Second)
	c.RequireVerifiedEmail = r.boolean("REQUIRE_VERIFIED_EMAIL", false)
	var err error
	if m.Templates, err = mailer.LoadTemplates(r.get("MAIL_TEMPLATES_DIR")); err != nil {
		r.bad("MAIL_TEMPLATES_DIR", "%v", err)
	}
}
