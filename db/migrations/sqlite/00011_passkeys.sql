-- +goose Up
-- Passkeys (WebAuthn credentials): each user may register several. The
-- credential id and the COSE public key are kept base64url-encoded (the
-- same text in both dialects); sign_count is the authenticator's last
-- signature counter, which must only grow; flags is the authenticator
-- data's flags byte at registration (and last use): its backup-eligible
-- bit must never change.
CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id      TEXT NOT NULL UNIQUE,
    public_key         TEXT NOT NULL,
    sign_count         INTEGER NOT NULL DEFAULT 0,
    transports         TEXT NOT NULL DEFAULT '',
    aaguid             TEXT NOT NULL DEFAULT '',
    flags              INTEGER NOT NULL DEFAULT 0,
    attestation_type   TEXT NOT NULL DEFAULT '',
    attestation_format TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    last_used_at       TIMESTAMP
);
CREATE INDEX passkeys_user_id_idx ON passkeys (user_id);

-- The server side of a WebAuthn ceremony, so that any replica can finish
-- what another began: single use (used_at), five minutes (expires_at),
-- bound to a user (registration, or a login that named an address with
-- passkeys) or to no one (a discoverable login). state is the ceremony's
-- session data as JSON (the challenge, the allowed credentials).
CREATE TABLE passkey_challenges (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX passkey_challenges_expires_at_idx ON passkey_challenges (expires_at);

-- +goose Down
DROP TABLE passkey_challenges;
DROP TABLE passkeys;
