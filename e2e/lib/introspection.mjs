// The introspection queries that real tools send, as graphql-js builds
// them. testdata/introspection/ holds each one for the Go tests
// (TestStandardIntrospectionPassesDefaultLimits); introspection.test.mjs
// checks that those files still match the installed graphql package, and
// `node e2e/lib/introspection.mjs --write` rewrites them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { getIntrospectionQuery } from 'graphql';

import { repoRoot } from './server.mjs';

export const introspectionDir = join(repoRoot, 'testdata', 'introspection');

/** File name (without .graphql) → the query, as each tool builds it. */
export const introspectionQueries = {
  // getIntrospectionQuery() with its defaults: graphql-js's own
  // introspectionFromSchema, Apollo's and Relay's tooling, most IDE plugins.
  'graphql-js': getIntrospectionQuery(),
  // GraphiQL (@graphiql/react's schema store), with inputValueDeprecation
  // on as our playground page (and gqlgen's) sets it.
  graphiql: getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: false }),
  // Every option on, as @graphql-tools/url-loader (graphql-codegen, GraphQL
  // Config) can ask: the largest standard introspection document.
  'all-options': getIntrospectionQuery({
    descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true,
    schemaDescription: true, inputValueDeprecation: true, oneOf: true,
  }),
};

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  for (const [name, query] of Object.entries(introspectionQueries)) {
    writeFileSync(join(introspectionDir, `${name}.graphql`), query);
  }
}
