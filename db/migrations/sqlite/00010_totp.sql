-- +goose Up
-- A second factor (TOTP, RFC 6238) with recovery codes. mfa_enabled_at is
-- on users because every guarded request reads the user (and the cache
-- keeps it): the admin step-up rule needs to know whether an ADMIN has a
-- factor without another query.
ALTER TABLE users ADD COLUMN mfa_enabled_at TIMESTAMP;

-- One authenticator per user: pending until confirmed with a code, when
-- users.mfa_enabled_at is set. secret_enc is AES-GCM sealed (never the
-- plain secret); last_step is the last accepted RFC 6238 time step, which
-- only moves forward, so a code is accepted once.
CREATE TABLE totp_factors (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_enc TEXT NOT NULL,
    last_step  INTEGER NOT NULL DEFAULT 0,
    -- Wrong codes since the last right one: at MaxTotpFailures the
    -- authenticator is refused until a recovery code or an admin resets it.
    failed_codes INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

-- Single-use recovery codes, stored as SHA-256 of the normalized code.
CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

-- The second step of a login: id is the SHA-256 of the mfaToken handed to
-- the client, which may complete one login within expires_at.
CREATE TABLE mfa_challenges (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at);

-- +goose Down
DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
DROP TABLE totp_factors;
ALTER TABLE users DROP COLUMN mfa_enabled_at;
