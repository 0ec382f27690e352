-- +goose Up
-- Mail waits here, written in the same transaction as the link token it
-- carries, until a sender delivers it: an SMTP outage delays mail but
-- never loses it. A sender claims a row by setting claimed_until (a lease:
-- a crashed sender's claim runs out and another sender takes the row).
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    to_addr         TEXT NOT NULL,
    template        TEXT NOT NULL,
    data            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMPTZ
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX mail_outbox_sent_at_idx ON mail_outbox (sent_at) WHERE sent_at IS NOT NULL;

-- +goose Down
DROP TABLE mail_outbox;
