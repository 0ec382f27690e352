package auth

import (
	"encoding/json"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// UnmarshalJSON decodes claims strictly: RFC 7519 §2 makes exp, nbf and
// iat JSON numbers, but golang-jwt's NumericDate decodes through
// json.Number, which also takes a quoted string ("exp":"9999999999").
// Accepting that would let a token mean one thing here and another to a
// stricter verifier, so a numeric claim that is not a number is an error.
func (c *Claims) UnmarshalJSON(b []byte) error {
	type plain Claims // without this method, so no recursion
	// The outer fields are shallower than RegisteredClaims' own, so they
	// take exp, nbf and iat; everything else lands in plain.
	var v struct {
		*plain
		Exp json.RawMessage `json:"exp"`
		Nbf json.RawMessage `json:"nbf"`
		Iat json.RawMessage `json:"iat"`
	}
	v.plain = (*plain)(c)
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var err error
	if c.ExpiresAt, err = numericDate("exp", v.Exp); err != nil {
		return err
	}
	if c.NotBefore, err = numericDate("nbf", v.Nbf); err != nil {
		return err
	}
	c.IssuedAt, err = numericDate("iat", v.Iat)
	return err
}

// MarshalJSON writes the claims and then the Extra ones. Extra never holds
// a claim of the struct (ClaimShaper refuses reserved names), so no name
// appears twice.
func (c Claims) MarshalJSON() ([]byte, error) {
	type plain Claims // without this method, so no recursion
	b, err := json.Marshal(plain(c))
	if err != nil || len(c.Extra) == 0 {
		return b, err
	}
	extra, err := json.Marshal(c.Extra)
	if err != nil {
		return nil, err
	}
	// {"iss":…} + {"x":…} = {"iss":…,"x":…}
	return append(append(b[:len(b)-1], ','), extra[1:]...), nil
}

// numericDate decodes one NumericDate claim that must be a JSON number;
// absent or null is nil, left for the required-claim checks to refuse.
func numericDate(name string, raw json.RawMessage) (*jwt.NumericDate, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if ch := raw[0]; ch != '-' && (ch < '0' || ch > '9') {
		return nil, fmt.Errorf("claim %s is not a JSON number", name)
	}
	d := new(jwt.NumericDate)
	if err := d.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("claim %s: %w", name, err)
	}
	return d, nil
}
