/**
 * Child process hosting the Dropshipzone fake (test/fakes/dropshipzone.ts, compiled here with
 * esbuild) for the supplier-API memory benchmark. Its throttle is lifted (the bench measures
 * invsync, not the 600/hour budget); products follow the bench data set (dataset.mjs) and are
 * generated on demand, never stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { feedQty, skuOf } from './dataset.mjs';
import { serveHost } from './host.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = path.join(root, 'node_modules/.cache/invsync-bench');

async function loadFake() {
  const { build } = await import('esbuild');
  await build({
    entryPoints: { dropshipzone: path.join(root, 'test/fakes/dropshipzone.ts') },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
    outdir: CACHE, outExtension: { '.js': `.${process.pid}.mjs` }, logLevel: 'warning',
  });
  const file = path.join(CACHE, `dropshipzone.${process.pid}.mjs`);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

let fake = null;

serveHost({
  async start({ count }) {
    const { startDropshipzoneFake, dszProduct, DSZ_EMAIL, DSZ_PASSWORD } = await loadFake();
    fake = await startDropshipzoneFake({
      limits: null,
      catalog: { count, product: (i) => dszProduct(i, feedQty(i + 1), { sku: skuOf(i + 1) }) },
    });
    return { url: fake.url, email: DSZ_EMAIL, password: DSZ_PASSWORD };
  },
  stats() {
    return { requests: fake.requests, errors: fake.log.filter((r) => r.status !== 200).length };
  },
  async close() {
    await fake?.close();
    fake = null;
    return null;
  },
});
