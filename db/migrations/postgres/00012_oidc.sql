-- +goose Up
-- Sign-in with OpenID Connect providers. An identity is one account at one
-- provider (its issuer's subject), linked to one user; a user has at most
-- one identity per provider, so that unlinkIdentity(provider) names it.
-- email is what the provider said when the identity was linked (shown to
-- the user; never used to find the account again: the subject is).
CREATE TABLE user_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE UNIQUE INDEX user_identities_user_provider_key ON user_identities (user_id, provider);

-- An authorization-code flow between beginOidc* and finishOidc*: id is the
-- SHA-256 of the state handed to the browser (a copy of this table holds no
-- usable state). The flow is bound to its provider, its redirect URI and,
-- for a link, the user who began it; it is used once (used_at) within
-- expires_at. nonce and code_verifier (PKCE) never leave the server but in
-- the authorization request (the nonce) and the token request (the verifier).
CREATE TABLE oidc_flows (
    id            TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ
);
CREATE INDEX oidc_flows_expires_at_idx ON oidc_flows (expires_at);

-- How the first step of a login waiting for its second factor was proved
-- (RFC 8176 amr: pwd, or ext for a provider), so that the session's
-- tokens say so once the code is shown.
ALTER TABLE mfa_challenges ADD COLUMN method TEXT NOT NULL DEFAULT 'pwd';

-- +goose Down
ALTER TABLE mfa_challenges DROP COLUMN method;
DROP TABLE oidc_flows;
DROP TABLE user_identities;
