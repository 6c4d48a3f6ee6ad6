#!/usr/bin/env node
// Usage: node bench/gen-csv.mjs <rows> <outfile>
// Writes a deterministic supplier CSV (`sku,qty`, SKUs SKU-0000001…) for benchmarks, streamed
// with backpressure so memory stays flat whatever the row count.
import fs from 'node:fs';
import { once } from 'node:events';

const [rowsArg, outFile] = process.argv.slice(2);
const rows = Number(rowsArg);
if (!Number.isInteger(rows) || rows < 0 || !outFile) {
  console.error('usage: node bench/gen-csv.mjs <rows> <outfile>');
  process.exit(2);
}

const out = fs.createWriteStream(outFile);
const failed = once(out, 'error').then(([err]) => { throw err; });
failed.catch(() => {});

async function main() {
  const width = Math.max(7, String(rows).length);
  let chunk = 'sku,qty\n';
  for (let i = 1; i <= rows; i++) {
    // Deterministic quantities 0…997, the same on every run.
    chunk += `SKU-${String(i).padStart(width, '0')},${(i * 7919) % 998}\n`;
    if (chunk.length >= 64 * 1024) {
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      chunk = '';
    }
  }
  out.end(chunk);
  await Promise.race([once(out, 'finish'), failed]);
  console.error(`wrote ${rows} rows to ${outFile} (${fs.statSync(outFile).size} bytes)`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
