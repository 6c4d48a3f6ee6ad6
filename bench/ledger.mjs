#!/usr/bin/env node
// Usage: npm run build && node bench/ledger.mjs [--rows 2000000] [--days 365] [--skus 20000] [--dir <dir>]
//
// The ledger source over a year of daily exports: <days> purchase and sale files holding <rows>
// movement rows in all, plus one count file of <skus> SKUs. Each run is a child process that
// streams the source into a snapshot (the `fetch` data path, without the store) and commits the
// ledger (applyStagedLedger), as `invsync fetch` does. Four runs:
//   1. first read        every row is new: staged, then applied;
//   2. same files        unchanged inputs are skipped (digest), balances from the database;
//   3. files touched     every file re-read (mtime changed), every row recognised, nothing applied;
//   4. one more day      yesterday's files skipped, one new day of movements read.
// Prints wall time, peak RSS (process.resourceUsage().maxRSS) and rows/s per run. Uses dist/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

if (process.argv[2] === '--child') {
  await child(process.argv[3]);
} else {
  await parent();
}

async function parent() {
  const rows = Number(arg('rows', 2_000_000));
  const days = Number(arg('days', 365));
  const skus = Number(arg('skus', 20_000));
  const dir = path.resolve(arg('dir', path.join(os.tmpdir(), `invsync-ledger-bench-${rows}`)));
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of ['counts', 'purchases', 'sales', 'state']) fs.mkdirSync(path.join(dir, f), { recursive: true });

  const t0 = Date.now();
  const sku = (i) => `SKU-${String(i).padStart(6, '0')}`;
  fs.writeFileSync(path.join(dir, 'counts/2025-01-01.csv'), `sku,qty,at\n${Array.from({ length: skus }, (_, i) => `${sku(i)},${1000 + (i % 50)},2025-01-01T00:00:00Z`).join('\n')}\n`);
  const perDay = Math.ceil(rows / days);
  let written = 0;
  let seed = 42;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const writeDay = (d) => {
    const date = new Date(Date.UTC(2025, 0, 2 + d)).toISOString().slice(0, 10);
    const n = Math.min(perDay, rows - written);
    const purchases = ['id,sku,qty,at'];
    const sales = ['id,sku,qty,at'];
    for (let k = 0; k < n; k++) {
      const line = `${sku(rand(skus))},${1 + rand(5)},${date}T${String(8 + (k % 10)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}:00Z`;
      if (k % 5 === 0) purchases.push(`PO-${d}-${k},${line}`); else sales.push(`INV-${d}-${k},${line}`);
    }
    fs.writeFileSync(path.join(dir, `purchases/${date}.csv`), `${purchases.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, `sales/${date}.csv`), `${sales.join('\n')}\n`);
    written += n;
  };
  for (let d = 0; d < days && written < rows; d++) writeDay(d);
  const bytes = ['purchases', 'sales'].reduce((s, f) => s + fs.readdirSync(path.join(dir, f)).reduce((t, x) => t + fs.statSync(path.join(dir, f, x)).size, 0), 0);
  console.log(`generated ${written} movement rows in ${days * 2} files (${(bytes / 1e6).toFixed(1)} MB) + ${skus} counted SKUs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}\n`);

  const runOnce = (label) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dir], { encoding: 'utf8', env: { ...process.env, INVSYNC_LOG_LEVEL: 'info' } });
    if (r.status !== 0) { console.error(r.stdout, r.stderr); process.exit(1); }
    const m = JSON.parse(r.stdout.trim().split('\n').pop());
    // The source's own log line counts what it read: new + already known + conflicts + rejected.
    const line = r.stderr.split('\n').filter((l) => l.includes('"module":"ledger"')).map((l) => JSON.parse(l)).pop();
    m.rowsRead = line ? line.new + line.repeated + line.conflicts + line.rejected : 0;
    const rate = m.rowsRead > 0 ? `${Math.round(m.rowsRead / (m.readMs / 1000)).toLocaleString('en-US')} rows/s` : '-';
    console.log(`${label.padEnd(16)} wall ${(m.wallMs / 1000).toFixed(2).padStart(6)} s  (read+stage ${(m.readMs / 1000).toFixed(2)} s, balances ${(m.balanceMs / 1000).toFixed(2)} s, commit ${(m.commitMs / 1000).toFixed(2)} s)  peak RSS ${m.peakRssMb} MB  rows read ${m.rowsRead}  ${rate}  applied ${m.applied}  SKUs ${m.items}`);
    return m;
  };
  runOnce('1. first read');
  runOnce('2. same files');
  const touched = new Date();
  for (const f of ['purchases', 'sales']) for (const x of fs.readdirSync(path.join(dir, f))) fs.utimesSync(path.join(dir, f, x), touched, touched);
  runOnce('3. files touched');
  const before = written;
  written = 0;
  // One more day of exports (new ids), the others unchanged.
  const extraRows = perDay;
  const date = '2026-01-02';
  const lines = ['id,sku,qty,at'];
  for (let k = 0; k < extraRows; k++) lines.push(`INV-new-${k},${sku(rand(skus))},1,${date}T10:00:00Z`);
  fs.writeFileSync(path.join(dir, `sales/${date}.csv`), `${lines.join('\n')}\n`);
  written = before;
  runOnce('4. one more day');
  fs.rmSync(dir, { recursive: true, force: true });
}

async function child(dir) {
  const started = Date.now();
  const { LedgerSourceConfig } = await import(pathToFileURL(path.join(root, 'dist/config/schema.js')).href);
  const { createLedgerSource } = await import(pathToFileURL(path.join(root, 'dist/sources/ledger/index.js')).href);
  const { writeSnapshot } = await import(pathToFileURL(path.join(root, 'dist/pipeline/snapshot.js')).href);
  const { openDb } = await import(pathToFileURL(path.join(root, 'dist/state/db.js')).href);
  const { applyStagedLedger } = await import(pathToFileURL(path.join(root, 'dist/state/ledger.js')).href);
  const { configureLogging } = await import(pathToFileURL(path.join(root, 'dist/lib/log.js')).href);
  configureLogging({ level: 'info', pretty: false });
  const db = openDb(path.join(dir, 'state'));
  const config = LedgerSourceConfig.parse({
    name: 'warehouse', type: 'ledger', counts: path.join(dir, 'counts/*.csv'),
    movements: [
      { name: 'purchases', path: path.join(dir, 'purchases/*.csv'), kind: 'purchase' },
      { name: 'sales', path: path.join(dir, 'sales/*.csv'), kind: 'sale' },
    ],
  });
  const fetchId = `bench-${Date.now()}`;
  const source = createLedgerSource(config, { stateDir: path.join(dir, 'state'), db, fetchId });
  let firstItemAt;
  const t0 = Date.now();
  async function* tagged() {
    for await (const r of source.stream()) {
      if (r.kind === 'item' && firstItemAt === undefined) firstItemAt = Date.now();
      r.source = 'warehouse';
      yield r;
    }
  }
  const info = await writeSnapshot(path.join(dir, 'state/snapshot.json'), { sources: ['warehouse'] }, tagged());
  const t1 = Date.now();
  const c0 = Date.now();
  const applied = db.transaction(() => applyStagedLedger(db, fetchId))();
  const commitMs = Date.now() - c0;
  db.close();
  const m = {
    wallMs: Date.now() - started,
    readMs: (firstItemAt ?? t1) - t0,
    balanceMs: t1 - (firstItemAt ?? t1),
    commitMs,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    applied: applied.movements + applied.counts,
    items: info.items,
  };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

