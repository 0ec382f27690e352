package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// sealedPrefix marks a sealed value; the version names the key
// derivation and the cipher.
const sealedPrefix = "sealed:v1:"

// Sealer encrypts values the database must hold for a while but must not
// disclose, such as the link in a queued mail: AES-256-GCM under a key
// derived from the token signing key, which the database does not hold
// (in production). A copy of the database then holds no working link.
type Sealer struct {
	aead cipher.AEAD
	info string
}

// NewSealer derives a sealing key for purpose (e.g. "mail outbox") from
// the signing key k. Another purpose gets another key.
func NewSealer(k *SigningKey, purpose string) (*Sealer, error) {
	material, err := k.secretMaterial()
	if err != nil {
		return nil, err
	}
	info := "gqlauth seal v1: " + purpose
	key, err := hkdf.Key(sha256.New, material, nil, info, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, info: info}, nil
}

// secretMaterial is what a derived key comes from: the HS256 secret, or
// the private key's PKCS#8 encoding.
func (k *SigningKey) secretMaterial() ([]byte, error) {
	if b, ok := k.signer.([]byte); ok {
		return b, nil
	}
	return x509.MarshalPKCS8PrivateKey(k.signer)
}

// Seal encrypts s into a printable sealed value.
func (s *Sealer) Seal(plain string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(s.info))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// ErrUnsealable reports a sealed value this key cannot open: sealed under
// another signing key (rotated since), or damaged.
var ErrUnsealable = errors.New("sealed under another key, or damaged")

// Open decrypts a value Seal made; a value that is not sealed is returned
// as it is (written before sealing, or by a process without a key).
func (s *Sealer) Open(v string) (string, error) {
	rest, ok := strings.CutPrefix(v, sealedPrefix)
	if !ok {
		return v, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", ErrUnsealable
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], []byte(s.info))
	if err != nil {
		return "", fmt.Errorf("%w", ErrUnsealable)
	}
	return string(plain), nil
}
