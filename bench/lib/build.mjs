/**
 * The build under test. `freezeBuild()` copies bin/, dist/ and package.json once at the start of
 * a bench run, so every measurement of that run uses the same build even if `npm run build`
 * runs meanwhile (the tree is shared). The copy lives under node_modules/.cache so that the
 * copied dist/ still resolves its dependencies from the project's node_modules.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ENV = 'INVSYNC_BENCH_BUILD';

/** Root of the build to run (the frozen copy once frozen; inherited by forked hosts). */
export function buildRoot() {
  return process.env[ENV] ?? ROOT;
}

/** Copy the current build; returns { dir, fingerprint, builtAt, remove() }. Throws when dist/ is missing. */
export function freezeBuild() {
  const dist = path.join(ROOT, 'dist');
  if (!fs.existsSync(path.join(dist, 'cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const dir = path.join(ROOT, 'node_modules/.cache/invsync-bench', `build-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  const files = listFiles(path.join(dir, 'dist')).filter((f) => f.endsWith('.js')).sort();
  const hash = crypto.createHash('sha256');
  let newest = 0;
  for (const f of files) {
    hash.update(path.relative(dir, f)).update(fs.readFileSync(f));
    newest = Math.max(newest, fs.statSync(path.join(dist, path.relative(path.join(dir, 'dist'), f))).mtimeMs);
  }
  process.env[ENV] = dir;
  return {
    dir,
    fingerprint: hash.digest('hex').slice(0, 12),
    builtAt: new Date(newest).toISOString(),
    remove() {
      delete process.env[ENV];
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
