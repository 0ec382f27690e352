// Package passkeytest is a software WebAuthn authenticator and client for
// tests: it answers the options gqlauth hands out (the W3C JSON forms)
// with the JSON a browser's PublicKeyCredential.toJSON() would produce,
// signing with ECDSA P-256 keys it makes (attestation "none"), so that
// tests drive the real server's ceremonies without a browser. Its fields
// let a test play a misbehaving client or authenticator.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// The authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagAT = 0x40
)

// Authenticator holds discoverable credentials, like a platform
// authenticator, and is its own client (the browser's part): Origin is the
// page's origin it writes into clientDataJSON.
type Authenticator struct {
	Origin string
	// RPID, when set, replaces the options' RP ID in what is signed, as
	// an authenticator tricked into another site's scope would.
	RPID string
	// SkipUserVerification leaves the UV flag off.
	SkipUserVerification bool
	// Creds are the credentials made so far, newest last.
	Creds []*Credential
}

// Credential is one key pair of the authenticator. Count is its signature
// counter, raised before each assertion; a test may set it back.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	RPID       string
	UserHandle []byte
	Count      uint32
}

// IDString is the credential id as WebAuthn's JSON writes it (base64url).
func (c *Credential) IDString() string { return b64(c.ID) }

type creationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Exclude []struct {
		ID string `json:"id"`
	} `json:"excludeCredentials"`
}

type requestOptions struct {
	Challenge string `json:"challenge"`
	RPID      string `json:"rpId"`
	Allow     []struct {
		ID string `json:"id"`
	} `json:"allowCredentials"`
}

// Create answers PublicKeyCredentialCreationOptionsJSON (as a JSON value
// or its bytes) with a new credential's registration JSON.
func (a *Authenticator) Create(options any) (map[string]any, *Credential, error) {
	var o creationOptions
	if err := decode(options, &o); err != nil {
		return nil, nil, err
	}
	if o.Challenge == "" || o.RP.ID == "" || o.User.ID == "" {
		return nil, nil, errors.New("passkeytest: creation options without challenge, rp.id or user.id")
	}
	for _, ex := range o.Exclude {
		for _, c := range a.Creds {
			if ex.ID == c.IDString() {
				return nil, nil, errors.New("passkeytest: InvalidStateError: a credential of this authenticator is excluded")
			}
		}
	}
	handle, err := base64.RawURLEncoding.DecodeString(o.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("passkeytest: user.id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: random(32), Key: key, RPID: o.RP.ID, UserHandle: handle}
	clientData := a.clientData("webauthn.create", o.Challenge)
	var attested []byte
	attested = append(attested, make([]byte, 16)...) // AAGUID: zero, as with attestation "none"
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(c.ID)))
	attested = append(attested, c.ID...)
	attested = append(attested, coseKey(&key.PublicKey)...)
	authData := append(a.authData(o.RP.ID, flagAT, 0), attested...)
	att := cborMap(3)
	att = append(att, cborText("fmt")...)
	att = append(att, cborText("none")...)
	att = append(att, cborText("attStmt")...)
	att = append(att, cborMap(0)...)
	att = append(att, cborText("authData")...)
	att = append(att, cborBytes(authData)...)
	a.Creds = append(a.Creds, c)
	return map[string]any{
		"id": c.IDString(), "rawId": c.IDString(), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON": b64(clientData), "attestationObject": b64(att),
			"transports": []string{"internal"},
		},
	}, c, nil
}

// Get answers PublicKeyCredentialRequestOptionsJSON with an assertion of
// c, or (c nil) of the newest credential the options allow.
func (a *Authenticator) Get(options any, c *Credential) (map[string]any, error) {
	var o requestOptions
	if err := decode(options, &o); err != nil {
		return nil, err
	}
	if o.Challenge == "" || o.RPID == "" {
		return nil, errors.New("passkeytest: request options without challenge or rpId")
	}
	if c == nil {
		for i := len(a.Creds) - 1; i >= 0 && c == nil; i-- {
			cand := a.Creds[i]
			if cand.RPID != o.RPID {
				continue
			}
			if len(o.Allow) == 0 {
				c = cand
			}
			for _, al := range o.Allow {
				if al.ID == cand.IDString() {
					c = cand
				}
			}
		}
		if c == nil {
			return nil, errors.New("passkeytest: NotAllowedError: no credential for these options")
		}
	}
	c.Count++
	clientData := a.clientData("webauthn.get", o.Challenge)
	authData := a.authData(o.RPID, 0, c.Count)
	hash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), hash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id": c.IDString(), "rawId": c.IDString(), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON": b64(clientData), "authenticatorData": b64(authData),
			"signature": b64(sig), "userHandle": b64(c.UserHandle),
		},
	}, nil
}

// clientData is the CollectedClientData JSON the client would write.
func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// authData is the authenticator data's fixed part: the RP ID's hash, the
// flags (user present, verified unless skipped, backup eligible as synced
// passkeys are, and extra) and the counter.
func (a *Authenticator) authData(rpID string, extra byte, count uint32) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	h := sha256.Sum256([]byte(rpID))
	flags := byte(flagUP|flagBE) | extra
	if !a.SkipUserVerification {
		flags |= flagUV
	}
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, count)
}

// coseKey is an EC2 P-256 public key as a COSE_Key (RFC 9053): kty 2,
// alg -7 (ES256), crv 1, x, y.
func coseKey(k *ecdsa.PublicKey) []byte {
	raw, _ := k.Bytes() // uncompressed: 0x04 || x || y
	x, y := raw[1:33], raw[33:]
	out := cborMap(5)
	out = append(out, 0x01, 0x02) // 1 (kty): 2 (EC2)
	out = append(out, 0x03, 0x26) // 3 (alg): -7 (ES256)
	out = append(out, 0x20, 0x01) // -1 (crv): 1 (P-256)
	out = append(out, 0x21)       // -2 (x)
	out = append(out, cborBytes(x)...)
	out = append(out, 0x22) // -3 (y)
	return append(out, cborBytes(y)...)
}

// The few CBOR (RFC 8949) items an attestation object needs.
func cborMap(n int) []byte { return []byte{0xa0 | byte(n)} }

func cborText(s string) []byte { return append(cborHead(3, len(s)), s...) }

func cborBytes(b []byte) []byte { return append(cborHead(2, len(b)), b...) }

func cborHead(major byte, n int) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 256:
		return []byte{major<<5 | 24, byte(n)}
	default:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	}
}

// decode reads options given as a decoded JSON value, or its bytes.
func decode(options any, into any) error {
	var b []byte
	switch v := options.(type) {
	case []byte:
		b = v
	case json.RawMessage:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	return json.Unmarshal(b, into)
}

func random(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
