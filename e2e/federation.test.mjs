// gqlauth as an Apollo Federation v2 subgraph, checked with Apollo's own
// tools: composition with a second subgraph, and a gateway that forwards the
// caller's Authorization header to both.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { composeServices } from '@apollo/composition';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Kind, parse } from 'graphql';

import { errorCodes, gql, gqlData, login, register } from './lib/gql.mjs';
import { startServer } from './lib/server.mjs';

// A "reviews" subgraph that extends gqlauth's User entity. Its answers are
// a function of the user id alone, and it trusts no one: it neither needs
// nor checks a token.
// With edge false it leaves out @requiresScopes, as @apollo/gateway (unlike
// Apollo Router) refuses a supergraph that uses it.
const reviewsTypeDefsFor = ({ edge }) => parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"${edge ? ', "@requiresScopes"' : ''}])

  type Query {
    "The newest review by authorId: lets the gateway ask gqlauth for an author."
    latestReview(authorId: ID!): Review
    "Reviews waiting for a moderator: a router admits only tokens with the admin scope."
    moderationQueue: [Review!]! ${edge ? '@requiresScopes(scopes: [["admin"]])' : ''}
  }

  type User @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }

  type Review {
    body: String!
    author: User!
  }
`);

const reviewsOf = (id) => [1, 2].map((n) => ({ body: `review ${n} by ${id}`, author: { id } }));

const reviewsResolvers = {
  Query: {
    latestReview: (_, { authorId }) => reviewsOf(authorId).at(-1),
    moderationQueue: () => reviewsOf('queue'),
  },
  User: {
    __resolveReference: (ref) => ({ id: ref.id }),
    reviews: (user) => reviewsOf(user.id),
  },
};

const reviewsTypeDefs = reviewsTypeDefsFor({ edge: true });

async function startReviews({ edge = true } = {}) {
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: reviewsTypeDefsFor({ edge }), resolvers: reviewsResolvers }),
    includeStacktraceInErrorResponses: false,
  });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, stop: () => server.stop() };
}

// A gateway over both subgraphs that passes the caller's Authorization
// header on to every subgraph request, as Apollo Router's
// `headers: all: request: - propagate: named: authorization` does.
async function startGateway(subgraphs) {
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs }),
    buildService: ({ url }) => new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http.headers.set('authorization', context.authorization);
      },
    }),
  });
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return { url, stop: () => server.stop() };
}

/**
 * The scope requirements a router enforces, read from a supergraph: for
 * each Type.field, @requiresScopes' alternatives (any one of them, each a
 * list of scopes all needed), or 'authenticated' for @authenticated.
 */
function securityOf(sdl) {
  const out = {};
  for (const def of parse(sdl).definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    for (const f of def.fields ?? []) {
      for (const d of f.directives ?? []) {
        const key = `${def.name.value}.${f.name.value}`;
        if (d.name.value === 'authenticated') out[key] ??= 'authenticated';
        if (d.name.value === 'requiresScopes') {
          const arg = d.arguments.find((a) => a.name.value === 'scopes');
          out[key] = arg.value.values.map((alt) => alt.values.map((v) => v.value));
        }
      }
    }
  }
  return out;
}

/** Whether a token's scope claim satisfies a requirement, as a router decides. */
function admits(scopeClaim, requirement) {
  if (requirement === 'authenticated') return true;
  const have = new Set((scopeClaim ?? '').split(' ').filter(Boolean));
  return requirement.some((all) => all.every((s) => have.has(s)));
}

const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

function fieldsOf(sdl, typeName) {
  const def = parse(sdl).definitions.find((d) => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === typeName);
  assert.ok(def, `${typeName} missing from the supergraph`);
  return def.fields.map((f) => f.name.value);
}

describe('Apollo Federation', () => {
  let auth;
  let reviews;

  before(async () => {
    // As in production: introspection off; _service still answers.
    auth = await startServer({ INTROSPECTION: 'false' });
    reviews = await startReviews();
  });
  after(async () => {
    await reviews?.stop();
    await auth?.stop();
  });

  test('introspection is off, _service { sdl } is not', async () => {
    const r = await gql(auth.graphqlURL, '{ __schema { queryType { name } } }');
    assert.ok(r.errors?.length, 'introspection answered');
    const { _service } = await gqlData(auth.graphqlURL, '{ _service { sdl } }');
    assert.match(_service.sdl, /type User @key\(fields: "id"\)/);
  });

  test('composeServices composes gqlauth with a reviews subgraph', async () => {
    const { _service } = await gqlData(auth.graphqlURL, '{ _service { sdl } }');
    const result = composeServices([
      { name: 'auth', url: auth.graphqlURL, typeDefs: parse(_service.sdl) },
      { name: 'reviews', url: reviews.url, typeDefs: reviewsTypeDefs },
    ]);
    assert.equal(result.errors, undefined, `composition errors: ${result.errors?.map((e) => e.message).join('\n')}`);
    const userFields = fieldsOf(result.supergraphSdl, 'User');
    for (const f of ['id', 'email', 'role', 'reviews']) assert.ok(userFields.includes(f), `User.${f} missing: ${userFields}`);
    const queryFields = fieldsOf(result.supergraphSdl, 'Query');
    for (const f of ['me', 'latestReview']) assert.ok(queryFields.includes(f), `Query.${f} missing: ${queryFields}`);
    // The entity is keyed by id in both subgraphs.
    assert.match(result.supergraphSdl, /type User\s[^{]*@join__type\(graph: AUTH, key: "id"\)/);
    assert.match(result.supergraphSdl, /type User\s[^{]*@join__type\(graph: REVIEWS, key: "id"\)/);
  });

  test('@authenticated and @requiresScopes reach the supergraph, and the tokens\' scope claim meets them', async () => {
    const { _service } = await gqlData(auth.graphqlURL, '{ _service { sdl } }');
    const result = composeServices([
      { name: 'auth', url: auth.graphqlURL, typeDefs: parse(_service.sdl) },
      { name: 'reviews', url: reviews.url, typeDefs: reviewsTypeDefs },
    ]);
    assert.equal(result.errors, undefined, `composition errors: ${result.errors?.map((e) => e.message).join('\n')}`);
    const security = securityOf(result.supergraphSdl);
    assert.equal(security['Query.me'], 'authenticated');
    assert.equal(security['Mutation.logout'], 'authenticated');
    for (const f of ['Query.adminStats', 'Query.users', 'Mutation.setUserRole', 'Mutation.setUserClaims', 'Query.moderationQueue']) {
      assert.deepEqual(security[f], [['admin']], `${f}: ${JSON.stringify(security[f])}`);
    }
    // A router validating gqlauth's tokens lets a USER through to what
    // needs a login, and only an ADMIN to the admin fields, in gqlauth or
    // in the reviews subgraph.
    const user = await register(auth.graphqlURL, 'scopes-user@example.com', 'correct horse battery');
    await auth.cli('user', 'create', '--email', 'scopes-admin@example.com', '--role', 'ADMIN', { stdin: 'correct horse battery\n' });
    const admin = await login(auth.graphqlURL, 'scopes-admin@example.com', 'correct horse battery');
    const userScope = claimsOf(user.accessToken).scope;
    const adminScope = claimsOf(admin.accessToken).scope;
    assert.equal(userScope, 'user:read user:write');
    assert.equal(adminScope, 'user:read user:write admin');
    for (const [field, req] of Object.entries(security)) {
      assert.ok(admits(adminScope, req), `an ADMIN token is refused ${field}`);
      assert.equal(admits(userScope, req), req === 'authenticated', `a USER token and ${field}`);
    }
  });

  describe('through @apollo/gateway with IntrospectAndCompose', () => {
    // @apollo/gateway refuses supergraphs with Federation's SECURITY
    // features, so its subgraphs leave them out (FEDERATION_EDGE_DIRECTIVES=false).
    let gateway;
    let gAuth;
    let gReviews;
    let alice;
    let bob;

    before(async () => {
      gAuth = await startServer({ INTROSPECTION: 'false', FEDERATION_EDGE_DIRECTIVES: 'false' });
      gReviews = await startReviews({ edge: false });
      gateway = await startGateway([
        { name: 'auth', url: gAuth.graphqlURL },
        { name: 'reviews', url: gReviews.url },
      ]);
      alice = await register(gAuth.graphqlURL, 'alice@example.com', 'correct horse battery');
      bob = await register(gAuth.graphqlURL, 'bob@example.com', 'correct horse battery');
    });
    after(async () => {
      await gateway?.stop();
      await gReviews?.stop();
      await gAuth?.stop();
    });

    test('me with reviews merges both subgraphs for the token holder', async () => {
      const d = await gqlData(gateway.url, '{ me { id email role reviews { body } } }', { token: alice.accessToken });
      assert.deepEqual(d.me, {
        id: alice.user.id,
        email: 'alice@example.com',
        role: 'USER',
        reviews: [{ body: `review 1 by ${alice.user.id}` }, { body: `review 2 by ${alice.user.id}` }],
      });
    });

    test('without a token the gateway passes on UNAUTHENTICATED', async () => {
      const r = await gql(gateway.url, '{ me { id email reviews { body } } }');
      assert.equal(r.status, 200);
      assert.equal(r.data?.me ?? null, null);
      assert.deepEqual(errorCodes(r), ['UNAUTHENTICATED']);
      // The subgraph's extensions survive the gateway; it adds serviceName.
      assert.equal(r.errors[0].extensions.reason, 'TOKEN_MISSING');
      assert.equal(r.errors[0].extensions.serviceName, 'auth');
      assert.deepEqual(r.errors[0].path, ['me']);
      assert.equal(r.errors[0].extensions.stacktrace, undefined);
    });

    test('with a bad token, TOKEN_INVALID', async () => {
      const r = await gql(gateway.url, '{ me { id } }', { token: 'not-a-jwt' });
      assert.deepEqual(errorCodes(r), ['UNAUTHENTICATED']);
      assert.equal(r.errors[0].extensions.reason, 'TOKEN_INVALID');
    });

    // Here the gateway starts in the reviews subgraph and asks gqlauth's
    // _entities for the author, with the caller's token.
    test('an entity lookup in gqlauth resolves the caller\'s own account', async () => {
      const d = await gqlData(gateway.url, 'query($id: ID!) { latestReview(authorId: $id) { body author { id email } } }',
        { variables: { id: alice.user.id }, token: alice.accessToken });
      assert.deepEqual(d.latestReview, { body: `review 2 by ${alice.user.id}`, author: { id: alice.user.id, email: 'alice@example.com' } });
    });

    test('an entity lookup of another account is FORBIDDEN for a USER', async () => {
      const r = await gql(gateway.url, 'query($id: ID!) { latestReview(authorId: $id) { body author { email } } }',
        { variables: { id: bob.user.id }, token: alice.accessToken });
      assert.deepEqual(errorCodes(r), ['FORBIDDEN'], JSON.stringify(r.errors));
      assert.equal(r.errors[0].extensions.serviceName, 'auth');
      assert.doesNotMatch(JSON.stringify(r.body), /bob@example\.com/);
      // author is non-null, so the null from gqlauth takes latestReview with it.
      assert.equal(r.data?.latestReview ?? null, null);
    });

    test('an entity lookup without a token is UNAUTHENTICATED', async () => {
      const r = await gql(gateway.url, 'query($id: ID!) { latestReview(authorId: $id) { author { email } } }',
        { variables: { id: alice.user.id } });
      assert.deepEqual(errorCodes(r), ['UNAUTHENTICATED'], JSON.stringify(r.errors));
    });

    test('an ADMIN resolves any account through the gateway', async () => {
      await gAuth.cli('user', 'set-role', '--email', 'alice@example.com', '--role', 'admin');
      // The CLI is another process: its change reaches the server's cache
      // within a second (the SQLite resync), so wait for the promotion.
      const q = 'query($id: ID!) { latestReview(authorId: $id) { author { email role reviews { body } } } }';
      const opts = { variables: { id: bob.user.id }, token: alice.accessToken };
      for (const deadline = Date.now() + 3000; Date.now() < deadline;) {
        if (!(await gql(gateway.url, q, opts)).errors) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const d = await gqlData(gateway.url, q, opts);
      assert.deepEqual(d.latestReview.author, {
        email: 'bob@example.com',
        role: 'USER',
        reviews: [{ body: `review 1 by ${bob.user.id}` }, { body: `review 2 by ${bob.user.id}` }],
      });
    });
  });
});
