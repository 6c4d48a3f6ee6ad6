/**
 * Child process hosting the paged JSON API fake (test/fakes/json-api.ts, compiled here with
 * esbuild) for the `json` source benchmark. Items follow the bench data set (dataset.mjs):
 * item i is { sku: SKU-…(i+1), qty: feedQty(i+1) }, computed on demand, never stored.
 */
import { feedQty, skuOf } from './dataset.mjs';
import { serveHost } from './host.mjs';
import { importTs } from './load-ts.mjs';

let fake = null;

serveHost({
  async start({ count, latencyMs = 0 }) {
    const { startJsonApiFake } = await importTs('test/fakes/json-api.ts');
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
