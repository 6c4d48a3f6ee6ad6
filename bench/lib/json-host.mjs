/**
 * Child process hosting the paged JSON API fake (test/fakes/json-api.ts, compiled here with
 * esbuild) for the `json` source benchmark. Items follow the bench data set (dataset.mjs):
 * item i is { sku: SKU-…(i+1), qty: feedQty(i+1) }, computed on demand, never stored.
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
    entryPoints: { 'json-api': path.join(root, 'test/fakes/json-api.ts') },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
    outdir: CACHE, outExtension: { '.js': `.${process.pid}.mjs` }, logLevel: 'warning',
  });
  const file = path.join(CACHE, `json-api.${process.pid}.mjs`);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

let fake = null;

serveHost({
  async start({ count, latencyMs = 0 }) {
    const { startJsonApiFake } = await loadFake();
    fake = await startJsonApiFake({ count, item: (i) => ({ sku: skuOf(i + 1), qty: feedQty(i + 1) }), faults: { latencyMs } });
    return { url: fake.url };
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
