package auth

import (
	"context"
	"log/slog"
	"time"
)

// auditStore is what the auditor needs of the store outside transactions.
type auditStore interface {
	AddAuditEvent(ctx context.Context, e *AuditEvent) error
}

// auditor builds audit events and records those that happen outside a
// transaction; inside one, the use case writes event() with its changes.
type auditor struct {
	store   auditStore
	log     *slog.Logger
	now     func() time.Time
	onEvent func(EventType)
}

// event describes something that happened on the request in ctx.
func (a *auditor) event(ctx context.Context, typ EventType, userID, email, detail string) *AuditEvent {
	if a.onEvent != nil {
		a.onEvent(typ)
	}
	ri := RequestInfoFrom(ctx)
	e := &AuditEvent{At: a.now().UTC(), Type: typ, Email: email, IP: ri.IP, UserAgent: ri.UserAgent, Detail: detail}
	if userID != "" {
		e.UserID = &userID
	}
	return e
}

// record writes an event outside any transaction. A failure to audit a
// failed login must not turn it into a different answer, so it is logged.
func (a *auditor) record(ctx context.Context, typ EventType, userID, email, detail string) {
	if err := a.store.AddAuditEvent(ctx, a.event(ctx, typ, userID, email, detail)); err != nil {
		a.log.ErrorContext(ctx, "audit event not recorded", "type", typ, "err", err)
	}
}
