package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// maxEmailLen is RFC 5321's limit on a forward path.
const maxEmailLen = 254

// invisible are the characters refused anywhere in an email: controls
// (Cc), format characters (Cf: zero-width space and joiners, the soft
// hyphen, bidi controls, the BOM, tag characters), private use and
// surrogates, separators, and the rest of the default-ignorable and
// variation-selector code points. Each of them leaves an address looking
// the same while making it another string, which is how a second account
// would hide beside the first.
var invisible = []*unicode.RangeTable{
	unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Z,
	unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector,
}

// emailDomain is UTS #46 for lookup: it maps case and width (fullwidth
// letters, compatibility forms), checks the labels and the bidi rule, and
// gives the ASCII (punycode) form, so that a Unicode domain and its
// punycode are one domain.
var emailDomain = idna.Lookup

// NormalizeEmail returns the one canonical form of an address, the form
// that is stored and compared, so that one mailbox is one account:
//   - surrounding white space is trimmed; invalid UTF-8 and invisible
//     characters (see invisible) are refused, never stripped (stripping
//     would let "a\u200b@x" log in as "a@x" without anyone seeing why);
//   - the local part is NFKC-normalised and lower-cased: NFKC rather than
//     NFC because fullwidth and other compatibility forms of a letter look
//     like it and would otherwise be a second account; composed and
//     decomposed accents become one;
//   - the domain is mapped by IDNA (UTS #46) to its ASCII form.
//
// field names the input for the error.
func NormalizeEmail(field, email string) (string, error) {
	e := strings.TrimSpace(email)
	if e == "" {
		return "", BadInput(field, "email is required")
	}
	if len(e) > 4*maxEmailLen {
		return "", BadInput(field, "email must be at most %d characters", maxEmailLen)
	}
	if !utf8.ValidString(e) {
		return "", BadInput(field, "email must be valid UTF-8")
	}
	for _, r := range e {
		if unicode.IsOneOf(invisible, r) {
			return "", BadInput(field, "email must not contain invisible, control or format characters (U+%04X)", r)
		}
	}
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at == len(e)-1 {
		return "", BadInput(field, "email is not a valid address")
	}
	local := strings.ToLower(norm.NFKC.String(e[:at]))
	local = norm.NFKC.String(local) // lower-casing can leave a non-normal string
	domain, err := emailDomain.ToASCII(e[at+1:])
	if err != nil {
		return "", BadInput(field, "email has an invalid domain")
	}
	e = local + "@" + strings.ToLower(domain)
	if len(e) > maxEmailLen {
		return "", BadInput(field, "email must be at most %d characters", maxEmailLen)
	}
	addr, err := mail.ParseAddress(e)
	// ParseAddress also accepts "Name <a@b>"; only a bare address will do.
	if err != nil || addr.Address != e || addr.Name != "" {
		return "", BadInput(field, "email is not a valid address")
	}
	if !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") || strings.HasSuffix(e, ".") {
		return "", BadInput(field, "email is not a valid address")
	}
	return e, nil
}

// emailSearch folds a search for part of an email as NormalizeEmail folds
// the local part, so that a fullwidth or decomposed search finds what is
// stored. (A domain is stored in punycode and is found by that form.)
func emailSearch(s string) string {
	return norm.NFKC.String(strings.ToLower(norm.NFKC.String(strings.TrimSpace(s))))
}
