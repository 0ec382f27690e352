package auth

import (
	"testing"
	"time"
)

// TestNormalizeEmailFoldsLookAlikes: every form of one mailbox has one
// canonical form; invisible characters are refused, not stripped.
func TestNormalizeEmailFoldsLookAlikes(t *testing.T) {
	same := map[string][]string{
		"alice@example.com":          {"ALICE@example.com", "\uff41lice@example.com", "alice@\uff25XAMPLE.com", "alice@example\u3002com"},
		"jos\u00e9@xn--bcher-kva.de": {"jose\u0301@b\u00fccher.de", "JOS\u00c9@B\u00dcCHER.DE", "jos\u00e9@xn--bcher-kva.de", "jos\u00e9@XN--BCHER-KVA.DE"},
	}
	for want, forms := range same {
		for _, in := range forms {
			if got, err := NormalizeEmail("email", in); err != nil || got != want {
				t.Errorf("NormalizeEmail(%+q) = %+q, %v; want %+q", in, got, err, want)
			}
		}
	}
	for _, in := range []string{"a\u200bb@example.com", "a\u00adb@example.com", "a\u202eb@example.com", "a\u2067b@example.com",
		"a\x00b@example.com", "a\x7fb@example.com", "a\ue000b@example.com", "a\u2028b@example.com", "a\xffb@example.com",
		"ab@exa\u200cmple.com", "ab@xn--a.com"} {
		if _, err := NormalizeEmail("input.email", in); ErrorCode(err) != CodeBadUserInput {
			t.Errorf("NormalizeEmail(%+q) = %v; want BAD_USER_INPUT", in, err)
		}
	}
}

// TestCheckEmails: look-alike rows are grouped oldest first, a lone
// non-canonical row is a rewrite, an invalid row is reported alone.
func TestCheckEmails(t *testing.T) {
	t0 := time.Unix(0, 0)
	r := CheckEmails([]UserEmail{
		{ID: "new", Email: "\uff41@example.com", CreatedAt: t0.Add(time.Hour)},
		{ID: "old", Email: "a@example.com", CreatedAt: t0},
		{ID: "idn", Email: "b@b\u00fccher.de", CreatedAt: t0},
		{ID: "ok", Email: "c@example.com", CreatedAt: t0},
		{ID: "bad", Email: "d\u200b@example.com", CreatedAt: t0},
	})
	if len(r.Collisions) != 1 || r.Collisions[0].Users[0].ID != "old" || r.Collisions[0].Users[1].ID != "new" {
		t.Errorf("collisions = %+v", r.Collisions)
	}
	if len(r.Rewrites) != 1 || r.Rewrites[0] != (EmailRewrite{ID: "idn", From: "b@b\u00fccher.de", To: "b@xn--bcher-kva.de"}) {
		t.Errorf("rewrites = %+v", r.Rewrites)
	}
	if len(r.Invalid) != 1 || r.Invalid[0].ID != "bad" || !r.NeedsReview() {
		t.Errorf("invalid = %+v", r.Invalid)
	}
}
