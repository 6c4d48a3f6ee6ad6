/**
 * GET /api/runs/<id> of a run with more changes than its summary keeps (SUMMARY_MAX_CHANGES):
 * the same document as `invsync show <id> --format json`, every change streamed from the plan(s),
 * with several stores as with one.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { simpleProducts, startWooEmulator, type WooEmulator } from '../fakes/woocommerce.js';
import { writeJson } from '../helpers/cli.js';
import { SUMMARY_MAX_CHANGES } from '../../src/pipeline/summary.js';
import type { RunSummary } from '../../src/domain/types.js';
import { cleanup, serve, shop, sku, tokenOf } from './helpers.js';

const extra: WooEmulator[] = [];
afterEach(async () => {
  await cleanup();
  await Promise.all(extra.splice(0).map((e) => e.close()));
});

describe('GET /api/runs/<id> of a two-store run with more changes than the summary keeps', () => {
  it('streams every store\'s changes, the same document as `show --format json`', async () => {
    // Each store on its own stays under the cap; together they exceed it.
    const N = 5_100;
    expect(2 * N).toBeGreaterThan(SUMMARY_MAX_CHANGES);
    const s = await shop(N);
    const amazon = await startWooEmulator({ products: simpleProducts(N, { stock: () => 1 }) });
    extra.push(amazon);
    const woo = (name: string, url: string) => ({ name, type: 'woocommerce', url, consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' });
    writeJson(s.config, {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      stores: [woo('web', s.emu.url), woo('amazon', amazon.url)],
      // The feed lifts every item from 1 to 11…N + 10: far above the default rise gate.
      safety: { maxStockRiseRatio: 100_000 },
    });
    expect((await s.cli(['fetch'])).code).toBe(0);
    const match = await s.cli(['match', '--json']);
    expect({ code: match.code, stderr: match.stderr }).toEqual({ code: 0, stderr: '' });
    const kept = JSON.parse(match.stdout) as RunSummary;
    expect(kept.changes.length).toBe(SUMMARY_MAX_CHANGES);
    expect(kept.changesTotal).toBe(2 * N);

    const shown = await s.cli(['show', kept.runId, '--format', 'json']);
    expect(shown.code).toBe(0);
    const cli = JSON.parse(shown.stdout) as RunSummary;
    expect(cli.changes.length).toBe(2 * N);

    const srv = await serve(s);
    const res = await srv.api(`/api/runs/${encodeURIComponent(kept.runId)}`, { token: tokenOf(s.stateDir) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const api = res.body as RunSummary;
    expect(api.changes.length).toBe(2 * N);
    expect(api.changesTotal).toBeUndefined();
    expect(api.changes[0]).toMatchObject({ store: 'web', sku: sku(1), from: 1, to: 11, status: 'planned' });
    expect(api.changes[2 * N - 1]).toMatchObject({ store: 'amazon', sku: sku(N), from: 1, to: N + 10, status: 'planned' });
    expect(api).toEqual(cli);
  }, 120_000);
});
