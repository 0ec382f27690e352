-- +goose Up
-- When the account proved it receives mail at its address (NULL: never).
-- Accounts that existed before start unverified.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;

-- Links mailed to verify an address, reset a password or change the
-- address. Only a SHA-256 of the random token is kept, so a copy of this
-- table does not hold working links. A token is bound to its purpose and
-- to the address it was mailed for (for an email change, the new one).
CREATE TABLE link_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX link_tokens_user_purpose_idx ON link_tokens (user_id, purpose);
CREATE INDEX link_tokens_expires_at_idx ON link_tokens (expires_at);

-- A mail the server refused for good (a permanent SMTP error) or that
-- outlived its links is given up rather than retried forever.
ALTER TABLE mail_outbox ADD COLUMN abandoned_at TIMESTAMP;

-- +goose Down
ALTER TABLE mail_outbox DROP COLUMN abandoned_at;
DROP TABLE link_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;
