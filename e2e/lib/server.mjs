// The real gqlauth binary for end-to-end tests: built once per test process
// from the repository (the parent of e2e/), started on a free loopback port
// with its own SQLite file, stopped with SIGTERM.
//
//   import { startServer } from './lib/server.mjs';
//   const srv = await startServer({ INTROSPECTION: 'false' });
//   ... fetch(srv.graphqlURL, ...) ...
//   await srv.stop();
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root: the Go module that `go build` builds. */
export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

// One temporary directory per test process holds the binary and every
// server's database; it is removed when the process exits.
const workDir = mkdtempSync(join(tmpdir(), 'gqlauth-e2e-'));
process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));

let built;

/**
 * Builds the server (once per process) and resolves to the binary's path.
 * GO (default `go`) names the Go command.
 */
export function buildServer() {
  built ??= new Promise((resolveBuild, reject) => {
    const bin = join(workDir, 'gqlauth');
    execFile(process.env.GO || 'go', ['build', '-o', bin, '.'], { cwd: repoRoot, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => (err ? reject(new Error(`go build failed: ${err.message}\n${stderr}`)) : resolveBuild(bin)));
  });
  return built;
}

/** A new empty directory, removed when the test process exits. */
export function tempDir(prefix = 'tmp') {
  return mkdtempSync(join(workDir, `${prefix}-`));
}

/**
 * Runs `gqlauth keys generate --algorithm alg` into a new file (in a
 * temporary directory unless path is given); resolves to the file's path.
 */
export async function generateKey(alg, path = join(tempDir('key'), `${alg.toLowerCase()}.pem`)) {
  const bin = await buildServer();
  const args = ['keys', 'generate', '--algorithm', alg, '--out', path];
  if (alg === 'RS256') args.push('--rsa-bits', '2048');
  await runCLI(bin, {}, args);
  return path;
}

/** The environment of a test server: cheap hashing, quiet logs, loose throttles. */
export function testEnv(dbURL, env = {}) {
  return {
    ADDR: '127.0.0.1:0',
    DATABASE_URL: dbURL,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME: '1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ACCOUNT: '1000',
    RATE_LIMIT_IP: '10000',
    ...env,
  };
}

let serial = 0;

/**
 * Starts `gqlauth serve` with testEnv's settings and env's overrides (a
 * fresh SQLite file unless env sets DATABASE_URL). The server sees only
 * these variables, not the test process's environment. Resolves once it
 * listens, to:
 *   url         'http://127.0.0.1:PORT/'
 *   graphqlURL  url + 'graphql'
 *   env         the server's environment
 *   logs()      what it wrote to stderr so far
 *   cli(...args, {stdin}) runs a gqlauth subcommand on the same database,
 *               resolving to its stdout
 *   stop()      SIGTERM, then waits for the exit (SIGKILL after 20 s)
 */
export async function startServer(env = {}, { timeoutMs = 30_000 } = {}) {
  const bin = await buildServer();
  const dir = mkdtempSync(join(workDir, `server-${++serial}-`));
  const serverEnv = testEnv(`sqlite:${join(dir, 'gqlauth.db')}`, env);
  const child = spawn(bin, ['serve'], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));

  const url = await new Promise((res, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gqlauth did not start within ${timeoutMs} ms; logs:\n${stderr}`));
    }, timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^gqlauth listening on (http:\/\/\S+\/)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gqlauth exited (${code ?? signal}) before listening; logs:\n${stderr}`));
    });
  });

  let stopping;
  return {
    url,
    graphqlURL: `${url}graphql`,
    env: serverEnv,
    logs: () => stderr,
    cli: (...args) => runCLI(bin, serverEnv, args),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const result = await exited;
        clearTimeout(kill);
        rmSync(dir, { recursive: true, force: true });
        return result;
      })();
      return stopping;
    },
  };
}

function runCLI(bin, env, args) {
  let stdin = '';
  if (args.length && typeof args.at(-1) === 'object') stdin = args.pop().stdin ?? '';
  return new Promise((res, reject) => {
    const p = execFile(bin, args, { env }, (err, stdout, stderr) =>
      (err ? reject(new Error(`gqlauth ${args.join(' ')}: ${err.message}\n${stderr}`)) : res(stdout)));
    // A command that exits before reading its input (it failed, say)
    // closes the pipe: its exit status and stderr, above, tell why; an
    // EPIPE here would only hide them.
    p.stdin.on('error', () => {});
    p.stdin.end(stdin);
  });
}
