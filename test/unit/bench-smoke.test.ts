/**
 * The benchmark script (bench/run.mjs) in its tiny --smoke mode: every stage still runs against
 * the built CLI and the emulator, and the report comes out with its tables. Not a benchmark:
 * no figure is judged here, only that the bench works and writes where it is told.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCHMARKS = path.join(ROOT, 'BENCHMARKS.md');

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-bench-smoke-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'bench/run.mjs'), ...args], { cwd: ROOT, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const readIfExists = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null);

describe('npm run bench (smoke mode)', () => {
  it('runs every stage and writes the report with a targets table and one table per stage, leaving BENCHMARKS.md alone', async () => {
    const out = path.join(dir, 'report.md');
    const before = readIfExists(BENCHMARKS);

    const result = await runBench(['--smoke', '--out', out]);

    expect(result.stderr).not.toContain('bench failed');
    expect(result.code).toBe(0);
    const report = fs.readFileSync(out, 'utf8');
    expect(report).toContain('## Machine');
    expect(report).toContain(`| Node | ${process.version} |`);
    const targets = report.split('## Targets')[1]?.split('\n## ')[0] ?? '';
    expect(targets).toContain('| what | target | measured | result |');
    for (const stage of ['fetch CSV', 'fetch JSON API', 'store index (http)', 'store index (https)', 'match', 'push', 'full', 'baseline', 'store index refresh', 'incremental index refresh']) {
      expect(targets).toMatch(new RegExp(`^\\| ${stage.replace(/[()]/g, '\\$&')}.*\\| (\\*\\*met\\*\\*|\\*\\*NOT met\\*\\*|n/a) \\|$`, 'm'));
    }
    for (const section of ['## fetch — CSV', '## fetch — paged JSON API', '## store index —', '## match —', '## push —', '## full —', '## invsync vs the old way', '## store index refresh cost', '## incremental store index refresh']) {
      const body = report.split(section)[1]?.split('\n## ')[0] ?? '';
      // A section has its table: a header row, the separator and at least one data row.
      expect([section, /\n\|[^\n]+\|\n\|(---\|)+\n\|[^\n]+\|/.test(body)]).toEqual([section, true]);
    }
    expect(result.stdout).toContain('## Targets');
    expect(readIfExists(BENCHMARKS)).toBe(before);
  }, 90_000);

  it('refuses an unknown stage name with a message naming it', async () => {
    const result = await runBench(['--smoke', '--stages', 'fetch-csv,nope']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown stage(s) nope');
  }, 30_000);
});
