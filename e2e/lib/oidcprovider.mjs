// The test OpenID Provider (e2e/oidcprovider: zitadel/oidc's op package
// with its own login page) as a process, built from the repository once
// per test process like the server.
//
//   const idp = await startProvider({ redirectURIs: [...], users: ['ada:pw:ada@example.com:verified'] });
//   ... idp.issuer ...
//   await idp.stop();
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { repoRoot, tempDir } from './server.mjs';

let built;

function buildProvider() {
  built ??= new Promise((resolveBuild, reject) => {
    const bin = join(tempDir('oidcprovider'), 'oidcprovider');
    execFile(process.env.GO || 'go', ['build', '-o', bin, './e2e/oidcprovider'], { cwd: repoRoot, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => (err ? reject(new Error(`go build failed: ${err.message}\n${stderr}`)) : resolveBuild(bin)));
  });
  return built;
}

/**
 * Starts a provider whose one client is gqlauth (clientId, clientSecret)
 * with redirectURIs; users are USERNAME:PASSWORD:EMAIL:verified|unverified
 * (subject sub-USERNAME). Resolves to { issuer, clientId, clientSecret, stop() }.
 */
export async function startProvider({ redirectURIs, users, clientId = 'gqlauth', clientSecret = 'e2e-client-secret' }) {
  const bin = await buildProvider();
  const args = ['-client-id', clientId, '-client-secret', clientSecret];
  for (const r of redirectURIs) args.push('-redirect-uri', r);
  for (const u of users) args.push('-user', u);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s) => { stderr += s; });
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const issuer = await new Promise((res, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`oidcprovider did not start:\n${stderr}`)); }, 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^oidcprovider listening on (http:\/\/\S+)$/.exec(line);
      if (m) { clearTimeout(timer); res(m[1]); }
    });
    exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`oidcprovider exited (${code ?? signal}):\n${stderr}`)); });
  });
  return {
    issuer,
    clientId,
    clientSecret,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
