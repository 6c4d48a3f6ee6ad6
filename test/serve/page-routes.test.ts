/**
 * The page's two chart routes (src/serve/page-routes.ts), through Hono's own request API over a
 * real state database. End to end (behind the server's auth) they are exercised by page.test.ts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { emptyCounts } from '../../src/domain/types.js';
import { pageRoutes } from '../../src/serve/page-routes.js';
import { openDb, type Db } from '../../src/state/db.js';
import { recordPlan } from '../../src/state/plans.js';
import { finishRun } from '../../src/state/runs.js';
import { tempDir } from '../helpers/cli.js';

const open: Db[] = [];
afterEach(() => { for (const db of open.splice(0)) db.close(); });

function stateDb(): Db {
  const db = openDb(tempDir());
  open.push(db);
  finishRun(db, {
    runId: 'r1', command: 'full', dryRun: false, status: 'ok', exitCode: 0, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:02.000Z',
    durationMs: 2000, counts: { ...emptyCounts(), changed: 2, applied: 2 }, safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, changes: [], errors: [],
  });
  const match = { counts: emptyCounts(), safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: [], sources: {} };
  recordPlan(db, { runId: 'r1', snapshotChecksum: 's', indexGeneration: 1, configChecksum: 'c', window: {} }, (add) => {
    add({ seq: 0, sku: 'Mug/1 ä', productId: 5, variationId: null, from: 2, to: 6 });
    return { status: 'pending', match };
  });
  return db;
}

describe('GET /stats/runs', () => {
  it('answers the recent runs with their counts and duration', async () => {
    const res = await pageRoutes(stateDb(), { skuCaseSensitive: false }).request('/stats/runs?limit=5');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([expect.objectContaining({ runId: 'r1', applied: 2, failed: 0, changed: 2, durationMs: 2000, dryRun: false })]);
  });

  it('refuses a bad limit with 400 naming the field', async () => {
    const app = pageRoutes(stateDb(), { skuCaseSensitive: false });
    for (const bad of ['0', '-1', 'ten', '501']) {
      const res = await app.request(`/stats/runs?limit=${bad}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/^limit: expected a whole number from 1 to 500/), field: 'limit' });
    }
  });
});

describe('GET /skus/<sku>/history', () => {
  it('answers the SKU\'s planned changes; the SKU is URL-decoded and matched as the config says', async () => {
    const db = stateDb();
    const res = await pageRoutes(db, { skuCaseSensitive: false }).request(`/skus/${encodeURIComponent('MUG/1 Ä')}/history`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([expect.objectContaining({ runId: 'r1', from: 2, to: 6, status: 'planned', productId: '5' })]);
    const strict = await pageRoutes(db, { skuCaseSensitive: true }).request(`/skus/${encodeURIComponent('MUG/1 Ä')}/history`);
    expect(await strict.json()).toEqual([]);
  });

  it('refuses a bad limit with 400', async () => {
    const res = await pageRoutes(stateDb(), { skuCaseSensitive: false }).request('/skus/A/history?limit=x');
    expect(res.status).toBe(400);
  });
});
