package auth

import "context"

// countSignInMethods counts the ways u can sign in on its own: a password,
// and each identity at a provider. Removing a credential (unlinkIdentity
// today) refuses to take the last one, so that no account is left that
// nobody can enter.
//
// This is the one place that knows every kind of sign-in: a new kind (the
// passkeys of issue 15) adds its count here, read through q inside the
// caller's transaction, so that two removals racing on one account cannot
// both see a method the other is taking (the caller holds the user's row
// lock: UserForUpdate).
func countSignInMethods(ctx context.Context, q Queries, u *User) (int, error) {
	n := 0
	if u.HasPassword() {
		n++
	}
	ids, err := q.CountIdentities(ctx, u.ID)
	if err != nil {
		return 0, err
	}
	return n + ids, nil
}
