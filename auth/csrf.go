package auth

import "crypto/subtle"

// CheckCSRF compares the double-submitted value with the token's csrf
// claim in constant time. A token without the claim was not issued for
// cookies and is refused from one.
func CheckCSRF(claims *Claims, sent string) error {
	if claims.CSRF == "" || sent == "" || subtle.ConstantTimeCompare([]byte(claims.CSRF), []byte(sent)) != 1 {
		return Unauthenticated(ReasonCSRFFailed)
	}
	return nil
}
