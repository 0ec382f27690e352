package mailer

import (
	"errors"

	"github.com/wneessen/go-mail"
)

// Permanent reports whether err is an SMTP server's refusal of one mail
// for good: a 5xx reply (RFC 5321: "do not repeat the request") to its
// recipient or its content. Retrying such a mail cannot succeed and only
// hurts the sender's standing with the server. A 5xx to the sender
// address or to the login is not counted: it is the server's
// configuration, which an operator fixes, and then every waiting mail
// still goes out.
func Permanent(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	return false
}
