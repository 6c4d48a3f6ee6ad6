/**
 * A plan larger than a summary lists (10,000 changes): memory stays flat, and `show` still
 * gives every change, streamed from the plan.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_WOO_KEY, simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';
import type { RunSummary } from '../../src/domain/types.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

describe('a plan of more than 10,000 changes', () => {
  it('lists the first 10,000 in the summary with changesTotal, and show streams them all', async () => {
    const N = 10_050;
    const emu = await startWooEmulator({ products: simpleProducts(N, { stock: () => 0, skuPrefix: 'L-' }) });
    running.push(emu);
    const dir = tempDir();
    writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: N }, (_, k) => [`L-${String(k + 1).padStart(4, '0')}`, 3]));
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: { type: 'woocommerce', url: emu.url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' },
    });
    const env = { WC_KEY: DEFAULT_WOO_KEY.consumerKey, WC_SECRET: DEFAULT_WOO_KEY.consumerSecret };
    expect((await runCli(['-c', config, 'fetch'], { env })).code).toBe(0);
    const match = await runCli(['-c', config, 'match', '--json'], { env });
    expect(match.code).toBe(0);
    const summary = JSON.parse(match.stdout) as RunSummary;
    expect(summary.changes).toHaveLength(10_000);
    expect(summary.changesTotal).toBe(N);
    expect(summary.counts.changed).toBe(N);

    const csv = await runCli(['-c', config, 'show', 'last', '--format', 'csv'], { env });
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines).toHaveLength(N + 1);
    expect(lines[N]).toMatch(/^L-10050,/);

    const json = await runCli(['-c', config, 'show', 'last', '--format', 'json'], { env });
    const full = JSON.parse(json.stdout) as RunSummary;
    expect(full.changes).toHaveLength(N);
    expect(full.changes[N - 1]).toMatchObject({ sku: 'L-10050', from: 0, to: 3, status: 'planned' });
    expect(full.changesTotal).toBeUndefined();
  });
});
