// The React + Apollo example app (examples/react-apollo) in headless
// Chromium: builds the app when its build is older than its sources,
// starts gqlauth in cookie mode, serves the build with `vite preview`
// (which proxies /graphql to that gqlauth, so the app and the API share an
// origin) and launches the browser.
//
// Needs examples/react-apollo installed (`npm ci` there; `make e2e` does
// it) and Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

import { repoRoot, startServer } from './server.mjs';

/** The example app's directory. */
export const appDir = join(repoRoot, 'examples', 'react-apollo');

/** Where browser tests keep screenshots (gitignored). */
export const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

/** Chromium's launch options: headless, and nothing that calls home. */
export const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/** The newest modification time under path (a file or a directory). */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/** Vite from the example's own node_modules, after building the app if its dist is stale. */
export async function exampleVite() {
  const viteEntry = join(appDir, 'node_modules', 'vite', 'dist', 'node', 'index.js');
  if (!existsSync(viteEntry)) {
    throw new Error(`${appDir} is not installed: run \`npm ci\` there (make e2e does)`);
  }
  const vite = await import(pathToFileURL(viteEntry).href);
  const built = join(appDir, 'dist', 'index.html');
  const sources = ['src', 'index.html', 'vite.config.js', 'package-lock.json'].map((f) => newest(join(appDir, f)));
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
    await vite.build({ root: appDir, logLevel: 'warn' });
  }
  return vite;
}

/** A free loopback port, for a server that must know its URL beforehand. */
function freePort() {
  return new Promise((resolve, reject) => {
    const l = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = l.address();
      l.close(() => resolve(port));
    });
  });
}

/**
 * Starts gqlauth in cookie mode (env overrides testEnv's settings; a
 * function of the app's URL gives env from it, e.g. APP_URL for mailed
 * links), the app in front of it (on previewPort, default a free one),
 * and Chromium. Resolves to:
 *   srv        the server (lib/server.mjs)
 *   appURL     the app's URL ('http://127.0.0.1:PORT/')
 *   openPage(contextOptions) a new browser context (its own cookie jar)
 *              and page: { context, page, pageErrors }, the page's
 *              uncaught errors and console errors collected for the
 *              test to assert none
 *   close()    stops all three
 */
export async function startExampleApp(env = {}, { previewPort = 0 } = {}) {
  mkdirSync(artifacts, { recursive: true });
  const vite = await exampleVite();
  // The app's port is chosen first, so that gqlauth can be told the URL.
  const port = previewPort || await freePort();
  const appURL = `http://127.0.0.1:${port}/`;
  const srv = await startServer({
    TOKEN_LOCATION: 'cookies', COOKIE_SECURE: 'false', ...(typeof env === 'function' ? env(appURL) : env),
  });
  let preview;
  let browser;
  try {
    // vite.config.js reads GQLAUTH_URL for its /graphql proxy when the
    // preview server loads it.
    process.env.GQLAUTH_URL = srv.url.replace(/\/$/, '');
    preview = await vite.preview({
      root: appDir,
      logLevel: 'warn',
      preview: { host: '127.0.0.1', port, strictPort: true, open: false },
    });
    browser = await chromium.launch(launchOptions);
  } catch (e) {
    await preview?.close();
    await srv.stop();
    throw e;
  }
  return {
    srv,
    appURL,
    async openPage(contextOptions = {}) {
      const context = await browser.newContext(contextOptions);
      const page = await context.newPage();
      const pageErrors = [];
      page.on('pageerror', (e) => pageErrors.push(e));
      page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(new Error(`console: ${m.text()}`)); });
      return { context, page, pageErrors };
    },
    async close() {
      await browser.close();
      await preview.close();
      await srv.stop();
    },
  };
}
