// gqlauth's asymmetric tokens checked by `jose`, as a resource server that
// knows nothing but the JWKS URL would check them: for each algorithm,
// across a key rotation, and against tampering.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';

import { gqlData, login, register } from './lib/gql.mjs';
import { generateKey, startServer, tempDir } from './lib/server.mjs';

const password = 'correct horse battery';

/** jose's verifier for srv: the JWKS URL is all it is told. */
const verifierFor = (srv) => createRemoteJWKSet(new URL(`${srv.url}.well-known/jwks.json`));

const verify = (token, jwks, alg) =>
  jwtVerify(token, jwks, { issuer: 'gqlauth', audience: 'gqlauth', algorithms: [alg] });

/** token with its payload replaced by f(payload), the signature kept. */
function tamper(token, f) {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  return [header, Buffer.from(JSON.stringify(f(claims))).toString('base64url'), signature].join('.');
}

describe('jose verifies gqlauth tokens from the JWKS', () => {
  for (const alg of ['EdDSA', 'ES256', 'RS256']) {
    test(alg, async () => {
      const srv = await startServer({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY_FILE: await generateKey(alg) });
      try {
        const p = await register(srv.graphqlURL, `jose-${alg.toLowerCase()}@example.com`, password);
        const { payload, protectedHeader } = await verify(p.accessToken, verifierFor(srv), alg);
        assert.equal(protectedHeader.alg, alg);
        assert.ok(protectedHeader.kid, 'no kid in the header');
        assert.equal(payload.sub, p.user.id);
        assert.equal(payload.iss, 'gqlauth');
        assert.deepEqual([payload.aud].flat(), ['gqlauth']);
        assert.equal(payload.type, 'access');
        assert.equal(payload.role, 'USER');
        assert.ok(payload.exp > Date.now() / 1000, 'already expired');

        // The refresh token is signed by the same key (a verifier must
        // check `type` to tell them apart).
        const r = await verify(p.refreshToken, verifierFor(srv), alg);
        assert.equal(r.payload.type, 'refresh');

        // Another algorithm than the key's is refused by jose's allow-list.
        const other = alg === 'EdDSA' ? 'ES256' : 'EdDSA';
        await assert.rejects(verify(p.accessToken, verifierFor(srv), other), errors.JOSEAlgNotAllowed);
      } finally {
        await srv.stop();
      }
    });
  }

  test('after a key rotation, old tokens verify against the new JWKS; tampered ones do not', async () => {
    // Both servers share one database, where the old public key is kept.
    const dbURL = `sqlite:${join(tempDir('rotation'), 'gqlauth.db')}`;

    const first = await startServer({ DATABASE_URL: dbURL, JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: await generateKey('ES256') });
    let old;
    try {
      old = await register(first.graphqlURL, 'rotate@example.com', password);
      await verify(old.accessToken, verifierFor(first), 'ES256');
    } finally {
      await first.stop();
    }
    const oldKid = decodeProtectedHeader(old.accessToken).kid;

    const second = await startServer({ DATABASE_URL: dbURL, JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY_FILE: await generateKey('EdDSA') });
    try {
      const jwks = verifierFor(second);
      const { payload } = await verify(old.accessToken, jwks, 'ES256');
      assert.equal(payload.sub, old.user.id);

      const fresh = await register(second.graphqlURL, 'rotate-2@example.com', password);
      const newKid = decodeProtectedHeader(fresh.accessToken).kid;
      assert.notEqual(newKid, oldKid);
      await verify(fresh.accessToken, jwks, 'EdDSA');

      const set = await (await fetch(`${second.url}.well-known/jwks.json`)).json();
      assert.deepEqual(set.keys.map((k) => k.kid), [newKid, oldKid], 'the JWKS should list the new key, then the old');

      // A changed claim under the old signature.
      const promoted = tamper(old.accessToken, (c) => ({ ...c, role: 'ADMIN' }));
      await assert.rejects(verify(promoted, jwks, 'ES256'), errors.JWSSignatureVerificationFailed);
      // A changed signature.
      const [h, b, s] = old.accessToken.split('.');
      const flipped = Buffer.from(s, 'base64url');
      flipped[0] ^= 1;
      await assert.rejects(verify([h, b, flipped.toString('base64url')].join('.'), jwks, 'ES256'),
        errors.JWSSignatureVerificationFailed);
      // A kid the JWKS does not have.
      const unknownKid = Buffer.from(JSON.stringify({ ...decodeProtectedHeader(old.accessToken), kid: 'no-such-key' })).toString('base64url');
      await assert.rejects(verify([unknownKid, b, s].join('.'), jwks, 'ES256'), errors.JWKSNoMatchingKey);
    } finally {
      await second.stop();
    }
  });

  test('claims an app shapes (CLAIMS_TEMPLATE, setUserClaims) and the scope verify and read back', async () => {
    const srv = await startServer({
      JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY_FILE: await generateKey('EdDSA'),
      CLAIMS_TEMPLATE: JSON.stringify({ 'https://hasura.io/jwt/claims': {
        'x-hasura-user-id': '{{.ID}}', 'x-hasura-default-role': '{{.Role | lower}}', 'x-hasura-allowed-roles': ['user'] } }),
    });
    try {
      const p = await register(srv.graphqlURL, 'claims@example.com', password);
      const jwks = verifierFor(srv);
      let { payload } = await verify(p.accessToken, jwks, 'EdDSA');
      assert.deepEqual(payload['https://hasura.io/jwt/claims'],
        { 'x-hasura-user-id': p.user.id, 'x-hasura-default-role': 'user', 'x-hasura-allowed-roles': ['user'] });
      assert.equal(payload.scope, 'user:read user:write');
      assert.equal(payload.app_metadata, undefined);

      await srv.cli('user', 'create', '--email', 'claims-admin@example.com', '--role', 'ADMIN', { stdin: `${password}\n` });
      const admin = await login(srv.graphqlURL, 'claims-admin@example.com', password);
      await gqlData(srv.graphqlURL, 'mutation($id: ID!, $c: JSON) { setUserClaims(userId: $id, claims: $c) { id } }',
        { token: admin.accessToken, variables: { id: p.user.id, c: { plan: 'pro', sub: 'not-a-subject' } } });
      const refreshed = (await gqlData(srv.graphqlURL, 'mutation($r: String) { refresh(refreshToken: $r) { accessToken } }',
        { variables: { r: p.refreshToken } })).refresh;
      ({ payload } = await verify(refreshed.accessToken, jwks, 'EdDSA'));
      assert.deepEqual(payload.app_metadata, { plan: 'pro', sub: 'not-a-subject' });
      assert.equal(payload.sub, p.user.id, 'a custom claim reached a reserved one');
      assert.equal(payload.role, 'USER');
    } finally {
      await srv.stop();
    }
  });

  test('HS256 publishes no keys', async () => {
    const srv = await startServer();
    try {
      const p = await register(srv.graphqlURL, 'hs256@example.com', password);
      assert.equal(decodeProtectedHeader(p.accessToken).alg, 'HS256');
      const res = await fetch(`${srv.url}.well-known/jwks.json`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { keys: [] });
      // So jose, given only the JWKS, cannot verify the token.
      await assert.rejects(verify(p.accessToken, verifierFor(srv), 'HS256'));
    } finally {
      await srv.stop();
    }
  });
});
