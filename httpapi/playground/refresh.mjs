// Refreshes the playground's third-party files (assets.json) from npm:
//
//   node httpapi/playground/refresh.mjs      (make playground-assets)
//
// For each package at its pinned version: `npm view` gives the tarball's
// published dist.integrity, `npm pack` downloads the tarball, and its
// SHA-512 must equal that integrity, else nothing is written. The listed
// files are then copied from the tarball into assets/, and assets.json
// records the tarball's integrity and each file's SHA-384 (the SRI the page
// uses and TestPlaygroundAssetsMatchManifest checks). Only the npm
// registry is contacted, through npm itself.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const manifestPath = join(here, 'assets.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));

const npm = (...args) => execFileSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const sri = (algo, bytes) => `${algo}-${createHash(algo).update(bytes).digest('base64')}`;

const work = mkdtempSync(join(tmpdir(), 'playground-assets-'));
try {
  for (const pkg of manifest.packages) {
    const spec = `${pkg.name}@${pkg.version}`;
    const published = JSON.parse(npm('view', spec, 'dist.integrity', '--json'));
    if (typeof published !== 'string' || !published.startsWith('sha512-')) {
      throw new Error(`${spec}: no sha512 dist.integrity published (got ${JSON.stringify(published)})`);
    }
    const dir = mkdtempSync(join(work, 'pkg-'));
    const [packed] = JSON.parse(npm('pack', spec, '--json', '--pack-destination', dir));
    const tarball = join(dir, packed.filename);
    const got = sri('sha512', readFileSync(tarball));
    if (got !== published) {
      throw new Error(`${spec}: the downloaded tarball is ${got}, npm publishes ${published}`);
    }
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    pkg.integrity = published;
    pkg.sha384 = {};
    for (const [from, to] of Object.entries(pkg.files)) {
      copyFileSync(join(dir, 'package', from), join(here, 'assets', to));
      pkg.sha384[to] = sri('sha384', readFileSync(join(here, 'assets', to)));
    }
    console.log(`${spec}: ${published}`);
  }
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
