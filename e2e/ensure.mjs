#!/usr/bin/env node
/**
 * Makes sure a real store's end-to-end dependencies are installed, so that `npm test` (and
 * `npm run e2e:<store>`) work on a fresh clone with no manual step.
 *
 *   node e2e/ensure.mjs vendure   # `npm ci` in e2e/vendure when node_modules is missing or stale
 *   node e2e/ensure.mjs medusa    # PostgreSQL through apt-get when missing, then `npm install` in e2e/medusa
 *   node e2e/ensure.mjs chromium  # Debian's chromium through apt-get when /usr/bin/chromium is missing (the page tests)
 *
 * "Stale" means the lockfile (or package.json) changed since the last install: a stamp with
 * their hash is kept in node_modules. Nested npm runs get a clean environment (the npm_* variables
 * of the outer `npm test` would point them at the root project) except the settings that matter
 * on this machine, e.g. npm_config_nodedir.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const KEEP = new Set(['npm_config_nodedir', 'npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);

/** How each store's dependencies install. Medusa's lockfile breaks `npm ci` on this registry (TOOLCHAIN). */
const STORES = {
  vendure: { install: ['ci', '--no-audit', '--no-fund', '--loglevel=error'], system: [] },
  medusa: { install: ['install', '--no-audit', '--no-fund', '--loglevel=error'], system: ['postgresql'] },
};

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !KEEP.has(k.toLowerCase())) continue;
    env[k] = v;
  }
  return env;
}

function stampOf(dir) {
  const hash = crypto.createHash('sha256');
  for (const file of ['package.json', 'package-lock.json']) {
    const p = path.join(dir, file);
    if (fs.existsSync(p)) hash.update(fs.readFileSync(p));
  }
  return hash.digest('hex');
}

/** True when a PostgreSQL server (initdb) is installed where Debian puts it. */
export function hasPostgres() {
  const root = '/usr/lib/postgresql';
  return fs.existsSync(root) && fs.readdirSync(root).some((d) => fs.existsSync(path.join(root, d, 'bin', 'initdb')));
}

function ensurePostgres() {
  if (hasPostgres()) return;
  if (process.getuid?.() !== 0) {
    throw new Error('PostgreSQL is not installed and this is not root: run "sudo apt-get install -y postgresql" once');
  }
  const started = Date.now();
  process.stderr.write('e2e: installing PostgreSQL (apt-get install -y postgresql)…\n');
  const env = { ...cleanEnv(), DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], { stdio: 'inherit', env });
  process.stderr.write(`e2e: PostgreSQL installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export const CHROMIUM = process.env.INVSYNC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The page tests drive Debian's chromium through puppeteer-core; no npm package may download a
 * browser of its own (there is no network for that here), so the system package is the browser.
 */
function ensureChromium() {
  if (fs.existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium is not installed at ${CHROMIUM} and this is not root: run "sudo apt-get install -y chromium" once (or set INVSYNC_CHROMIUM to a Chromium binary)`);
  }
  const started = Date.now();
  process.stderr.write('e2e: installing Chromium (apt-get install -y chromium)…\n');
  const env = { ...cleanEnv(), DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
  process.stderr.write(`e2e: Chromium installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export function ensure(store) {
  if (store === 'chromium') return ensureChromium();
  const spec = STORES[store];
  if (!spec) throw new Error(`unknown target "${store}" (known: ${Object.keys(STORES).join(', ')}, chromium)`);
  if (spec.system.includes('postgresql')) ensurePostgres();
  const dir = path.join(HERE, store);
  const stampFile = path.join(dir, 'node_modules', '.invsync-ensure');
  const stamp = stampOf(dir);
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return;
  const started = Date.now();
  process.stderr.write(`e2e: installing ${store}'s dependencies (npm ${spec.install[0]} in e2e/${store})…\n`);
  execFileSync('npm', spec.install, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'], env: cleanEnv() });
  // `npm install` may rewrite the lockfile: stamp what is there now.
  fs.writeFileSync(stampFile, stampOf(dir));
  process.stderr.write(`e2e: ${store} installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stores = process.argv.slice(2);
  if (stores.length === 0) {
    process.stderr.write('usage: node e2e/ensure.mjs <vendure|medusa|chromium>…\n');
    process.exit(2);
  }
  try {
    for (const store of stores) ensure(store);
  } catch (err) {
    process.stderr.write(`e2e: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
