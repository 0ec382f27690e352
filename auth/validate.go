package auth

import "unicode/utf8"

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
