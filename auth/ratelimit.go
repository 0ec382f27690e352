package auth

import (
	"context"
	"math"
	"net/netip"
	"time"
)

// CodeRateLimited is returned over a limit, with extensions.retryAfter.
const CodeRateLimited Code = "RATE_LIMITED"

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

// throttleKey is one counter: an action and who it is counted against.
type throttleKey struct {
	key   string
	limit int
}

func (s *Service) ipKey(ctx context.Context, action string) throttleKey {
	return throttleKey{key: action + ":ip:" + clientNetwork(RequestInfoFrom(ctx).IP, s.limits.IPv6Prefix), limit: s.limits.PerIP}
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

func (s *Service) accountKey(action, account string) throttleKey {
	return throttleKey{key: action + ":account:" + account, limit: s.limits.PerAccount}
}

// take counts one attempt against every key, atomically per key, and
// refuses when any is over its limit. Counting before the work means that
// racing requests cannot all slip under the limit.
func (s *Service) take(ctx context.Context, keys ...throttleKey) error {
	now := s.now().UTC()
	var wait time.Duration
	for _, k := range keys {
		if k.limit <= 0 {
			continue
		}
		n, until, err := s.store.ThrottleHit(ctx, k.key, s.limits.Window, now)
		if err != nil {
			return Internal(err)
		}
		if n > k.limit && until.Sub(now) > wait {
			wait = until.Sub(now)
		}
	}
	if wait > 0 {
		return s.refuse(ctx, keys, wait)
	}
	return nil
}

// check refuses when any key is already over its limit, without counting;
// failures are counted afterwards with fail.
func (s *Service) check(ctx context.Context, keys ...throttleKey) error {
	now := s.now().UTC()
	var wait time.Duration
	for _, k := range keys {
		if k.limit <= 0 {
			continue
		}
		n, until, err := s.store.ThrottleCount(ctx, k.key, now)
		if err != nil {
			return Internal(err)
		}
		if n >= k.limit && until.Sub(now) > wait {
			wait = until.Sub(now)
		}
	}
	if wait > 0 {
		return s.refuse(ctx, keys, wait)
	}
	return nil
}

// fail counts a failed attempt; an error here must not change the answer.
func (s *Service) fail(ctx context.Context, keys ...throttleKey) {
	for _, k := range keys {
		if k.limit <= 0 {
			continue
		}
		if _, _, err := s.store.ThrottleHit(ctx, k.key, s.limits.Window, s.now().UTC()); err != nil {
			s.log.ErrorContext(ctx, "throttle not counted", "err", err)
		}
	}
}

// reset forgets an account's failures after it proved its password.
func (s *Service) reset(ctx context.Context, k throttleKey) {
	if k.limit <= 0 {
		return
	}
	if err := s.store.ThrottleReset(ctx, k.key); err != nil {
		s.log.ErrorContext(ctx, "throttle not reset", "err", err)
	}
}

func (s *Service) refuse(ctx context.Context, keys []throttleKey, wait time.Duration) error {
	names := ""
	for i, k := range keys {
		if i > 0 {
			names += " "
		}
		names += k.key
	}
	s.audit(ctx, EventRateLimited, PrincipalUserID(ctx), "", names)
	return RateLimitError(wait)
}

// PrincipalUserID is the authenticated caller's id, or "".
func PrincipalUserID(ctx context.Context) string {
	if p := PrincipalFrom(ctx); p != nil {
		return p.User.ID
	}
	return ""
}
