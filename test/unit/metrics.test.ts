import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { lastSuccessAt, readLastSuccess, renderMetrics, writeTextfileAtomic } from '../../src/lib/metrics.js';
import { summaryOf } from '../helpers/summaries.js';

const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+-]+$/;

describe('Prometheus textfile metrics', () => {
  it('describe the last run: time, status (one-hot), duration, items per state, safety ratios, last success', () => {
    const text = renderMetrics(summaryOf({ status: 'partial', exitCode: 1, lowStock: [{ sku: 'A', qty: 0 }] }), new Date('2026-11-21T02:00:00Z'));
    const lines = text.trimEnd().split('\n');
    for (const line of lines) if (!line.startsWith('#')) expect(line).toMatch(SAMPLE);
    for (const line of lines.filter((l) => l.startsWith('# TYPE'))) expect(line).toMatch(/ gauge$/);
    expect(lines).toContain(`invsync_last_run_timestamp_seconds ${Date.parse('2026-11-22T02:00:01.935Z') / 1000}`);
    expect(lines).toContain('invsync_last_run_status{status="partial"} 1');
    expect(lines).toContain('invsync_last_run_status{status="ok"} 0');
    expect(lines.filter((l) => l.startsWith('invsync_last_run_status{') && l.endsWith(' 1'))).toHaveLength(1);
    expect(lines).toContain('invsync_last_run_exit_code 1');
    expect(lines).toContain('invsync_last_run_duration_seconds 1.812');
    for (const [state, n] of [['applied', 2], ['failed', 0], ['pending', 0], ['changed', 2], ['unchanged', 296], ['missing', 2], ['rejected', 0]] as const) {
      expect(lines).toContain(`invsync_items{state="${state}"} ${n}`);
    }
    expect(lines).toContain(`invsync_safety_ratio{gate="missing"} ${2 / 300}`);
    expect(lines).toContain(`invsync_safety_ratio{gate="zero"} ${1 / 300}`);
    expect(lines).toContain('invsync_source_items{source="feed"} 300');
    expect(lines).toContain('invsync_low_stock_items 1');
    expect(lines).toContain(`invsync_last_success_timestamp_seconds ${Date.parse('2026-11-21T02:00:00Z') / 1000}`);
  });

  it('leave out the last-success clock when there never was a success, and escape label values', () => {
    const text = renderMetrics(summaryOf({ sources: { 'we"ird\\name': { items: 1, rejected: 0, matched: 1 } } }), null);
    expect(text).not.toContain('invsync_last_success_timestamp_seconds');
    expect(text).toContain('invsync_source_items{source="we\\"ird\\\\name"} 1');
  });

  it('the last success is the newest ok full or push that was not a dry run', () => {
    const runs = [
      { command: 'full', dryRun: true, status: 'ok', finishedAt: '2026-11-22T05:00:00Z' },
      { command: 'fetch', dryRun: false, status: 'ok', finishedAt: '2026-11-22T04:00:00Z' },
      { command: 'full', dryRun: false, status: 'failed', finishedAt: '2026-11-22T03:00:00Z' },
      { command: 'push', dryRun: false, status: 'ok', finishedAt: '2026-11-22T02:00:00Z' },
      { command: 'full', dryRun: false, status: 'ok', finishedAt: '2026-11-22T01:00:00Z' },
    ];
    expect(lastSuccessAt(runs)?.toISOString()).toBe('2026-11-22T02:00:00.000Z');
    expect(lastSuccessAt(runs.slice(0, 3))).toBeNull();
  });

  it('are written atomically: the file is replaced whole and no temp file is left for the collector', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-metrics-'));
    const file = path.join(dir, 'collector', 'invsync.prom');
    writeTextfileAtomic(file, renderMetrics(summaryOf(), new Date('2026-11-21T00:00:00Z')));
    writeTextfileAtomic(file, 'invsync_last_run_exit_code 5\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('invsync_last_run_exit_code 5\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['invsync.prom']);
    expect(readLastSuccess(file)).toBeNull();
    writeTextfileAtomic(file, renderMetrics(summaryOf(), new Date('2026-11-21T00:00:00Z')));
    expect(readLastSuccess(file)?.toISOString()).toBe('2026-11-21T00:00:00.000Z');
  });

  it('are flushed to disk before they replace the old file, and stay readable by node_exporter (0644)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-metrics-'));
    const file = path.join(dir, 'invsync.prom');
    const events: string[] = [];
    const realFsync = fs.fsyncSync;
    const realRename = fs.renameSync;
    const fsync = jest.spyOn(fs, 'fsyncSync').mockImplementation((fd) => { events.push('fsync'); realFsync(fd); });
    const rename = jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => { events.push('rename'); realRename(from, to); });
    const umask = process.umask(0o077);
    try {
      writeTextfileAtomic(file, 'invsync_last_run_exit_code 0\n');
    } finally {
      process.umask(umask);
      fsync.mockRestore();
      rename.mockRestore();
    }
    expect(events).toEqual(['fsync', 'rename']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(dir)).toEqual(['invsync.prom']);
  });
});
