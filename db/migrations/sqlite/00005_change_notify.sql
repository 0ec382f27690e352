-- +goose Up
-- The server caches users, ended sessions and revoked tokens. It updates
-- its cache on its own writes; these indexes make the periodic resync,
-- which picks up changes made by another process (the CLI), a range scan.
CREATE INDEX users_updated_at_idx ON users (updated_at);
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX revoked_tokens_revoked_at_idx ON revoked_tokens (revoked_at);

-- +goose Down
DROP INDEX revoked_tokens_revoked_at_idx;
DROP INDEX sessions_revoked_at_idx;
DROP INDEX users_updated_at_idx;
