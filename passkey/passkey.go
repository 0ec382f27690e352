// Package passkey is gqlauth's WebAuthn relying party: it makes the
// options of registration and login ceremonies and verifies the
// credentials that browsers answer with, using go-webauthn, for the auth
// package (which keeps challenges and passkeys, and decides what a
// verified credential is worth). Options and credentials travel in the W3C
// WebAuthn Level 3 JSON forms, so that a page passes them to
// PublicKeyCredential.parseCreationOptionsFromJSON (or parseRequest…) and
// back from PublicKeyCredential.toJSON() with no code of its own.
package passkey

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/gqlauth/gqlauth/auth"
)

// Timeout is the ceremony's timeout told to the browser: the challenge's
// lifetime on the server.
const Timeout = auth.PasskeyChallengeTTL

// Config names the relying party.
type Config struct {
	// RPID is the domain passkeys are scoped to (WEBAUTHN_RP_ID): the
	// site's host or a registrable suffix of it.
	RPID string
	// RPName is shown by some authenticators (WEBAUTHN_RP_NAME).
	RPName string
	// Origins are the pages allowed to use passkeys (WEBAUTHN_ORIGINS):
	// scheme://host[:port], each a host within RPID.
	Origins []string
}

// RP is a relying party; it implements auth.WebAuthnRP.
type RP struct {
	wa      *webauthn.WebAuthn
	rpHash  [sha256.Size]byte
	origins []string
}

var _ auth.WebAuthnRP = (*RP)(nil)

// New checks cfg and returns its relying party.
func New(cfg Config) (*RP, error) {
	if err := protocol.ValidateRPID(cfg.RPID); err != nil {
		return nil, fmt.Errorf("WebAuthn RP ID %q: %w", cfg.RPID, err)
	}
	if len(cfg.Origins) == 0 {
		return nil, errors.New("WebAuthn needs at least one allowed origin")
	}
	required := protocol.ResidentKeyRequirementRequired
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.RPName,
		RPOrigins:     cfg.Origins,
		// Passkeys: discoverable (a login needs no address), with user
		// verification (a login needs no password), no attestation (no
		// vendor allow-list: any authenticator the user trusts).
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        required,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: Timeout, TimeoutUVD: Timeout},
			Registration: webauthn.TimeoutConfig{Timeout: Timeout, TimeoutUVD: Timeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("WebAuthn: %w", err)
	}
	return &RP{wa: wa, rpHash: sha256.Sum256([]byte(cfg.RPID)), origins: cfg.Origins}, nil
}

// BeginRegistration makes PublicKeyCredentialCreationOptionsJSON for u.
func (rp *RP) BeginRegistration(u *auth.User, existing []auth.Passkey) (*auth.PasskeyCeremony, error) {
	wu, err := newUser(u, existing)
	if err != nil {
		return nil, err
	}
	creation, session, err := rp.wa.BeginRegistration(wu, webauthn.WithExclusions(wu.creds.CredentialDescriptors()))
	if err != nil {
		return nil, err
	}
	return ceremony(creation.Response, session)
}

// FinishRegistration verifies a registration's PublicKeyCredential JSON.
func (rp *RP) FinishRegistration(u *auth.User, state string, credential []byte) (*auth.Passkey, error) {
	session, err := readState(state)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, invalid(err)
	}
	cd, ad := parsed.Response.CollectedClientData, parsed.Response.AttestationObject.AuthData
	if err := rp.check(session, cd, protocol.CreateCeremony, ad); err != nil {
		return nil, err
	}
	wu, err := newUser(u, nil)
	if err != nil {
		return nil, err
	}
	cred, err := rp.wa.CreateCredential(wu, *session, parsed)
	if err != nil {
		return nil, invalid(err)
	}
	transports := make([]string, len(cred.Transport))
	for i, t := range cred.Transport {
		transports[i] = string(t)
	}
	aaguid := ""
	if id, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil {
		aaguid = id.String()
	}
	return &auth.Passkey{
		CredentialID: b64(cred.ID), PublicKey: b64(cred.PublicKey), SignCount: int64(cred.Authenticator.SignCount),
		Transports: strings.Join(transports, ","), AAGUID: aaguid, Flags: int(cred.Flags.ProtocolValue()),
		AttestationType: cred.AttestationType, AttestationFormat: cred.AttestationFormat,
	}, nil
}

// BeginLogin makes PublicKeyCredentialRequestOptionsJSON: for the allowed
// passkeys, or (none) for any discoverable one.
func (rp *RP) BeginLogin(allowed []auth.Passkey) (*auth.PasskeyCeremony, error) {
	var (
		assertion *protocol.CredentialAssertion
		session   *webauthn.SessionData
		err       error
	)
	if len(allowed) == 0 {
		assertion, session, err = rp.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	} else {
		wu, uerr := newUser(&auth.User{ID: allowed[0].UserID}, allowed)
		if uerr != nil {
			return nil, uerr
		}
		assertion, session, err = rp.wa.BeginLogin(wu, webauthn.WithUserVerification(protocol.VerificationRequired))
	}
	if err != nil {
		return nil, err
	}
	return ceremony(assertion.Response, session)
}

// assertion is a parsed login credential (auth.PasskeyAssertion.Parsed).
type assertion struct {
	parsed *protocol.ParsedCredentialAssertionData
}

// ParseAssertion reads a login's PublicKeyCredential JSON.
func (rp *RP) ParseAssertion(credential []byte) (*auth.PasskeyAssertion, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		return nil, invalid(err)
	}
	return &auth.PasskeyAssertion{CredentialID: b64(parsed.RawID), UserHandle: parsed.Response.UserHandle,
		Parsed: assertion{parsed}}, nil
}

// FinishLogin verifies a ParseAssertion result against its ceremony and
// the owner's passkeys (the signature with the stored public key, user
// verification, the flags) and returns the used passkey's new counter.
func (rp *RP) FinishLogin(state string, a *auth.PasskeyAssertion, owner *auth.User, passkeys []auth.Passkey) (*auth.PasskeyUse, error) {
	session, err := readState(state)
	if err != nil {
		return nil, err
	}
	pa, ok := a.Parsed.(assertion)
	if !ok {
		return nil, errors.New("passkey: an assertion not parsed by this relying party")
	}
	resp := pa.parsed.Response
	if err := rp.check(session, resp.CollectedClientData, protocol.AssertCeremony, resp.AuthenticatorData); err != nil {
		return nil, err
	}
	wu, err := newUser(owner, passkeys)
	if err != nil {
		return nil, err
	}
	var cred *webauthn.Credential
	if len(session.UserID) > 0 {
		cred, err = rp.wa.ValidateLogin(wu, *session, pa.parsed)
	} else {
		cred, err = rp.wa.ValidateDiscoverableLogin(func(_, _ []byte) (webauthn.User, error) { return wu, nil }, *session, pa.parsed)
	}
	if err != nil {
		return nil, invalid(err)
	}
	return &auth.PasskeyUse{SignCount: int64(resp.AuthenticatorData.Counter), Flags: int(cred.Flags.ProtocolValue())}, nil
}

// check makes the checks whose failures a client should be able to tell
// apart, before go-webauthn makes them (and the rest) again: the ceremony,
// the challenge, the origin, the RP ID and user verification.
func (rp *RP) check(session *webauthn.SessionData, cd protocol.CollectedClientData, ceremony protocol.CeremonyType, ad protocol.AuthenticatorData) error {
	switch {
	case cd.Type != ceremony:
		return auth.CredentialError(auth.ReasonCredentialInvalid, "the credential is of a %s ceremony, not %s", cd.Type, ceremony)
	case subtle.ConstantTimeCompare([]byte(cd.Challenge), []byte(session.Challenge)) != 1:
		return auth.CredentialError(auth.ReasonChallengeMismatch, "the credential answers another challenge")
	case !protocol.IsOriginInHaystack(cd.Origin, rp.origins):
		return auth.CredentialError(auth.ReasonOriginMismatch, "the page's origin %q is not allowed to use passkeys here", cd.Origin)
	case !bytes.Equal(ad.RPIDHash, rp.rpHash[:]):
		return auth.CredentialError(auth.ReasonRPIDMismatch, "the credential is for another relying party")
	case !ad.Flags.HasUserVerified():
		return auth.CredentialError(auth.ReasonUserVerificationRequired, "the authenticator did not verify the user (PIN or biometrics)")
	}
	return nil
}

// invalid maps a go-webauthn failure: a bad signature, or anything else
// wrong with the credential.
func invalid(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Type == protocol.ErrAssertionSignature.Type {
		return auth.CredentialError(auth.ReasonSignatureInvalid, "the passkey's signature does not verify")
	}
	msg := "not a valid passkey credential"
	if errors.As(err, &pe) && pe.Details != "" {
		msg += ": " + pe.Details
	}
	return &auth.Error{Code: auth.CodeBadUserInput, Field: "credential", Reason: auth.ReasonCredentialInvalid, Message: msg, Err: err}
}

// ceremony pairs a ceremony's bare options (not go-webauthn's
// {publicKey: …} wrapper) with its session data, the state kept.
func ceremony(options any, session *webauthn.SessionData) (*auth.PasskeyCeremony, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return nil, err
	}
	state, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	return &auth.PasskeyCeremony{Options: opts, State: string(state)}, nil
}

func readState(state string) (*webauthn.SessionData, error) {
	var s webauthn.SessionData
	if err := json.Unmarshal([]byte(state), &s); err != nil {
		return nil, fmt.Errorf("passkey: ceremony state: %w", err)
	}
	return &s, nil
}

// user is an account as go-webauthn sees it. Its handle (user.id) is the
// account's id: random, stable across address changes, and no personal
// data, as the specification asks.
type user struct {
	u     *auth.User
	creds webauthn.Credentials
}

func newUser(u *auth.User, passkeys []auth.Passkey) (*user, error) {
	wu := &user{u: u}
	for _, pk := range passkeys {
		c, err := credential(&pk)
		if err != nil {
			return nil, fmt.Errorf("passkey %s: %w", pk.ID, err)
		}
		wu.creds = append(wu.creds, c)
	}
	return wu, nil
}

func (w *user) WebAuthnID() []byte                         { return []byte(w.u.ID) }
func (w *user) WebAuthnName() string                       { return w.u.Email }
func (w *user) WebAuthnDisplayName() string                { return w.u.Email }
func (w *user) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// credential rebuilds go-webauthn's record of a stored passkey.
func credential(pk *auth.Passkey) (webauthn.Credential, error) {
	id, err := base64.RawURLEncoding.DecodeString(pk.CredentialID)
	if err != nil {
		return webauthn.Credential{}, err
	}
	key, err := base64.RawURLEncoding.DecodeString(pk.PublicKey)
	if err != nil {
		return webauthn.Credential{}, err
	}
	var aaguid []byte
	if pk.AAGUID != "" {
		u, err := uuid.Parse(pk.AAGUID)
		if err != nil {
			return webauthn.Credential{}, err
		}
		aaguid = u[:]
	}
	var transports []protocol.AuthenticatorTransport
	for t := range strings.SplitSeq(pk.Transports, ",") {
		if t != "" {
			transports = append(transports, protocol.AuthenticatorTransport(t))
		}
	}
	return webauthn.Credential{
		ID: id, PublicKey: key, AttestationType: pk.AttestationType, AttestationFormat: pk.AttestationFormat,
		Transport: transports, Flags: webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(pk.Flags)),
		Authenticator: webauthn.Authenticator{AAGUID: aaguid, SignCount: uint32(pk.SignCount)},
	}, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
