#!/usr/bin/env node
/**
 * Magento write requests for N changes (issue 19, point 2): `node bench/magento-batches.mjs [--changes 10000]`.
 * Runs the Magento adapter (src/, bundled by esbuild) against the faithful fake (test/fakes/magento2.ts):
 * every stock-carrying SKU changes; counts POST /V1/inventory/source-items requests by status.
 * Cases: input limits off (Magento's default), on with the default list limit (20) and with a
 * raised one (100) — each a first run (cap unknown) and a second run (cap remembered in the state dir).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importTs } from './lib/load-ts.mjs';

const { values: args } = parseArgs({ options: { changes: { type: 'string' }, 'batch-size': { type: 'string' } } });
const N = Number(args.changes ?? 10_000);
process.env.LOG_LEVEL ??= 'error';
const { startMagentoFake } = await importTs('test/fakes/magento2.ts');
const { createMagento2Store } = await importTs('src/stores/magento2/index.ts');
const { makeBatches } = await importTs('src/pipeline/batches.ts');

async function pushAll(fake, stateDir, qty) {
  const store = createMagento2Store({ type: 'magento2', url: fake.url, token: fake.token, msi: true, sourceCode: 'default', ...(args['batch-size'] ? { batchSize: Number(args['batch-size']) } : {}) }, { stateDir });
  const items = [];
  for await (const item of store.list()) items.push(item);
  const changes = items.map((item, i) => ({ seq: i + 1, sku: item.sku, productId: item.productId, variationId: item.variationId, from: item.qty, to: qty, ref: item.ref }));
  fake.requests.length = 0;
  const started = Date.now();
  // As push does: cut batches at the adapter's limit, up to 4 in flight.
  const batches = makeBatches(changes, (c) => store.batchKey(c), store.limits.maxBatch);
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < batches.length) await store.apply(batches[next++].items);
  }));
  const writes = fake.requests.filter((r) => r.write);
  const landed = [...fake.stockBySku().values()].filter((q) => q === qty).length;
  if (landed !== N) throw new Error(`only ${landed} of ${N} items landed`);
  return { requests: writes.length, refused: writes.filter((r) => r.status === 400).length, items: writes.filter((r) => r.status === 200).reduce((s, r) => s + r.items, 0), ms: Date.now() - started };
}

console.log(`| shop (${N.toLocaleString('en')} changes) | run | write requests | of which refused (400) | items in accepted requests | minimum requests |`);
console.log('|---|---|---|---|---|---|');
for (const [label, options, cap] of [['input limits off (default)', {}, 500], ['input limits on, list limit 20', { inputLimits: true }, 20], ['input limits on, list limit 100', { inputLimits: true, inputListLimit: 100 }, 100]]) {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-magento-bench-'));
  const fake = await startMagentoFake({ ...options, products: Array.from({ length: N }, (_, i) => ({ sku: `P${i}`, qty: 0 })) });
  try {
    for (const [run, qty] of [['first', 5], ['second', 6]]) {
      const r = await pushAll(fake, stateDir, qty);
      console.log(`| ${label} | ${run} | ${r.requests} | ${r.refused} | ${r.items} | ${Math.ceil(N / Math.min(cap, Number(args['batch-size'] ?? 500)))} |`);
    }
  } finally {
    await fake.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
