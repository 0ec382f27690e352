package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"time"
)

// LinkPurpose says what a mailed link does; a token works only for its own.
type LinkPurpose string

// The purposes of mailed links.
const (
	PurposeVerifyEmail   LinkPurpose = "verify_email"
	PurposeResetPassword LinkPurpose = "reset_password"
	PurposeChangeEmail   LinkPurpose = "change_email"
)

// Default lifetimes of mailed links (VERIFY_TOKEN_TTL, RESET_TOKEN_TTL).
// A reset link is short-lived because whoever holds it takes the account;
// a change-of-address link shares its lifetime.
const (
	DefaultVerifyTokenTTL = 24 * time.Hour
	DefaultResetTokenTTL  = 30 * time.Minute
)

// LinkToken is the stored side of a mailed link: only the hash of the
// random token, bound to a purpose and to the address it was sent to.
type LinkToken struct {
	Hash    string      `db:"token_hash"`
	UserID  string      `db:"user_id"`
	Purpose LinkPurpose `db:"purpose"`
	// Email is the address the link was mailed to: the account's address
	// for verification and reset, the new address for a change.
	Email     string     `db:"email"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt time.Time  `db:"expires_at"`
	UsedAt    *time.Time `db:"used_at"`
}

// LinkOptions configure mailed links; zero values take the defaults.
type LinkOptions struct {
	// AppURL is the frontend's base URL: links are AppURL/verify-email?token=…
	// and so on. Empty means http://localhost:5173.
	AppURL    string
	VerifyTTL time.Duration
	ResetTTL  time.Duration
	// Sealer, when set, encrypts the link in a queued mail, so that the
	// outbox holds no working link either (the sender opens it).
	Sealer *Sealer
}

// linkStore is what redeeming a link needs outside a transaction.
type linkStore interface {
	// LinkToken reads a token by its hash; ErrNotFound when absent.
	LinkToken(ctx context.Context, hash string) (*LinkToken, error)
}

// linkTokenBytes is 256 bits: far beyond guessing, so a token needs only a
// fast hash at rest (SHA-256), not a password hash.
const linkTokenBytes = 32

// links mints, mails and redeems link tokens for the email use cases.
type links struct {
	store     linkStore
	appURL    string
	verifyTTL time.Duration
	resetTTL  time.Duration
	sealer    *Sealer
}

func newLinks(store linkStore, o LinkOptions) *links {
	l := &links{store: store, appURL: strings.TrimRight(o.AppURL, "/"), verifyTTL: o.VerifyTTL, resetTTL: o.ResetTTL, sealer: o.Sealer}
	if l.appURL == "" {
		l.appURL = "http://localhost:5173"
	}
	if l.verifyTTL <= 0 {
		l.verifyTTL = DefaultVerifyTokenTTL
	}
	if l.resetTTL <= 0 {
		l.resetTTL = DefaultResetTokenTTL
	}
	return l
}

// linkPaths are the frontend pages each purpose's link opens.
var linkPaths = map[LinkPurpose]string{
	PurposeVerifyEmail:   "/verify-email",
	PurposeResetPassword: "/reset-password",
	PurposeChangeEmail:   "/confirm-email-change",
}

// linkTemplates are the mails that carry each purpose's link.
var linkTemplates = map[LinkPurpose]string{
	PurposeVerifyEmail:   MailVerifyEmail,
	PurposeResetPassword: MailResetPassword,
	PurposeChangeEmail:   MailConfirmEmailChange,
}

func (l *links) ttl(p LinkPurpose) time.Duration {
	if p == PurposeVerifyEmail {
		return l.verifyTTL
	}
	return l.resetTTL
}

// send mints a token for purpose, bound to u and to the address to, drops
// u's older unused tokens of that purpose (the newest link is the only one
// that works), and puts the mail that carries it in the outbox: all inside
// the caller's transaction, so the token and its mail commit together.
func (l *links) send(ctx context.Context, q Queries, u *User, purpose LinkPurpose, to string, now time.Time) error {
	raw, hash, err := newLinkToken()
	if err != nil {
		return err
	}
	// Racing requests take turns, so that exactly one link stays.
	if _, err := q.UserForUpdate(ctx, u.ID); err != nil {
		return err
	}
	if err := q.DeleteLinkTokens(ctx, u.ID, purpose); err != nil {
		return err
	}
	t := &LinkToken{Hash: hash, UserID: u.ID, Purpose: purpose, Email: to, CreatedAt: now, ExpiresAt: now.Add(l.ttl(purpose))}
	if err := q.CreateLinkToken(ctx, t); err != nil {
		return err
	}
	link := l.appURL + linkPaths[purpose] + "?token=" + url.QueryEscape(raw)
	if l.sealer != nil {
		if link, err = l.sealer.Seal(link); err != nil {
			return err
		}
	}
	return q.EnqueueMail(ctx, &Mail{To: to, Template: linkTemplates[purpose], Data: map[string]string{"Link": link, "Email": to}}, now)
}

// endUserSessions ends every session of a user but keepID and drops the
// user's unused mailed links. Whatever ends a user's sessions for safety
// (a password reset or change, logout everywhere, an address change, an
// administrator revoking or disabling) also ends any link an intruder
// asked for while they were in, such as a pending change of address to
// theirs: otherwise it would outlive the reset meant to throw them out.
func endUserSessions(ctx context.Context, q Queries, userID, keepID string, now time.Time) (int, error) {
	n, err := q.RevokeUserSessions(ctx, userID, keepID, now)
	if err != nil {
		return 0, err
	}
	return n, q.DeleteLinkTokens(ctx, userID, "")
}

// check tells whether raw is a live token of purpose, without using it:
// a password reset checks the token before it spends a password hash on
// the new password.
func (l *links) check(ctx context.Context, raw string, purpose LinkPurpose, now time.Time) error {
	hash, ok := hashLinkToken(raw)
	if !ok {
		return errLinkInvalid
	}
	t, err := l.store.LinkToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return errLinkInvalid
	}
	if err != nil {
		return Internal(err)
	}
	return t.judge(purpose, now)
}

// use spends raw inside the caller's transaction: it succeeds once for a
// live token of purpose, and the transaction's rollback gives it back.
// Racing uses of one token: exactly one wins.
func (l *links) use(ctx context.Context, q Queries, raw string, purpose LinkPurpose, now time.Time) (*LinkToken, error) {
	hash, ok := hashLinkToken(raw)
	if !ok {
		return nil, errLinkInvalid
	}
	t, err := q.UseLinkToken(ctx, hash, purpose, now)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	// Not usable: say why, from the row if there is one.
	t, err = q.LinkToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, errLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	if err := t.judge(purpose, now); err != nil {
		return nil, err
	}
	return nil, errLinkInvalid // live but taken by a racing use
}

// judge says why t cannot be used for purpose at now, or nil. A used
// token is invalid, not expired, and a token of another purpose is
// invalid whatever its age: only an unused link of the right kind past
// its lifetime earns the "ask for a new one" answer.
func (t *LinkToken) judge(purpose LinkPurpose, now time.Time) error {
	switch {
	case t.Purpose != purpose || t.UsedAt != nil:
		return errLinkInvalid
	case !now.Before(t.ExpiresAt):
		return errLinkExpired
	}
	return nil
}

// newLinkToken returns a random token for a link and the hash stored for it.
func newLinkToken() (raw, hash string, err error) {
	b := make([]byte, linkTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	raw = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256(b)
	return raw, hex.EncodeToString(sum[:]), nil
}

// hashLinkToken is the stored hash of a presented token; false for
// anything that cannot be one of ours (wrong length or alphabet), so that
// garbage never reaches the database.
func hashLinkToken(raw string) (string, bool) {
	// Strict: the last character's two spare bits must be zero, so that a
	// token has one spelling.
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	if err != nil || len(b) != linkTokenBytes {
		return "", false
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), true
}

var (
	errLinkInvalid = &Error{Code: CodeBadUserInput, Field: "token", Reason: ReasonTokenInvalid,
		Message: "this link is not valid (it may have been used already, or replaced by a newer one)"}
	errLinkExpired = &Error{Code: CodeBadUserInput, Field: "token", Reason: ReasonTokenExpired,
		Message: "this link has expired; ask for a new one"}
)
