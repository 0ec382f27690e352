-- +goose Up
-- Public halves of the asymmetric keys tokens were signed with. A key stays
-- here after a rotation so that its tokens verify, and are published in
-- the JWKS, until the last of them expires. Private keys are never stored.
CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    alg        TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    retired_at TIMESTAMP
);
-- mySessions lists one user's active sessions, newest use first.
CREATE INDEX sessions_user_last_used_idx ON sessions (user_id, last_used_at);

-- +goose Down
DROP INDEX sessions_user_last_used_idx;
DROP TABLE signing_keys;
