/**
 * Child process hosting the Dropshipzone fake (test/fakes/dropshipzone.ts, compiled here with
 * esbuild) for the supplier-API memory benchmark. Its throttle is lifted (the bench measures
 * invsync, not the 600/hour budget); products follow the bench data set (dataset.mjs) and are
 * generated on demand, never stored.
 */
import { feedQty, skuOf } from './dataset.mjs';
import { serveHost } from './host.mjs';
import { importTs } from './load-ts.mjs';

let fake = null;

serveHost({
  async start({ count }) {
    const { startDropshipzoneFake, dszProduct, DSZ_EMAIL, DSZ_PASSWORD } = await importTs('test/fakes/dropshipzone.ts');
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
