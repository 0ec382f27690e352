package auth

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Page sizes of the admin lists.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

func pageSize(first int) (int, error) {
	switch {
	case first == 0:
		return DefaultPageSize, nil
	case first < 0 || first > MaxPageSize:
		return 0, BadInput("first", "first must be between 1 and %d", MaxPageSize)
	}
	return first, nil
}

// UserCursor is the cursor that pages past u.
func UserCursor(u *User) string {
	return encodeCursor("u", u.CreatedAt.Format(time.RFC3339Nano), u.ID)
}

// AuditCursor is the cursor that pages past e.
func AuditCursor(e *AuditEvent) string {
	return encodeCursor("a", strconv.FormatInt(e.ID, 10))
}

// Cursors are opaque to clients: a kind letter and fields, base64url.
func encodeCursor(kind string, fields ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + strings.Join(fields, "|")))
}

var errBadCursor = BadInput("after", "invalid cursor")

func decodeCursor(kind, c string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, errBadCursor
	}
	// A cursor is opaque but forgeable: what it decodes to goes to the
	// database, which refuses NUL bytes and invalid UTF-8 (PostgreSQL),
	// so such a cursor is the client's error, not an internal one.
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return nil, errBadCursor
	}
	rest, ok := strings.CutPrefix(string(b), kind+":")
	parts := strings.Split(rest, "|")
	if !ok || len(parts) != n {
		return nil, errBadCursor
	}
	return parts, nil
}

func decodeUserCursor(c string) (time.Time, string, error) {
	parts, err := decodeCursor("u", c, 2)
	if err != nil {
		return time.Time{}, "", err
	}
	t, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil || parts[1] == "" {
		return time.Time{}, "", errBadCursor
	}
	return t, parts[1], nil
}

func decodeAuditCursor(c string) (int64, error) {
	parts, err := decodeCursor("a", c, 1)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadCursor
	}
	return id, nil
}
