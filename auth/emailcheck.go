package auth

import (
	"slices"
	"strings"
	"time"
)

// UserEmail is an account's stored email, as the collision check reads it.
type UserEmail struct {
	ID        string    `db:"id"`
	Email     string    `db:"email"`
	CreatedAt time.Time `db:"created_at"`
}

// EmailRewrite is a stored email that is not in its canonical form and
// may take it, since no other account's email has the same form.
type EmailRewrite struct {
	ID, From, To string
}

// EmailCollision is one mailbox held by several accounts: emails stored
// before NormalizeEmail folded look-alikes (or written meanwhile by an
// older replica). Oldest account first.
type EmailCollision struct {
	Canonical string
	Users     []UserEmail
}

// EmailReport is what CheckEmails found.
type EmailReport struct {
	Rewrites   []EmailRewrite
	Collisions []EmailCollision
	// Invalid are stored emails that NormalizeEmail now refuses (they hold
	// an invisible character, say): nobody can log in with them.
	Invalid []UserEmail
}

// NeedsReview says whether an operator has to decide something: the check
// merges nothing and deletes nothing on its own.
func (r *EmailReport) NeedsReview() bool { return len(r.Collisions) > 0 || len(r.Invalid) > 0 }

// CheckEmails groups stored emails by their canonical form. A group of one
// whose email is not canonical is a rewrite; a group of several is a
// collision, left as it is for an operator, because merging accounts
// would hand one person's sessions and role to another.
func CheckEmails(users []UserEmail) *EmailReport {
	r := &EmailReport{}
	groups := map[string][]UserEmail{}
	var order []string
	for _, u := range users {
		c, err := NormalizeEmail("email", u.Email)
		if err != nil {
			r.Invalid = append(r.Invalid, u)
			continue
		}
		if _, ok := groups[c]; !ok {
			order = append(order, c)
		}
		groups[c] = append(groups[c], u)
	}
	// The unique index is on lower(email): a rewrite must not land on a
	// value another row (even an invalid one) already holds.
	held := map[string]UserEmail{}
	for _, u := range users {
		held[strings.ToLower(u.Email)] = u
	}
	for _, c := range order {
		g := groups[c]
		if len(g) == 1 {
			u := g[0]
			if u.Email == c {
				continue
			}
			if other, ok := held[c]; !ok || other.ID == u.ID {
				r.Rewrites = append(r.Rewrites, EmailRewrite{ID: u.ID, From: u.Email, To: c})
				continue
			}
			g = append(g, held[c])
		}
		slices.SortFunc(g, func(a, b UserEmail) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		r.Collisions = append(r.Collisions, EmailCollision{Canonical: c, Users: g})
	}
	return r
}
