package mailer

import (
	"errors"
	"strings"

	"github.com/wneessen/go-mail"
)

// Permanent reports whether err is an SMTP server's refusal of one mail
// for good: a 5xx reply to its recipient or content whose enhanced status
// code (RFC 3463) is about that address or that message:
//
//	5.1.x  the address (no such mailbox, bad domain, bad syntax)
//	5.2.x  the mailbox (disabled, full, message too long for it)
//	5.3.4  the message is too big for the system
//	5.6.x  the message's content or encoding
//
// Retrying such a mail cannot succeed and only hurts the sender's standing
// with the server. Anything else is retried until the mail outlives its
// links: a 5.7.x (relaying denied, not authorised), a 5xx to the sender
// address or the login, or a reply without an enhanced code is how a
// misconfigured relay refuses every mail, and once an operator fixes it
// the waiting mail must still go out.
func Permanent(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) || se.IsTemp() || se.ErrorCode() < 500 || se.ErrorCode() > 599 {
		return false
	}
	switch se.Reason {
	case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
	default:
		return false
	}
	code := se.EnhancedStatusCode()
	switch {
	case strings.HasPrefix(code, "5.1."), strings.HasPrefix(code, "5.2."), strings.HasPrefix(code, "5.6."):
		return true
	case code == "5.3.4":
		return true
	}
	return false
}
