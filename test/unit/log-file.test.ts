import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Config } from '../../src/config/schema.js';
import { configureLogging, logger } from '../../src/lib/log.js';
import { openRotatingFile, parseSize } from '../../src/lib/log-file.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-logs-'));
}

describe('log.file rotation', () => {
  it('rotates a full file at start-up, keeping at most maxFiles old ones', () => {
    const dir = tmp();
    const file = path.join(dir, 'invsync.log');
    for (let run = 1; run <= 5; run++) {
      const log = openRotatingFile(file, { maxSize: 10, maxFiles: 2 });
      log.write(`run ${run}\n`.padEnd(12, '.'));
      log.close();
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['invsync.log', 'invsync.log.1', 'invsync.log.2']);
    // A full file is rotated when the next run starts, and the newest old file is .1.
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    expect(fs.readFileSync(`${file}.1`, 'utf8')).toMatch(/^run 5/);
    expect(fs.readFileSync(`${file}.2`, 'utf8')).toMatch(/^run 4/);
  });

  it('rotates during a run as soon as a write reaches maxSize, and appends below it', () => {
    const dir = tmp();
    const file = path.join(dir, 'sub', 'invsync.log');
    const log = openRotatingFile(file, { maxSize: 100, maxFiles: 3 });
    for (let i = 0; i < 60; i++) log.write(`${JSON.stringify({ i })}\n`);
    log.close();
    const files = fs.readdirSync(path.dirname(file)).sort();
    expect(files).toEqual(['invsync.log', 'invsync.log.1', 'invsync.log.2', 'invsync.log.3']);
    for (const f of files) expect(fs.statSync(path.join(path.dirname(file), f)).size).toBeLessThan(100 + 10);
    // Nothing lost within what is kept: the newest lines are in order across .1 → current.
    const kept = [`${file}.3`, `${file}.2`, `${file}.1`, file].map((f) => fs.readFileSync(f, 'utf8')).join('');
    const numbers = kept.trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, k) => 60 - numbers.length + k));
  });

  it('maxFiles 0 keeps no old file: the log is truncated instead', () => {
    const dir = tmp();
    const file = path.join(dir, 'invsync.log');
    fs.writeFileSync(file, 'x'.repeat(50));
    openRotatingFile(file, { maxSize: 20, maxFiles: 0 }).close();
    expect(fs.readdirSync(dir)).toEqual(['invsync.log']);
    expect(fs.statSync(file).size).toBe(0);
  });

  it('the logger writes JSON lines to the file at the configured level while stderr stays at warn (cron)', () => {
    const dir = tmp();
    const file = path.join(dir, 'invsync.log');
    configureLogging({ level: 'info', stderrLevel: 'silent', file, rotation: { maxSize: 1024 * 1024, maxFiles: 1 } });
    logger('test').info('hello file');
    logger('test').debug('not at info');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; module: string });
    expect(lines).toEqual([expect.objectContaining({ msg: 'hello file', module: 'test' })]);
    configureLogging({ level: 'silent' });
  });

  it('sizes are read as people write them; a bad one is a config error naming log.maxSize', () => {
    expect(parseSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseSize('500 kb')).toBe(500 * 1024);
    expect(parseSize('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('ten')).toBeUndefined();
    expect(parseSize('10XB')).toBeUndefined();
    expect(parseSize(0)).toBeUndefined();
    const base = { sources: [{ name: 'f', type: 'csv', path: 'x.csv' }], store: { type: 'woocommerce', url: 'https://s.example', consumerKey: 'k', consumerSecret: 's' } };
    expect(Config.parse(base).log).toEqual({ maxSize: 10 * 1024 * 1024, maxFiles: 5 });
    expect(Config.parse({ ...base, log: { file: 'a.log', maxSize: '2MB', maxFiles: 2 } }).log).toEqual({ file: 'a.log', maxSize: 2 * 1024 * 1024, maxFiles: 2 });
    const bad = Config.safeParse({ ...base, log: { maxSize: 'big' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['log', 'maxSize']);
  });
});
