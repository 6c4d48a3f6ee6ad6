/**
 * Import a TypeScript module of this repo (a test fake, or src/ itself) from a bench script:
 * esbuild bundles it (packages stay external) into node_modules/.cache/invsync-bench/, then it
 * is imported. For measurements against the faithful fakes under test/fakes/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './build.mjs';

const CACHE = path.join(ROOT, 'node_modules/.cache/invsync-bench');

/** `relative`: a path under the repo root, e.g. `test/fakes/magento2.ts`. */
export async function importTs(relative) {
  fs.mkdirSync(CACHE, { recursive: true });
  const outfile = path.join(CACHE, `${relative.replace(/[^A-Za-z0-9]+/g, '_')}.${process.pid}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, relative)],
    outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    fs.rmSync(outfile, { force: true });
  }
}
