// The two stores gqlauth runs on, for e2e tests that must pass on both,
// as the Go tests' forEachStore does: SQLite (a fresh file, startServer's
// default) and PostgreSQL at TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable), in a schema of
// its own that lib/pq selects through search_path. An unreachable
// PostgreSQL skips its half, or fails it in CI or with REQUIRE_POSTGRES=1.
//
//   for (const store of stores) {
//     describe(`… (${store.name})`, () => {
//       before(async () => { db = await store.open(); ... DATABASE_URL: db.url ... });
//       after(() => db?.drop());
//     });
//   }
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const pgBase = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable';
const pgRequired = Boolean(process.env.CI) || process.env.REQUIRE_POSTGRES === '1';

function psql(sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', pgBase, '-c', sql], { timeout: 20_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`psql: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

let pgReachable;

/**
 * Whether PostgreSQL answers: null when it does, else why not (the test
 * skips with that reason; when it is required, the first open() fails).
 */
export function postgresMissing() {
  pgReachable ??= psql('SELECT 1').then(() => null, (e) => e.message.split('\n')[0]);
  return pgReachable;
}

/** { name, open() → { url, drop() } } for SQLite and PostgreSQL. */
export const stores = [
  {
    name: 'sqlite',
    // startServer gives each server a fresh SQLite file.
    skip: async () => null,
    open: async () => ({ url: undefined, drop: async () => {} }),
  },
  {
    name: 'postgres',
    skip: async () => (pgRequired ? null : postgresMissing()),
    async open() {
      const why = await postgresMissing();
      if (why) throw new Error(`PostgreSQL is required (CI or REQUIRE_POSTGRES=1): ${why}`);
      const schema = `gqlauth_e2e_${randomBytes(6).toString('hex')}`;
      await psql(`CREATE SCHEMA ${schema}`);
      const u = new URL(pgBase);
      u.searchParams.set('search_path', schema);
      return { url: u.toString(), drop: () => psql(`DROP SCHEMA ${schema} CASCADE`) };
    },
  },
];
