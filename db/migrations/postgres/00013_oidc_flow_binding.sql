-- +goose Up
-- A flow begun in cookie mode is bound to the browser that began it: the
-- SHA-256 (hex) of a secret kept there in an HttpOnly cookie; '' for a flow
-- nothing binds (header mode, where the page checks its state itself).
ALTER TABLE oidc_flows ADD COLUMN binding_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oidc_flows DROP COLUMN binding_hash;
