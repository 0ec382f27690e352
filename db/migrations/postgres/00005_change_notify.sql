-- +goose Up
-- Every replica caches users, ended sessions and revoked tokens, and
-- LISTENs on gqlauth_changes. These triggers announce every change that
-- can make a cached entry wrong, however it is made (the service, the CLI,
-- an operator's SQL), and the indexes make the periodic resync, which
-- repairs anything a replica missed, a range scan.
-- +goose StatementBegin
CREATE FUNCTION gqlauth_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('gqlauth_changes', 'u:' || COALESCE(NEW.id, OLD.id));
    ELSIF TG_TABLE_NAME = 'sessions' THEN
        PERFORM pg_notify('gqlauth_changes', 's:' || OLD.id);
    ELSE
        PERFORM pg_notify('gqlauth_changes', 't:' || NEW.jti);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER users_changed AFTER UPDATE OF role, disabled_at, password_hash, email ON users
    FOR EACH ROW EXECUTE FUNCTION gqlauth_notify_change();
CREATE TRIGGER users_deleted AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gqlauth_notify_change();
CREATE TRIGGER sessions_ended AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION gqlauth_notify_change();
CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL) EXECUTE FUNCTION gqlauth_notify_change();
CREATE TRIGGER tokens_revoked AFTER INSERT ON revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION gqlauth_notify_change();

CREATE INDEX users_updated_at_idx ON users (updated_at);
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX revoked_tokens_revoked_at_idx ON revoked_tokens (revoked_at);

-- +goose Down
DROP INDEX revoked_tokens_revoked_at_idx;
DROP INDEX sessions_revoked_at_idx;
DROP INDEX users_updated_at_idx;
DROP TRIGGER tokens_revoked ON revoked_tokens;
DROP TRIGGER sessions_deleted ON sessions;
DROP TRIGGER sessions_ended ON sessions;
DROP TRIGGER users_deleted ON users;
DROP TRIGGER users_changed ON users;
DROP FUNCTION gqlauth_notify_change();
