#!/usr/bin/env node
/**
 * The bundled WooCommerce emulator's list latency at a large catalog (issue 19, point 5):
 * `node bench/emulator-list.mjs [--products 1000000] [--variable 1000] [--reps 20]`
 * (run `npm run build` first; it measures dist/demo/woocommerce-emulator.js as built).
 *
 * Seeds `products` simple products plus `variable` variable products with 10 variations each,
 * then times requests in-process over TLS + Basic auth: first, middle and last page of the
 * adapter's listing (`orderby=id&order=asc&per_page=100`), the same descending, a variations
 * page, an `include=` read-back of 100 ids and a `sku=` filter of 100 SKUs. Median of `reps`.
 */
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/build.mjs';
import { testTls } from './lib/woo.mjs';

const { values: args } = parseArgs({
  options: { products: { type: 'string' }, variable: { type: 'string' }, reps: { type: 'string' } },
});
const PRODUCTS = Number(args.products ?? 1_000_000);
const VARIABLE = Number(args.variable ?? 1_000);
const REPS = Number(args.reps ?? 20);

const { startWooEmulator, DEFAULT_WOO_KEY } = await import(pathToFileURL(path.join(ROOT, 'dist/demo/woocommerce-emulator.js')).href);
const emu = await startWooEmulator({ tls: testTls() });
const auth = `Basic ${Buffer.from(`${DEFAULT_WOO_KEY.consumerKey}:${DEFAULT_WOO_KEY.consumerSecret}`).toString('base64')}`;
const agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });

let t = process.hrtime.bigint();
for (let from = 1; from <= PRODUCTS; from += 10_000) {
  const chunk = [];
  for (let i = from; i < Math.min(from + 10_000, PRODUCTS + 1); i++) chunk.push({ type: 'simple', sku: `S${i}`, stock_quantity: i % 50 });
  emu.seed(chunk);
}
let firstVariable = 0;
for (let i = 0; i < VARIABLE; i++) {
  const [p] = emu.seed({ type: 'variable', sku: `V${i}`, variations: Array.from({ length: 10 }, (_, k) => ({ sku: `V${i}-${k}`, stock_quantity: k })) });
  if (i === 0) firstVariable = p.id;
}
const seedMs = Number(process.hrtime.bigint() - t) / 1e6;

function get(route, query) {
  return new Promise((resolve, reject) => {
    const url = `${emu.apiUrl}/${route}?${new URLSearchParams(query)}`;
    const req = https.get(url, { agent, headers: { authorization: auth } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode} ${Buffer.concat(chunks)}`));
        else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      });
    });
    req.on('error', reject);
  });
}

async function time(label, route, query, expect) {
  const ms = [];
  for (let i = 0; i < REPS; i++) {
    const s = process.hrtime.bigint();
    const body = await get(route, query);
    ms.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (body.length !== expect) throw new Error(`${label}: ${body.length} items, expected ${expect}`);
  }
  ms.sort((a, b) => a - b);
  return { label, median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1] };
}

const total = PRODUCTS + VARIABLE;
const pages = Math.ceil(total / 100);
const list = { orderby: 'id', order: 'asc', per_page: '100', _fields: 'id,sku,type,manage_stock,stock_quantity,variations' };
const ids = Array.from({ length: 100 }, (_, i) => Math.floor(((i + 1) * PRODUCTS) / 101)).join(',');
const skus = Array.from({ length: 100 }, (_, i) => `S${Math.floor(((i + 1) * PRODUCTS) / 101)}`).join(',');
const rows = [
  await time('products page 1 (id asc)', 'products', { ...list, page: '1' }, 100),
  await time(`products page ${Math.ceil(pages / 2)} (id asc)`, 'products', { ...list, page: String(Math.ceil(pages / 2)) }, 100),
  await time(`products page ${pages} (id asc, last)`, 'products', { ...list, page: String(pages) }, total - (pages - 1) * 100),
  await time('products page 1 (date desc, WC default)', 'products', { per_page: '100', page: '1' }, 100),
  await time('variations of one product', `products/${firstVariable}/variations`, { per_page: '100' }, 10),
  await time('include= 100 ids (read-back)', 'products', { include: ids, per_page: '100' }, 100),
  await time('sku= 100 SKUs', 'products', { sku: skus, per_page: '100' }, 100),
];
console.log(`catalog: ${PRODUCTS.toLocaleString('en')} simple + ${VARIABLE.toLocaleString('en')} variable × 10 variations; seeded in ${(seedMs / 1000).toFixed(1)} s; RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
console.log('| request | median ms | max ms |');
console.log('|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${r.median.toFixed(1)} | ${r.max.toFixed(1)} |`);
agent.destroy();
await emu.close();
