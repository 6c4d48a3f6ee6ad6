#!/usr/bin/env node
// Usage: node bench/gen-csv.mjs <rows> <outfile>
// Writes the benchmark's deterministic supplier CSV (`sku,qty`, SKUs SKU-0000001…; see
// lib/dataset.mjs), streamed with backpressure so memory stays flat whatever the row count.
import { writeFeedCsv } from './lib/dataset.mjs';

const [rowsArg, outFile] = process.argv.slice(2);
const rows = Number(rowsArg);
if (!Number.isInteger(rows) || rows < 0 || !outFile) {
  console.error('usage: node bench/gen-csv.mjs <rows> <outfile>');
  process.exit(2);
}

writeFeedCsv(rows, outFile).then((bytes) => {
  console.error(`wrote ${rows} rows to ${outFile} (${bytes} bytes)`);
}, (err) => {
  console.error(err.message);
  process.exit(1);
});
