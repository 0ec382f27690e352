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
	"strings"
)

// outboxPrefix marks a sealed value; the version names the key derivation
// and the cipher.
const outboxPrefix = "sealed:v1:"

// Sealer encrypts values the database must hold for a while but must not
// disclose, such as the link in a queued mail: AES-256-GCM under a key
// derived from the token signing key, which the database does not hold
// (in production). A copy of the database then holds no working link.
type Sealer struct {
	box  *aeadBox
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
	box, err := newAEADBox(key, outboxPrefix)
	if err != nil {
		return nil, err
	}
	return &Sealer{box: box, info: info}, nil
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
func (s *Sealer) Seal(plain string) (string, error) { return s.box.seal(s.info, plain) }

// ErrUnsealable reports a sealed value this key cannot open: sealed under
// another signing key (rotated since), or damaged.
var ErrUnsealable = errors.New("sealed under another key, or damaged")

// Open decrypts a value Seal made; a value that is not sealed is returned
// as it is (written before sealing, or by a process without a key).
func (s *Sealer) Open(v string) (string, error) {
	plain, ok, err := s.box.open(s.info, v)
	switch {
	case !ok:
		return v, nil
	case err != nil:
		return "", ErrUnsealable
	}
	return plain, nil
}

// aeadBox is AES-256-GCM under one key: a random nonce per value, printed
// as prefix + base64url(nonce | ciphertext), with additional data that
// binds a value to its place (a purpose, a user).
type aeadBox struct {
	aead   cipher.AEAD
	prefix string
}

func newAEADBox(key []byte, prefix string) (*aeadBox, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &aeadBox{aead: aead, prefix: prefix}, nil
}

func (b *aeadBox) seal(ad, plain string) (string, error) {
	n := b.aead.NonceSize()
	nonce := make([]byte, n, n+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return b.prefix + base64.RawURLEncoding.EncodeToString(b.aead.Seal(nonce, nonce, []byte(plain), []byte(ad))), nil
}

// open reports ok=false for a value without the prefix (not sealed here).
func (b *aeadBox) open(ad, v string) (plain string, ok bool, err error) {
	rest, ok := strings.CutPrefix(v, b.prefix)
	if !ok {
		return "", false, nil
	}
	data, err := base64.RawURLEncoding.DecodeString(rest)
	n := b.aead.NonceSize()
	if err != nil || len(data) < n {
		return "", true, errors.New("malformed sealed value")
	}
	out, err := b.aead.Open(nil, data[:n], data[n:], []byte(ad))
	if err != nil {
		return "", true, err
	}
	return string(out), true, nil
}
