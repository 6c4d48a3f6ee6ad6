/**
 * The benchmark's deterministic data set, shared by the feed files and the seeded stores so a
 * feed row and a store product with the same index `i` always carry the same SKU.
 *
 * - SKU of row/product i (1-based): `SKU-` + i zero-padded to `skuWidth(count)` digits.
 * - Feed quantity of row i: `feedQty(i)`, 0…997.
 * - A store product is "changed" (its stock differs from the feed, so `match` plans a write)
 *   when `i % changeEvery === 0`; its stock is then feedQty(i) + 1, otherwise feedQty(i).
 */
import fs from 'node:fs';
import { once } from 'node:events';

/** Digits in a SKU: 7 up to 9,999,999 rows (so 1k, 100k and 1M data sets share SKUs). */
export function skuWidth(count) {
  return Math.max(7, String(count).length);
}

export function skuOf(i, width = 7) {
  return `SKU-${String(i).padStart(width, '0')}`;
}

export function feedQty(i) {
  return (i * 7919) % 998;
}

/** Store stock for product i: the feed's quantity, or one more when the product is "changed". */
export function storeQty(i, changeEvery) {
  return changeEvery > 0 && i % changeEvery === 0 ? feedQty(i) + 1 : feedQty(i);
}

/** How many of products 1…count are "changed" (and so how many writes `match` plans). */
export function changedCount(count, changeEvery) {
  return changeEvery > 0 ? Math.floor(count / changeEvery) : 0;
}

/**
 * Write the supplier CSV (`sku,qty`, rows 1…rows) streamed with backpressure, so memory stays
 * flat whatever the row count. Resolves with the file size in bytes.
 */
export async function writeFeedCsv(rows, file) {
  const out = fs.createWriteStream(file);
  const failed = once(out, 'error').then(([err]) => { throw err; });
  failed.catch(() => {});
  const width = skuWidth(rows);
  let chunk = 'sku,qty\n';
  for (let i = 1; i <= rows; i++) {
    chunk += `${skuOf(i, width)},${feedQty(i)}\n`;
    if (chunk.length >= 64 * 1024) {
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      chunk = '';
    }
  }
  out.end(chunk);
  await Promise.race([once(out, 'finish'), failed]);
  return fs.statSync(file).size;
}
