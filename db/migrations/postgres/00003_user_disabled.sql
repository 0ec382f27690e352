-- +goose Up
-- A disabled account cannot log in or refresh; its sessions are ended when
-- it is disabled. NULL means enabled.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMPTZ;
-- Keyset pagination of the admin user list.
CREATE INDEX users_created_at_id_idx ON users (created_at, id);

-- +goose Down
DROP INDEX users_created_at_id_idx;
ALTER TABLE users DROP COLUMN disabled_at;
