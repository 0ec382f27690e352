// The introspection queries that real tools send, through the real server
// with its default limits: graphql-js's getIntrospectionQuery() (15
// selection sets deep; QUERY_MAX_DEPTH defaults to 12), GraphiQL's, and
// every option on as graphql-codegen can ask. Also checks that the copies
// in testdata/introspection/ (which the Go tests send) are still what the
// installed graphql package writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { buildClientSchema } from 'graphql';

import { gql } from './lib/gql.mjs';
import { introspectionDir, introspectionQueries } from './lib/introspection.mjs';
import { startServer } from './lib/server.mjs';

describe('introspection', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  for (const [name, query] of Object.entries(introspectionQueries)) {
    test(`${name}: the schema loads with the default limits`, async () => {
      const r = await gql(srv.graphqlURL, query);
      assert.deepEqual(r.errors, undefined);
      const schema = buildClientSchema(r.data);
      assert.ok(schema.getQueryType().getFields().me, 'no Query.me');
    });

    test(`${name}: testdata/introspection is current`, () => {
      const file = join(introspectionDir, `${name}.graphql`);
      assert.equal(readFileSync(file, 'utf8'), query,
        `${file} is stale: run \`node e2e/lib/introspection.mjs --write\``);
    });
  }
});
