package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinMfaKeyLen is the shortest MFA_ENCRYPTION_KEY accepted: as much
// entropy as the AES-256 key derived from it.
const MinMfaKeyLen = 32

// mfaKeyInfo separates the key derived here from any other use of the same
// material (the JWT secret outside production).
const mfaKeyInfo = "gqlauth totp secret encryption v1"

// DeriveMfaKey turns key material (MFA_ENCRYPTION_KEY, or outside
// production the JWT signing secret) into the AES-256 key that seals TOTP
// secrets, with HKDF-SHA256, so that the material itself never keys two
// algorithms.
func DeriveMfaKey(material []byte) ([]byte, error) {
	if len(material) < MinMfaKeyLen {
		return nil, fmt.Errorf("MFA key material must be at least %d bytes, got %d", MinMfaKeyLen, len(material))
	}
	return hkdf.Key(sha256.New, material, nil, mfaKeyInfo, 32)
}

// secretBox seals TOTP secrets at rest with AES-GCM (see aeadBox). The
// user's id is the additional data, so a sealed secret copied onto another
// account's row does not open. It seals under the current key only, and
// opens under it or a previous one (a key rotation in progress).
type secretBox struct {
	box      *aeadBox
	previous []*aeadBox
}

func newSecretBox(key []byte, previous ...[]byte) (*secretBox, error) {
	sb := &secretBox{}
	for i, k := range append([][]byte{key}, previous...) {
		if len(k) != 32 {
			return nil, errors.New("the MFA encryption keys must be 32 bytes")
		}
		b, err := newAEADBox(k, "v1.")
		if err != nil {
			return nil, err
		}
		if i == 0 {
			sb.box = b
		} else {
			sb.previous = append(sb.previous, b)
		}
	}
	return sb, nil
}

// seal encrypts plain for userID under a fresh random nonce.
func (b *secretBox) seal(userID, plain string) string {
	out, err := b.box.seal(userID, plain)
	if err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return out
}

// open decrypts what seal made for userID; any tampering, another user's
// row or a key it does not hold fails. stale reports that a previous key
// opened it: the caller seals it again under the current one.
func (b *secretBox) open(userID, sealed string) (plain string, stale bool, err error) {
	plain, ok, err := b.box.open(userID, sealed)
	if !ok {
		return "", false, errors.New("sealed TOTP secret: unknown format")
	}
	if err == nil {
		return plain, false, nil
	}
	for _, p := range b.previous {
		if plain, _, perr := p.open(userID, sealed); perr == nil {
			return plain, true, nil
		}
	}
	return "", false, fmt.Errorf("sealed TOTP secret does not open (wrong MFA_ENCRYPTION_KEY, or the key it was sealed with is not in MFA_ENCRYPTION_KEY_PREVIOUS?): %w", err)
}
