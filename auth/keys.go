package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The signing algorithms gqlauth issues tokens with. Anything else is
// refused, whatever a token's header says.
const (
	AlgHS256 = "HS256"
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

// Algorithms lists the accepted values of JWT_ALGORITHM.
var Algorithms = []string{AlgHS256, AlgEdDSA, AlgES256, AlgRS256}

// MinRSABits is the smallest RSA modulus accepted for RS256 (NIST SP
// 800-131A: 2048 bits is the floor for signatures).
const MinRSABits = 2048

// VerifyKey is a key tokens may be signed with: an HMAC secret, or the
// public half of an asymmetric key. Each token names its key by kid, and a
// key verifies only its own algorithm, so an RSA public key can never be
// used as an HMAC secret (the classic algorithm-confusion attack).
type VerifyKey struct {
	ID  string // kid
	Alg string
	// RetiredAt is when another key took over signing; nil for a key in use.
	RetiredAt *time.Time
	key       any // []byte, ed25519.PublicKey, *ecdsa.PublicKey or *rsa.PublicKey
	method    jwt.SigningMethod
}

// Public reports whether the key may be published (every key but an HMAC
// secret).
func (k *VerifyKey) Public() bool { return k.Alg != AlgHS256 }

// SigningKey is the key tokens are issued with.
type SigningKey struct {
	VerifyKey
	signer any // []byte or a crypto.Signer of the matching type
}

// NewHMACKey makes an HS256 signing key of secret. Its kid is a truncated
// SHA-256 of the domain-separated secret, which names the key without
// revealing it.
func NewHMACKey(secret []byte) (*SigningKey, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("JWT secret must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	h := sha256.Sum256(append([]byte("gqlauth-kid:"), secret...))
	kid := "hs256-" + hex.EncodeToString(h[:8])
	return &SigningKey{
		VerifyKey: VerifyKey{ID: kid, Alg: AlgHS256, key: secret, method: jwt.SigningMethodHS256},
		signer:    secret,
	}, nil
}

// GenerateKey draws a new private key for alg (EdDSA, ES256 or RS256) and
// returns it as PKCS#8 PEM, the form `openssl genpkey` writes.
func GenerateKey(alg string, rsaBits int) ([]byte, error) {
	var priv any
	var err error
	switch alg {
	case AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		if rsaBits < MinRSABits {
			return nil, fmt.Errorf("RSA keys must have at least %d bits", MinRSABits)
		}
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	default:
		return nil, fmt.Errorf("cannot generate a key for %q: choose EdDSA, ES256 or RS256", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode %s key: %w", alg, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKey reads a PKCS#8 PEM private key for alg. The key's type
// must match alg: an RSA key configured as ES256 is a mistake, not a hint.
func ParsePrivateKey(alg string, pemBytes []byte) (*SigningKey, error) {
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("PEM block is %q; want \"PRIVATE KEY\" (PKCS#8, as `openssl genpkey` or `gqlauth keys generate` write)", block.Type)
	}
	if b, _ := pem.Decode(rest); b != nil {
		return nil, errors.New("more than one PEM block: the file must hold exactly one private key")
	}
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse PKCS#8 private key: %w", err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", priv)
	}
	vk, err := newVerifyKey(alg, signer.Public())
	if err != nil {
		return nil, err
	}
	// golang-jwt wants the concrete key types, not just crypto.Signer.
	switch k := priv.(type) {
	case ed25519.PrivateKey:
		return &SigningKey{VerifyKey: *vk, signer: k}, nil
	case *ecdsa.PrivateKey:
		return &SigningKey{VerifyKey: *vk, signer: k}, nil
	case *rsa.PrivateKey:
		return &SigningKey{VerifyKey: *vk, signer: k}, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", priv)
}

// ParsePublicKey reads a PKIX PEM public key for alg, as stored for keys
// that signed tokens still in circulation.
func ParsePublicKey(alg, pemText string) (*VerifyKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("no PUBLIC KEY PEM block found")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return newVerifyKey(alg, pub)
}

// PublicKeyPEM encodes the key's public half as PKIX PEM.
func (k *VerifyKey) PublicKeyPEM() (string, error) {
	if !k.Public() {
		return "", errors.New("an HMAC secret has no public half")
	}
	der, err := x509.MarshalPKIXPublicKey(k.key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// newVerifyKey checks that pub suits alg and names it by its RFC 7638 JWK
// thumbprint, so that the kid is the same wherever the key is loaded.
func newVerifyKey(alg string, pub crypto.PublicKey) (*VerifyKey, error) {
	k := &VerifyKey{Alg: alg, key: pub}
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if alg != AlgEdDSA {
			return nil, fmt.Errorf("an Ed25519 key signs EdDSA, not %s", alg)
		}
		k.method = jwt.SigningMethodEdDSA
	case *ecdsa.PublicKey:
		if alg != AlgES256 || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ES256 needs a P-256 EC key; this key does not fit %s", alg)
		}
		k.method = jwt.SigningMethodES256
	case *rsa.PublicKey:
		if alg != AlgRS256 {
			return nil, fmt.Errorf("an RSA key signs RS256, not %s", alg)
		}
		if p.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("RSA key of %d bits: at least %d are required", p.N.BitLen(), MinRSABits)
		}
		k.method = jwt.SigningMethodRS256
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	jwk, err := k.JWK()
	if err != nil {
		return nil, err
	}
	k.ID = jwk.thumbprint()
	return k, nil
}

// JWK is one JSON Web Key (RFC 7517) as published in a JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWK returns the key's public half as a JWK.
func (k *VerifyKey) JWK() (*JWK, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	j := &JWK{Kid: k.ID, Alg: k.Alg, Use: "sig"}
	switch p := k.key.(type) {
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(p)
	case *ecdsa.PublicKey:
		pt, err := p.Bytes() // 0x04 || X || Y, each 32 bytes for P-256
		if err != nil {
			return nil, err
		}
		j.Kty, j.Crv, j.X, j.Y = "EC", "P-256", b64(pt[1:33]), b64(pt[33:])
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64(p.N.Bytes()), b64(big.NewInt(int64(p.E)).Bytes())
	default:
		return nil, errors.New("an HMAC secret is never published")
	}
	return j, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint: the required members, in
// lexical order, without whitespace.
func (j *JWK) thumbprint() string {
	var m any
	switch j.Kty {
	case "OKP":
		m = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{j.Crv, j.Kty, j.X}
	case "EC":
		m = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{j.Crv, j.Kty, j.X, j.Y}
	default:
		m = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{j.E, j.Kty, j.N}
	}
	b, _ := json.Marshal(m) // fixed string fields cannot fail
	h := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(h[:])
}
