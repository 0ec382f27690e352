package auth

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"time"
)

// EventRateLimited is audited on every refusal.
const EventRateLimited EventType = "rate_limited"

// RateLimits throttle credential mutations. A zero limit disables it.
type RateLimits struct {
	PerAccount int           // attempts per email or user in Window
	PerIP      int           // attempts per client IP in Window
	Window     time.Duration // fixed window; a blocked client waits for its end
	// IPv6Prefix is how many leading bits of an IPv6 address name one
	// client; 0 means DefaultIPv6Prefix.
	IPv6Prefix int
}

// DefaultIPv6Prefix counts an IPv6 client by its /64: a site or a single
// host is normally given at least a /64 (RFC 6177) and may pick any of its
// 2^64 addresses, so counting per address would not count it at all.
const DefaultIPv6Prefix = 64

// DefaultRateLimits: ten guesses per account per quarter hour stops online
// guessing; a hundred per IP leaves room for an office behind one NAT.
var DefaultRateLimits = RateLimits{PerAccount: 10, PerIP: 100, Window: 15 * time.Minute}

// RateLimitError is RATE_LIMITED with the seconds to wait.
func RateLimitError(retryAfter time.Duration) *Error {
	secs := int(math.Ceil(retryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &Error{Code: CodeRateLimited, Message: "too many attempts; try again later", RetryAfter: secs}
}

// throttleStore is what Throttle needs of the store.
type throttleStore interface {
	// ThrottleHits counts an attempt against each key in a fixed window,
	// atomically and in one round trip, and returns each key's count so
	// far and when its window ends.
	ThrottleHits(ctx context.Context, keys []string, window time.Duration, now time.Time) (map[string]ThrottleCount, error)
	// ThrottleCount reads key's count in its current window (0 if none).
	ThrottleCount(ctx context.Context, key string, now time.Time) (int, time.Time, error)
	// ThrottleReset forgets key.
	ThrottleReset(ctx context.Context, key string) error
}

// ThrottleCount is a counter's state: attempts in its window, and when the
// window ends.
type ThrottleCount struct {
	Count int
	Until time.Time
}

// ThrottleKey is one counter: an action and who it is counted against.
type ThrottleKey struct {
	key   string
	limit int
}

// Throttle counts attempts in the database, so that every replica and a
// restarted process see the same counts.
type Throttle struct {
	store  throttleStore
	limits RateLimits
	audit  *auditor
	log    *slog.Logger
	now    func() time.Time
}

// IP is the counter of action for the client's address.
func (t *Throttle) IP(ctx context.Context, action string) ThrottleKey {
	return ThrottleKey{key: action + ":ip:" + clientNetwork(RequestInfoFrom(ctx).IP, t.limits.IPv6Prefix), limit: t.limits.PerIP}
}

// clientNetwork is what the per-IP counter counts: an IPv4 address as it
// is, an IPv6 address as its network of prefix bits. Anything else (a
// peer that is not an IP, such as a Unix socket) is counted as given.
func clientNetwork(ip string, prefix int) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	if prefix <= 0 {
		prefix = DefaultIPv6Prefix
	}
	p, err := a.Prefix(prefix)
	if err != nil {
		return ip
	}
	return p.String()
}

// Account is the counter of action for one account (an email or a user id).
func (t *Throttle) Account(action, account string) ThrottleKey {
	return ThrottleKey{key: action + ":account:" + account, limit: t.limits.PerAccount}
}

// Take counts one attempt against every key, atomically per key, and
// refuses when any is over its limit. Counting before the work means that
// racing requests cannot all slip under the limit.
func (t *Throttle) Take(ctx context.Context, keys ...ThrottleKey) error {
	var counts map[string]ThrottleCount
	return t.judge(ctx, keys, func(k ThrottleKey, now time.Time) (bool, time.Time, error) {
		if counts == nil { // every enabled key at once, on the first
			var names []string
			for _, k := range keys {
				if k.limit > 0 {
					names = append(names, k.key)
				}
			}
			var err error
			if counts, err = t.store.ThrottleHits(ctx, names, t.limits.Window, now); err != nil {
				return false, time.Time{}, err
			}
		}
		c := counts[k.key]
		return c.Count > k.limit, c.Until, nil
	})
}

// Check refuses when any key is already at its limit, without counting:
// for actions where only failures count (see Fail).
func (t *Throttle) Check(ctx context.Context, keys ...ThrottleKey) error {
	return t.judge(ctx, keys, func(k ThrottleKey, now time.Time) (bool, time.Time, error) {
		n, until, err := t.store.ThrottleCount(ctx, k.key, now)
		return n >= k.limit, until, err
	})
}

// judge asks over of every enabled key and refuses with the longest wait.
func (t *Throttle) judge(ctx context.Context, keys []ThrottleKey, over func(ThrottleKey, time.Time) (bool, time.Time, error)) error {
	now := t.now().UTC()
	var wait time.Duration
	for _, k := range keys {
		if k.limit <= 0 {
			continue
		}
		refused, until, err := over(k, now)
		if err != nil {
			return Internal(err)
		}
		if refused && until.Sub(now) > wait {
			wait = until.Sub(now)
		}
	}
	if wait <= 0 {
		return nil
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	t.audit.record(ctx, EventRateLimited, PrincipalUserID(ctx), "", strings.Join(names, " "))
	return RateLimitError(wait)
}

// Fail counts a failed attempt. An error here must not change the answer,
// so it is logged.
func (t *Throttle) Fail(ctx context.Context, keys ...ThrottleKey) {
	for _, k := range keys {
		if k.limit <= 0 {
			continue
		}
		if _, err := t.store.ThrottleHits(ctx, []string{k.key}, t.limits.Window, t.now().UTC()); err != nil {
			t.log.ErrorContext(ctx, "throttle not counted", "err", err)
		}
	}
}

// Reset forgets an account's failures after it proved its password.
func (t *Throttle) Reset(ctx context.Context, k ThrottleKey) {
	if k.limit <= 0 {
		return
	}
	if err := t.store.ThrottleReset(ctx, k.key); err != nil {
		t.log.ErrorContext(ctx, "throttle not reset", "err", err)
	}
}

// ResetIn is Reset inside a use case's transaction, which it then shares:
// a login writes its session, its audit event and the reset in one
// commit.
func (t *Throttle) ResetIn(ctx context.Context, q Queries, k ThrottleKey) error {
	if k.limit <= 0 {
		return nil
	}
	return q.ThrottleReset(ctx, k.key)
}

// PrincipalUserID is the authenticated caller's id, or "".
func PrincipalUserID(ctx context.Context) string {
	if p := PrincipalFrom(ctx); p != nil {
		return p.User.ID
	}
	return ""
}
