#!/usr/bin/env node
// Usage: node bench/store-index-db.mjs [--items N] [--src path/to/state/store-index.ts]
//
// The SQLite side of the store index, without the network: N synthetic store items (default
// 1,000,000) streamed into a fresh database twice (a first fetch, then a second fetch replacing a
// full index, the usual case). Prints, per fetch, the wall time, the time of the final commit
// (with staging: the swap done after the snapshot rename) and peak RSS
// (process.resourceUsage().maxRSS, cumulative over the process).
//
// `--src` bundles another version of store-index.ts (and the db.ts/migrations.ts beside it), e.g.
// one extracted with `git show <commit>:src/state/store-index.ts`, so before/after can be compared.
// Works with both APIs: `replaceStoreIndex` (before fetch ids) and `stageStoreIndex` + `commit()`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { items: { type: 'string' }, src: { type: 'string' } } });
const items = Number(values.items ?? 1_000_000);
const src = path.resolve(values.src ?? path.join(root, 'src/state/store-index.ts'));

const { build } = await import('esbuild');
// NOTE: inside the work tree (not /tmp) so that better-sqlite3 resolves from its node_modules.
const outdir = fs.mkdtempSync(path.join(root, '.bench-store-index-'));
await build({
  entryPoints: { index: src, db: path.join(path.dirname(src), 'db.ts') },
  bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external',
  outdir, outExtension: { '.js': '.mjs' }, logLevel: 'warning',
});
const mod = await import(pathToFileURL(path.join(outdir, 'index.mjs')).href);
const { openDb } = await import(pathToFileURL(path.join(outdir, 'db.mjs')).href);

async function* storeItems(n, qty) {
  for (let i = 0; i < n; i++) {
    yield { sku: `SKU-${String(i).padStart(8, '0')}`, productId: i + 1, variationId: null, qty: (i + qty) % 50, managed: true, name: `Product ${i}` };
  }
}

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-bench-index-'));
const db = openDb(stateDir);
try {
  for (const round of [1, 2]) {
    const started = performance.now();
    let commitMs;
    if (mod.stageStoreIndex) {
      const staged = await mod.stageStoreIndex(db, { store: 'bench', fetchId: `f${round}` }, storeItems(items, round));
      const c = performance.now();
      staged.commit();
      commitMs = performance.now() - c;
    } else {
      await mod.replaceStoreIndex(db, 'bench', storeItems(items, round));
      commitMs = NaN; // inside replaceStoreIndex; not separable
    }
    const wallMs = performance.now() - started;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    const count = db.prepare('SELECT COUNT(*) AS n FROM store_items').get().n;
    const dbMb = fs.statSync(path.join(stateDir, 'invsync.db')).size / 1024 / 1024;
    console.log(`fetch ${round}: ${items} items in ${(wallMs / 1000).toFixed(2)} s (${Math.round(items / (wallMs / 1000))} items/s), ` +
      `final commit ${Number.isNaN(commitMs) ? 'n/a' : `${(commitMs / 1000).toFixed(2)} s`}, peak RSS ${rssMb.toFixed(0)} MB, ` +
      `store_items ${count}, db file ${dbMb.toFixed(0)} MB`);
  }
} finally {
  db.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(outdir, { recursive: true, force: true });
}
