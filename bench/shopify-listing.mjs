#!/usr/bin/env node
/**
 * Shopify listing: cost-bucket paging vs a bulk operation (issue 19, point 3).
 * `node bench/shopify-listing.mjs [--sizes 750,10000,100000] [--paged-max 10000]`
 * Runs the Shopify adapter (src/, bundled by esbuild) against the fake (test/fakes/shopify.ts) with
 * the Standard plan's bucket (2,000 points, 100 restored per second) and the fake's bulk timing
 * (queued 1 s, then 5,000 objects/s: Shopify publishes no figures, so these are assumptions).
 * Paging above --paged-max is not run (100,000 variants would take ≈ 80 min) but computed from
 * the points it needs: (points − bucket) / restore rate.
 */
import { parseArgs } from 'node:util';
import { importTs } from './lib/load-ts.mjs';

const { values: args } = parseArgs({ options: { sizes: { type: 'string' }, 'paged-max': { type: 'string' } } });
const SIZES = (args.sizes ?? '750,10000,100000').split(',').map(Number);
const PAGED_MAX = Number(args['paged-max'] ?? 10_000);
process.env.LOG_LEVEL ??= 'error';
const { startShopifyFake, DEFAULT_SHOPIFY_TOKEN } = await importTs('test/fakes/shopify.ts');
const { createShopifyStore } = await importTs('src/stores/shopify/index.ts');
const BUCKET = { maximumAvailable: 2000, restoreRate: 100 };

async function listOnce(fake, bulkThreshold) {
  const store = createShopifyStore({ type: 'shopify', url: fake.url, accessToken: DEFAULT_SHOPIFY_TOKEN, apiVersion: '2026-10', locationId: fake.locationId(), bulkThreshold });
  fake.requests.length = 0;
  fake.drainBucket(BUCKET.maximumAvailable);
  const rss0 = process.memoryUsage().rss;
  const t = Date.now();
  let n = 0;
  for await (const _ of store.list()) n++;
  const points = fake.requests.reduce((s, r) => s + (r.requestedCost ?? 0), 0);
  return { n, s: (Date.now() - t) / 1000, requests: fake.requests.length, points, throttled: fake.requests.filter((r) => r.throttled).length, rssMb: (process.memoryUsage().rss - rss0) / 1e6 };
}

console.log('| variants | paged: wall | paged: requests (THROTTLED) | paged: points | bulk: wall | bulk: requests | bulk: points |');
console.log('|---|---|---|---|---|---|---|');
for (const size of SIZES) {
  const fake = await startShopifyFake({ bucket: BUCKET });
  for (let p = 0; p < size / 5; p++) fake.seed({ title: `P${p}`, variants: Array.from({ length: 5 }, (_, i) => ({ sku: `P${p}-${i}`, title: `V${i}`, available: (p + i) % 9 })) });
  try {
    const bulk = await listOnce(fake, 1);
    let paged;
    if (size <= PAGED_MAX) {
      const r = await listOnce(fake, false);
      paged = [`${r.s.toFixed(1)} s`, `${r.requests} (${r.throttled})`, String(r.points)];
    } else {
      // Points per variant as the server prices the paged query (measured at the smaller sizes: ≈ 5.01).
      const points = Math.ceil(size * 5.01);
      paged = [`≈ ${((points - BUCKET.maximumAvailable) / BUCKET.restoreRate).toFixed(0)} s (computed)`, `≈ ${Math.ceil(size / 199)}`, `≈ ${points}`];
    }
    console.log(`| ${size.toLocaleString('en')} | ${paged.join(' | ')} | ${bulk.s.toFixed(1)} s | ${bulk.requests} | ${bulk.points} |`);
  } finally {
    await fake.close();
  }
}
