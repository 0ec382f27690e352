-- +goose Up
-- An administrator's extra claims for a user's access tokens
-- (setUserClaims): a JSON object, issued under CLAIMS_NAMESPACE.
ALTER TABLE users ADD COLUMN custom_claims TEXT;

-- +goose Down
ALTER TABLE users DROP COLUMN custom_claims;
