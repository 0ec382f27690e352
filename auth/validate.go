package auth

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// maxEmailLen is RFC 5321's limit on a forward path.
const maxEmailLen = 254

// NormalizeEmail trims and lower-cases email and checks that it is a bare
// address. field names the input for the error.
func NormalizeEmail(field, email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", BadInput(field, "email is required")
	}
	if len(e) > maxEmailLen {
		return "", BadInput(field, "email must be at most %d characters", maxEmailLen)
	}
	addr, err := mail.ParseAddress(e)
	// ParseAddress also accepts "Name <a@b>"; only a bare address will do.
	if err != nil || addr.Address != e || addr.Name != "" {
		return "", BadInput(field, "email is not a valid address")
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || !strings.Contains(e[at+1:], ".") || strings.HasSuffix(e, ".") {
		return "", BadInput(field, "email is not a valid address")
	}
	return e, nil
}

// ValidatePassword enforces the password policy: any characters, at least
// MinPasswordChars of them, at most MaxPasswordBytes bytes.
func ValidatePassword(field, password string) error {
	if !utf8.ValidString(password) {
		return BadInput(field, "password must be valid UTF-8")
	}
	if utf8.RuneCountInString(password) < MinPasswordChars {
		return BadInput(field, "password must be at least %d characters", MinPasswordChars)
	}
	if len(password) > MaxPasswordBytes {
		return BadInput(field, "password must be at most %d bytes", MaxPasswordBytes)
	}
	return nil
}
