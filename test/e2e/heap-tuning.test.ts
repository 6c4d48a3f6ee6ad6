/**
 * The built CLI tunes its heap itself (bin/invsync.js → dist/lib/heap.js), as cron runs it: no
 * NODE_OPTIONS needed. Observed from inside the CLI's process by a preloaded module that reports
 * V8's young generation size when the process exits, after a fetch of 200,000 CSV rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeJson } from '../helpers/cli.js';

const ROWS = 200_000;
const MiB = 1024 * 1024;
let emu: Awaited<ReturnType<typeof startWooEmulator>>;
let dir: string;

beforeAll(async () => {
  emu = await startWooEmulator({ products: simpleProducts(10) });
  dir = tempDir();
  const lines = ['sku,qty'];
  for (let i = 1; i <= ROWS; i++) lines.push(`SKU-${String(i).padStart(6, '0')},${i % 50}`);
  fs.writeFileSync(path.join(dir, 'feed.csv'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'probe.mjs'), `import v8 from 'node:v8';
process.on('exit', () => {
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stderr.write('NEW_SPACE_BYTES=' + young.space_size + '\\n');
});
`);
});
afterAll(async () => { await emu.close(); });

/** Young generation (bytes) of `invsync fetch` at exit. */
async function youngGenerationAfterFetch(name: string, env: Record<string, string> = {}, nodeOptions = ''): Promise<number> {
  const config = writeJson(path.join(dir, `${name}.config.json`), {
    stateDir: `state-${name}`,
    sources: [{ name: 'feed', type: 'csv', path: 'feed.csv' }],
    store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
  });
  const run = await runCli(['-c', config, 'fetch', '--json'], {
    cwd: dir,
    env: { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret, NODE_OPTIONS: `--import=${path.join(dir, 'probe.mjs')} ${nodeOptions}`.trim(), ...env },
  });
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout).counts.sourceItems).toBe(ROWS);
  const m = /NEW_SPACE_BYTES=(\d+)/.exec(run.stderr);
  if (!m) throw new Error(`no probe output: ${run.stderr}`);
  return Number(m[1]);
}

describe('heap tuning of the CLI process', () => {
  it('a fetch keeps V8\'s young generation at 16 MiB at most (V8 alone lets it grow to 32 MiB)', async () => {
    expect(await youngGenerationAfterFetch('tuned')).toBeLessThanOrEqual(16 * MiB);
  });

  it('INVSYNC_HEAP_TUNING=0 leaves V8\'s own sizing', async () => {
    expect(await youngGenerationAfterFetch('off', { INVSYNC_HEAP_TUNING: '0' })).toBeGreaterThan(16 * MiB);
  });

  it('a young generation size the user gives in NODE_OPTIONS wins (the tuning steps aside)', async () => {
    expect(await youngGenerationAfterFetch('user', {}, '--max-semi-space-size=64')).toBeGreaterThan(16 * MiB);
  });
});
