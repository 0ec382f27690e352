-- +goose Up
-- Rate-limit counters live in the database so that limits hold across
-- replicas and restarts. One fixed window per key.
CREATE TABLE throttles (
    key          TEXT PRIMARY KEY,
    count        INTEGER NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX throttles_expires_at_idx ON throttles (expires_at);

-- +goose Down
DROP TABLE throttles;
