package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"

	mail "github.com/wneessen/go-mail"
)

// Transport hands a rendered message on for delivery.
type Transport interface {
	Send(ctx context.Context, m *Message) error
}

// NewTransport returns the SMTP transport for smtpURL, or, when it is
// empty, the log transport (development: every mail goes to the log).
func NewTransport(smtpURL string, log *slog.Logger) (Transport, error) {
	if smtpURL == "" {
		return LogTransport{Log: log}, nil
	}
	return NewSMTP(smtpURL)
}

// LogTransport writes each mail to the log at INFO, links included, so
// that the flows work end to end without a mail server. Never for
// production: the links are credentials.
type LogTransport struct{ Log *slog.Logger }

// Send logs m.
func (l LogTransport) Send(ctx context.Context, m *Message) error {
	l.Log.InfoContext(ctx, "mail (SMTP_URL unset: logged, not sent)", "to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}

// SMTP sends through an SMTP server with github.com/wneessen/go-mail.
type SMTP struct {
	host string
	opts []mail.Option
	// TLS, when set, verifies the server's certificate (tests trust their
	// own CA with it); nil uses the system roots.
	TLS *tls.Config
}

// NewSMTP parses smtpURL: smtps://host[:465] is implicit TLS;
// smtp://user:pass@host[:587] requires STARTTLS, so that credentials never
// cross the network in clear; smtp://host:port without credentials (a
// local relay) uses STARTTLS when the server offers it and plain SMTP
// otherwise.
func NewSMTP(smtpURL string) (*SMTP, error) {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return nil, errors.New("mailer: SMTP_URL: not a URL") // the error would echo the password
	}
	if u.Hostname() == "" {
		return nil, errors.New("mailer: SMTP_URL: no host")
	}
	port := 587
	opts := []mail.Option{mail.WithTLSPolicy(mail.TLSMandatory)}
	switch u.Scheme {
	case "smtps":
		port = 465
		opts = []mail.Option{mail.WithSSL()}
	case "smtp":
		if u.User == nil {
			opts = []mail.Option{mail.WithTLSPolicy(mail.TLSOpportunistic)}
		}
	default:
		return nil, fmt.Errorf("mailer: SMTP_URL: scheme %q: want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("mailer: SMTP_URL: port %q", p)
		}
		port = n
	} else if u.User == nil && u.Scheme == "smtp" {
		port = 25
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return &SMTP{host: u.Hostname(), opts: opts}, nil
}

// Send delivers m on a connection of its own; ctx bounds the whole
// session.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("mailer: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mailer: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	opts := s.opts
	if s.TLS != nil {
		opts = append(slices.Clip(opts), mail.WithTLSConfig(s.TLS))
	}
	c, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("mailer: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mailer: send: %w", err)
	}
	return nil
}
