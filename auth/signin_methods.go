package auth

import "context"

// countSignInMethods counts the ways u can sign in on its own: a password,
// each identity at a provider and, when passkeys are on (a relying party is
// configured), each passkey (a passkey login needs no password). Removing
// a credential (unlinkIdentity, deletePasskey) refuses to take the last
// one, so that no account is left that nobody can enter.
//
// This is the one place that knows every kind of sign-in: a new kind adds
// its count here, read through q inside the caller's transaction, so that
// two removals racing on one account cannot both see a method the other is
// taking (the caller holds the user's row lock: UserForUpdate).
func countSignInMethods(ctx context.Context, q Queries, u *User, passkeysOn bool) (int, error) {
	n := 0
	if u.HasPassword() {
		n++
	}
	ids, err := q.CountIdentities(ctx, u.ID)
	if err != nil {
		return 0, err
	}
	if !passkeysOn {
		return n + ids, nil
	}
	pks, err := q.CountPasskeys(ctx, u.ID)
	if err != nil {
		return 0, err
	}
	return n + ids + pks, nil
}

// errLastSignInMethod refuses to remove the account's last way in; field
// names the argument that chose it.
func errLastSignInMethod(field string) *Error {
	return &Error{Code: CodeBadUserInput, Field: field, Reason: ReasonLastSignInMethod,
		Message: "this is the last way to sign in to your account: set a password (requestPasswordReset mails a link), add a passkey or link a provider first"}
}
