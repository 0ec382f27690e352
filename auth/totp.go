package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/skip2/go-qrcode"
)

// RFC 6238 as every authenticator app reads it: SHA-1, 30-second steps,
// six digits; one step of skew either way covers a phone's clock and the
// time taken to type.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1
)

// The authentication methods (RFC 8176) and assurance levels tokens carry.
const (
	AMRPassword = "pwd"
	AMROTP      = "otp"
	AMRRecovery = "recovery"
	AAL1        = "aal1"
	AAL2        = "aal2"
)

// aalOf is the assurance level a login with the methods amr reaches.
func aalOf(amr []string) string {
	for _, m := range amr {
		if m == AMROTP || m == AMRRecovery || m == AMRHardwareKey {
			return AAL2
		}
	}
	return AAL1
}

// totpStep is the RFC 6238 time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// matchTotp returns the time step, within the skew around now, whose code
// is code. Every step is checked, so the time taken does not say which.
func matchTotp(secret, code string, now time.Time) (int64, bool) {
	cur := totpStep(now)
	found, ok := int64(0), false
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		good, err := hotp.ValidateCustom(code, uint64(step), secret, hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && good && !ok {
			found, ok = step, true
		}
	}
	return found, ok
}

// isTotpCode reports whether code looks like a TOTP code (six digits)
// rather than a recovery code.
func isTotpCode(code string) bool {
	if len(code) != totpDigits.Length() {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// recoveryAlphabet is lower-case base32 (RFC 4648): no 0/1/8/9 to confuse
// with o/l/b/g when a person copies a code from paper.
const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// newRecoveryCodes draws RecoveryCodeCount codes of 80 random bits each,
// written xxxx-xxxx-xxxx-xxxx: far beyond offline guessing, so a plain
// SHA-256 is a sufficient way to store them.
func newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		var sb strings.Builder
		for i, v := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[v&31])
		}
		c := sb.String()
		codes = append(codes, c)
		hashes = append(hashes, hashRecoveryCode(c))
	}
	return codes, hashes
}

// normalizeRecoveryCode ignores case, spaces and dashes, as a person
// copying a code would vary them.
func normalizeRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(code))
}

// hashRecoveryCode is what the store keeps of a recovery code.
func hashRecoveryCode(code string) string {
	h := sha256.Sum256([]byte(normalizeRecoveryCode(code)))
	return hex.EncodeToString(h[:])
}

// qrSVG draws text as a QR code in a compact SVG document: one path of
// horizontal runs of dark modules, inside the quiet zone the matrix has.
func qrSVG(text string) (string, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", err
	}
	bm := q.Bitmap()
	n := len(bm)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&sb, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	sb.WriteString(`"/></svg>`)
	return sb.String(), nil
}
