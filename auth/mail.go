package auth

import "time"

// Mail templates a use case may enqueue; package mailer renders each.
const (
	MailVerifyEmail        = "verify-email"
	MailResetPassword      = "reset-password"
	MailConfirmEmailChange = "confirm-email-change"
	MailEmailChanged       = "email-changed"
)

// Mail is one message waiting in the outbox. It is written in the same
// transaction as the link token it carries, so a token never exists without
// its mail nor a mail without its token; a background sender delivers it.
type Mail struct {
	// To is the recipient's address.
	To string
	// Template names the subject and bodies to render (MailVerifyEmail, ...).
	Template string
	// Data fills the template's fields, e.g. "Link" and "Email".
	Data map[string]string
}

// QueuedMail is a mail a sender has claimed from the outbox.
type QueuedMail struct {
	Mail
	// ID identifies the outbox row, for MarkMailSent and MarkMailFailed.
	ID int64
	// Attempts counts deliveries tried, this one included.
	Attempts int
	// CreatedAt is when the mail was enqueued.
	CreatedAt time.Time
}

// MailStats describe the outbox, for metrics.
type MailStats struct {
	// Queued counts mails not yet sent.
	Queued int
	// Retrying counts queued mails whose last attempt failed.
	Retrying int
	// OldestQueued is when the oldest unsent mail was enqueued (zero when
	// none is queued).
	OldestQueued time.Time
}
