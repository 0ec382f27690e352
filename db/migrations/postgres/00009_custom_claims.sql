-- +goose Up
-- An administrator's extra claims for a user's access tokens
-- (setUserClaims): a JSON object, issued under CLAIMS_NAMESPACE. Replicas
-- hear of a change, as the user they cache carries it.
ALTER TABLE users ADD COLUMN custom_claims TEXT;
DROP TRIGGER users_changed ON users;
CREATE TRIGGER users_changed AFTER UPDATE OF role, disabled_at, password_hash, email, email_verified_at, custom_claims ON users
    FOR EACH ROW EXECUTE FUNCTION gqlauth_notify_change();

-- +goose Down
DROP TRIGGER users_changed ON users;
CREATE TRIGGER users_changed AFTER UPDATE OF role, disabled_at, password_hash, email, email_verified_at ON users
    FOR EACH ROW EXECUTE FUNCTION gqlauth_notify_change();
ALTER TABLE users DROP COLUMN custom_claims;
