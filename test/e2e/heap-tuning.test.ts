/**
 * The built CLI sets its heap tuning before its modules load (bin/invsync.js → dist/cli/heap.js),
 * as cron runs it: no NODE_OPTIONS needed. Observed from inside the CLI's process by a preloaded
 * module that reports V8's young generation size when the process exits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runCli, tempDir } from '../helpers/cli.js';

/** The CLI's young generation (MiB of V8's new space) at exit, from a preload that prints it on stderr. */
async function youngGenerationAtExit(env: Record<string, string> = {}, nodeOptions = ''): Promise<number> {
  const dir = tempDir();
  const probe = path.join(dir, 'probe.mjs');
  fs.writeFileSync(probe, `import v8 from 'node:v8';
process.on('exit', () => {
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stderr.write('NEW_SPACE_MIB=' + young.space_size / 1048576 + '\\n');
});
`);
  // `--help` loads every command's modules (that alone grows an untuned young generation) and exits 0.
  const run = await runCli(['--help'], { env: { NODE_OPTIONS: `--import=${probe} ${nodeOptions}`.trim(), ...env } });
  expect(run.code).toBe(0);
  const m = /NEW_SPACE_MIB=([\d.]+)/.exec(run.stderr);
  if (!m) throw new Error(`no probe output: ${run.stderr}`);
  return Number(m[1]);
}

describe('heap tuning of the CLI process', () => {
  it('keeps V8\'s young generation at its initial 2 × 1 MiB while the CLI loads', async () => {
    expect(await youngGenerationAtExit()).toBeLessThanOrEqual(2);
  });

  it('INVSYNC_HEAP_TUNING=0 leaves V8\'s own sizing (the young generation grows while loading)', async () => {
    expect(await youngGenerationAtExit({ INVSYNC_HEAP_TUNING: '0' })).toBeGreaterThan(2);
  });

  it('a young generation size the user gives in NODE_OPTIONS wins (the tuning steps aside)', async () => {
    expect(await youngGenerationAtExit({}, '--max-semi-space-size=32')).toBeGreaterThan(2);
  });
});
