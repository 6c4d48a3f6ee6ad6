import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SnapshotError } from '../../src/domain/errors.js';
import type { SnapshotRecord } from '../../src/domain/types.js';
import { openSnapshot, writableRecord, writeSnapshot } from '../../src/pipeline/snapshot.js';
import { failure } from '../helpers/failure.js';
import { readSnapshot } from '../helpers/snapshot.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-snapshot-')); });
afterAll(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

let dirCount = 0;
function freshDir(): string {
  const dir = path.join(tmp, `case-${++dirCount}`);
  fs.mkdirSync(dir);
  return dir;
}

const item = (source: string, sku: string, qty: number, row: number): SnapshotRecord => ({ kind: 'item', source, sku, qty, row });
const rejected = (source: string, row: number, reason: string, sku?: string): SnapshotRecord =>
  sku === undefined ? { kind: 'rejected', source, row, reason } : { kind: 'rejected', source, row, reason, sku };

const sample: SnapshotRecord[] = [
  item('feed', 'A-1', 5, 2),
  item('feed', 'Ünïcode "quoted" \\ sku', 2.5, 3),
  rejected('feed', 7, 'non-numeric quantity "x"', 'B'),
  rejected('feed', 8, 'no SKU'),
  item('dsz', 'A-1', -3, 1),
];

async function* fromArray<T>(values: T[]): AsyncGenerator<T> {
  for (const v of values) yield v;
}

async function* throwsAfter(values: SnapshotRecord[], message: string): AsyncGenerator<SnapshotRecord> {
  yield* values;
  throw new Error(message);
}

async function readAll(filePath: string): Promise<SnapshotRecord[]> {
  const out: SnapshotRecord[] = [];
  for await (const record of readSnapshot(filePath)) out.push(record);
  return out;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('snapshot: writing and reading', () => {
  it('reads back exactly what was written, with counts per source and the file checksum', async () => {
    const file = path.join(freshDir(), 'snapshot.json');
    const info = await writeSnapshot(file, { sources: ['feed', 'dsz', 'empty'] }, fromArray(sample));
    expect(info).toMatchObject({
      items: 3,
      rejected: 2,
      perSource: { feed: { items: 2, rejected: 2 }, dsz: { items: 1, rejected: 0 }, empty: { items: 0, rejected: 0 } },
      bytes: fs.statSync(file).size,
      checksum: sha256(file),
    });

    const reader = await openSnapshot(file);
    expect(reader.header).toEqual({ version: 1, createdAt: info.createdAt, sources: ['feed', 'dsz', 'empty'] });
    expect(reader.trailer).toEqual({ items: 3, rejected: 2, perSource: info.perSource });
    expect(reader.checksum).toBe(info.checksum);
    const first: SnapshotRecord[] = [];
    for await (const record of reader.records()) first.push(record);
    expect(first).toEqual(sample);
    // records() can be read again.
    const second: SnapshotRecord[] = [];
    for await (const record of reader.records()) second.push(record);
    expect(second).toEqual(sample);
    expect(await readAll(file)).toEqual(sample);
  });

  it('is one valid JSON document, one entry per line, header first and trailer last', async () => {
    const file = path.join(freshDir(), 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed', 'dsz'], createdAt: '2026-01-02T03:04:05.000Z' }, fromArray(sample));
    const text = fs.readFileSync(file, 'utf8');
    const doc = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(doc).toHaveLength(sample.length + 2);
    expect(doc[0]).toEqual({ type: 'header', version: 1, createdAt: '2026-01-02T03:04:05.000Z', sources: ['feed', 'dsz'] });
    expect(doc[1]).toEqual({ type: 'item', source: 'feed', sku: 'A-1', qty: 5, row: 2 });
    expect(doc[3]).toEqual({ type: 'rejected', source: 'feed', row: 7, reason: 'non-numeric quantity "x"', sku: 'B' });
    expect(doc.at(-1)).toEqual({ type: 'trailer', items: 3, rejected: 2, perSource: { feed: { items: 2, rejected: 2 }, dsz: { items: 1, rejected: 0 } } });
    const lines = text.split('\n');
    expect(lines[0]).toBe('[');
    expect(lines.at(-2)).toBe(']');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(sample.length + 5);
  });

  it('carries the fetch id in its header; a header without one (written before fetch ids) still reads', async () => {
    const file = path.join(freshDir(), 'snapshot.json');
    const info = await writeSnapshot(file, { sources: ['feed'], fetchId: 'f-123' }, fromArray([item('feed', 'X', 1, 2)]));
    expect(info.fetchId).toBe('f-123');
    expect((JSON.parse(fs.readFileSync(file, 'utf8')) as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 'header', fetchId: 'f-123' });
    expect((await openSnapshot(file)).header).toEqual({ version: 1, createdAt: info.createdAt, sources: ['feed'], fetchId: 'f-123' });
    await writeSnapshot(file, { sources: ['feed'] }, fromArray([item('feed', 'X', 1, 2)]));
    expect((await openSnapshot(file)).header.fetchId).toBeUndefined();
  });

  it('refuses a header whose fetch id is not a non-empty string', async () => {
    const file = path.join(freshDir(), 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed'], fetchId: 'f-1' }, fromArray([item('feed', 'X', 1, 2)]));
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"fetchId":"f-1"', '"fetchId":""'));
    await expect(openSnapshot(file)).rejects.toThrow(/line 2 is not a valid snapshot header/);
  });

  it('creates the state directory when it does not exist yet', async () => {
    const file = path.join(freshDir(), 'a', 'b', 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed'] }, fromArray([item('feed', 'X', 1, 2)]));
    expect(await readAll(file)).toEqual([item('feed', 'X', 1, 2)]);
  });

  it('writes and reads 200,000 records', async () => {
    const file = path.join(freshDir(), 'snapshot.json');
    async function* many(): AsyncGenerator<SnapshotRecord> {
      for (let i = 1; i <= 200_000; i++) yield item('feed', `SKU-${String(i).padStart(7, '0')}`, i % 50, i + 1);
    }
    const info = await writeSnapshot(file, { sources: ['feed'] }, many());
    expect(info.items).toBe(200_000);
    let count = 0;
    let last: SnapshotRecord | undefined;
    for await (const record of readSnapshot(file)) { count++; last = record; }
    expect(count).toBe(200_000);
    expect(last).toEqual(item('feed', 'SKU-0200000', 0, 200_001));
  });
});

describe('snapshot: refusing a bad file', () => {
  async function written(): Promise<string> {
    const file = path.join(freshDir(), 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed', 'dsz'] }, fromArray(sample));
    return file;
  }

  it('refuses a missing snapshot and says to run fetch', async () => {
    const err = await failure(openSnapshot(path.join(freshDir(), 'snapshot.json')));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toContain('no snapshot yet: run `invsync fetch` first');
  });

  it('refuses a file cut off before its trailer', async () => {
    const file = await written();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.indexOf('{"type":"trailer"')));
    const err = await failure(openSnapshot(file));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toMatch(/snapshot\.json is incomplete/);
  });

  it('refuses a file cut off in the middle of a record, after the trailer, or empty', async () => {
    const file = await written();
    const text = fs.readFileSync(file, 'utf8');
    for (const cut of [text.slice(0, text.indexOf('"sku":"B"')), text.slice(0, text.lastIndexOf(']')), '', '[\n']) {
      fs.writeFileSync(file, cut);
      await expect(openSnapshot(file)).rejects.toThrow(/is incomplete/);
    }
  });

  it('refuses a snapshot whose trailer counts more records than the file holds', async () => {
    const file = await written();
    const text = fs.readFileSync(file, 'utf8');
    // Drop one record line but keep the trailer: as if lines were lost.
    const lines = text.split('\n');
    lines.splice(2, 1);
    fs.writeFileSync(file, lines.join('\n'));
    await expect(openSnapshot(file)).rejects.toThrow(/is corrupt: its trailer counts 5 record\(s\) but the file holds 4/);
  });

  it('refuses, at the end of reading, records that do not add up to the trailer', async () => {
    const file = await written();
    const text = fs.readFileSync(file, 'utf8');
    // Same number of lines, but one item turned into a rejected row.
    fs.writeFileSync(file, text.replace('{"type":"item","source":"feed","sku":"A-1","qty":5,"row":2}', '{"type":"rejected","source":"feed","row":2,"reason":"x"}'));
    const reader = await openSnapshot(file);
    const seen: SnapshotRecord[] = [];
    const err = await failure((async () => { for await (const r of reader.records()) seen.push(r); })());
    expect(seen).toHaveLength(sample.length);
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toContain('its records do not match its trailer ("feed": 1 item(s) and 3 rejected row(s), the trailer says 2 and 2)');
  });

  it('names the line of a malformed entry', async () => {
    const file = await written();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"sku":"B"}', '"sku":"B"'));
    const err = await failure(readAll(file));
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err.message).toMatch(/snapshot\.json is corrupt: line 5 is not valid JSON/);
  });

  it('refuses an unknown format version', async () => {
    const file = await written();
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"version":1', '"version":2'));
    await expect(openSnapshot(file)).rejects.toThrow(/snapshot format version 2, which this invsync cannot read/);
  });

  it('notices when the file was replaced after it was opened', async () => {
    const file = await written();
    const reader = await openSnapshot(file);
    await writeSnapshot(file, { sources: ['feed', 'dsz'] }, fromArray(sample.slice().reverse()));
    await expect((async () => { for await (const _ of reader.records()) { /* drain */ } })()).rejects.toThrow(/changed while it was being read/);
  });
});

describe('snapshot: one bad record never fails the fetch (SPEC §8)', () => {
  it('writes an item with an impossible quantity as a rejected row naming it, and the rest as usual', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'snapshot.json');
    const records: SnapshotRecord[] = [
      item('feed', 'A', 5, 2),
      item('feed', 'HUGE', Infinity, 3),
      item('feed', 'BIG', 4294967297, 4),
      item('feed', 'NAN', NaN, 5),
      item('feed', '', 1, 6),
      { kind: 'item', source: 'feed', sku: 'STR', qty: '7' as unknown as number, row: 7 },
      item('feed', 'ROW', 1, 1.5),
      { kind: 'rejected', source: 'feed', row: 9, reason: undefined as unknown as string },
      item('feed', 'Z', 2, 10),
    ];
    const info = await writeSnapshot(file, { sources: ['feed'] }, fromArray(records));
    expect(info.perSource).toEqual({ feed: { items: 2, rejected: 7 } });
    expect(await readAll(file)).toEqual([
      item('feed', 'A', 5, 2),
      rejected('feed', 3, 'invalid item: quantity Infinity is out of range (0 … 2147483647)', 'HUGE'),
      rejected('feed', 4, 'invalid item: quantity 4294967297 is out of range (0 … 2147483647)', 'BIG'),
      rejected('feed', 5, 'invalid item: quantity NaN is not a number', 'NAN'),
      rejected('feed', 6, 'invalid item: no SKU'),
      rejected('feed', 7, 'invalid item: non-numeric quantity of type string', 'STR'),
      rejected('feed', 0, 'invalid item: no valid row number (1.5)', 'ROW'),
      rejected('feed', 9, 'rejected (no reason given)'),
      item('feed', 'Z', 2, 10),
    ]);
  });

  it('writableRecord returns a valid record unchanged (the same object: no copy per row)', () => {
    const ok = item('feed', 'A', 2.5, 2);
    expect(writableRecord(ok)).toBe(ok);
    const bad = rejected('feed', 3, 'no SKU');
    expect(writableRecord(bad)).toBe(bad);
  });

  it('flushes the file to disk before the rename and the directory after it', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'snapshot.json');
    const probe = await fs.promises.open(path.join(dir, 'probe'), 'w');
    const handleProto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    fs.rmSync(path.join(dir, 'probe'));
    const events: string[] = [];
    const realSync = handleProto.sync;
    const realRename = fs.promises.rename;
    const sync = jest.spyOn(handleProto, 'sync').mockImplementation(function (this: fs.promises.FileHandle) {
      events.push('sync');
      return realSync.call(this);
    });
    const rename = jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
      events.push('rename');
      return realRename(from, to);
    });
    try {
      await writeSnapshot(file, { sources: ['feed'] }, fromArray([item('feed', 'X', 1, 2)]));
    } finally {
      sync.mockRestore();
      rename.mockRestore();
    }
    expect(events).toEqual(['sync', 'rename', 'sync']);
  });
});

describe('snapshot: a failed write keeps the previous snapshot', () => {
  it('a source failing half-way leaves the previous snapshot byte-identical and no temp file', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed', 'dsz'] }, fromArray(sample));
    const before = fs.readFileSync(file);
    const many = Array.from({ length: 20_000 }, (_, i) => item('feed', `NEW-${i}`, 1, i + 2));
    await expect(writeSnapshot(file, { sources: ['feed'] }, throwsAfter(many, 'feed went away'))).rejects.toThrow('feed went away');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['snapshot.json']);
    expect(await readAll(file)).toEqual(sample);
  });

  it('beforeRename runs with the new file complete on disk and the previous one still in place', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed', 'dsz'] }, fromArray(sample));
    const before = fs.readFileSync(file);
    let seen: { previous: boolean; temps: string[] } | undefined;
    await writeSnapshot(file, { sources: ['feed'] }, fromArray([item('feed', 'X', 1, 2)]), {
      beforeRename: async () => {
        const temps = fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
        seen = { previous: fs.readFileSync(file).equals(before), temps };
        expect(fs.readFileSync(path.join(dir, temps[0]!), 'utf8')).toMatch(/"type":"trailer".*\n\]\n$/);
      },
    });
    expect(seen).toEqual({ previous: true, temps: [expect.stringMatching(/^\.snapshot\.json\./)] });
    expect(await readAll(file)).toEqual([item('feed', 'X', 1, 2)]);
  });

  it('a failing beforeRename (the store listing failed) keeps the previous snapshot byte-identical and no temp file', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed', 'dsz'] }, fromArray(sample));
    const before = fs.readFileSync(file);
    const err = await failure(writeSnapshot(file, { sources: ['feed'] }, fromArray([item('feed', 'X', 1, 2)]), {
      beforeRename: () => Promise.reject(new Error('listing failed')),
    }));
    expect(err.message).toBe('listing failed');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['snapshot.json']);
  });

  it('a record from an undeclared source fails the write without touching the previous snapshot', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed', 'dsz'] }, fromArray(sample));
    const before = fs.readFileSync(file);
    await expect(writeSnapshot(file, { sources: ['feed'] }, fromArray(sample))).rejects.toThrow(/source "dsz", which is not in the header/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['snapshot.json']);
  });

  it('fails cleanly when the state directory cannot be created (its parent is a file)', async () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, 'blocker'), 'not a directory');
    const err = await failure(writeSnapshot(path.join(dir, 'blocker', 'state', 'snapshot.json'), { sources: ['feed'] }, fromArray(sample)));
    expect((err as NodeJS.ErrnoException).code).toMatch(/ENOTDIR|EEXIST/);
    expect(fs.readdirSync(dir)).toEqual(['blocker']);
  });

  it('removes temp files left by a writer that was killed', async () => {
    const dir = freshDir();
    const stale = path.join(dir, '.snapshot.json.999999999.abcdef.tmp');
    fs.writeFileSync(stale, '[\n{"type":"header"');
    await writeSnapshot(path.join(dir, 'snapshot.json'), { sources: ['feed'] }, fromArray([item('feed', 'X', 1, 2)]));
    expect(fs.readdirSync(dir)).toEqual(['snapshot.json']);
  });

  const posixOnly = process.platform === 'win32' ? it.skip : it;
  posixOnly('a write failing with EFBIG (file size limit) removes the temp file and keeps the previous snapshot', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'snapshot.json');
    await writeSnapshot(file, { sources: ['feed', 'dsz'] }, fromArray(sample));
    const before = fs.readFileSync(file);

    // A child process with a 64-block file size limit writes ~10 MB: the kernel refuses with EFBIG.
    const { build } = await import('esbuild');
    const bundle = path.join(dir, 'snapshot.cjs');
    await build({
      entryPoints: [path.join(root, 'src/pipeline/snapshot.ts')],
      bundle: true, platform: 'node', format: 'cjs', packages: 'external', outfile: bundle, logLevel: 'silent',
    });
    const child = path.join(dir, 'child.cjs');
    fs.writeFileSync(child, `
      const { writeSnapshot } = require(${JSON.stringify(bundle)});
      async function* many() { for (let i = 0; i < 200000; i++) yield { kind: 'item', source: 'feed', sku: 'SKU-' + i, qty: 1, row: i + 2 }; }
      writeSnapshot(${JSON.stringify(file)}, { sources: ['feed'] }, many())
        .then(() => { console.log('written'); process.exit(0); }, (err) => { console.log(err.code); process.exit(7); });
    `);
    const result = spawnSync('sh', ['-c', `ulimit -f 64 && exec "${process.execPath}" "${child}"`], {
      encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') },
    });
    expect(result.stdout.trim()).toBe('EFBIG');
    expect(result.status).toBe(7);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readAll(file)).toEqual(sample);
  });
});
