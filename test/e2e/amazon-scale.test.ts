/**
 * 10,000 changed SKUs through the built CLI against the SP-API fake (issue 14's measurement):
 * requests by operation, feeds submitted, wall time. The fake processes reports and feeds after
 * two polls; INVSYNC_AMAZON_POLL_MS=10 makes its "processing delay" ~30 ms per job.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { amazonCatalog, startAmazonFake, type AmazonFake } from '../fakes/amazon.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';

const running: AmazonFake[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((f) => f.close())); });

describe('amazon at 10,000 changed SKUs', () => {
  it('one full run: one report per listing, one feed, a handful of polls', async () => {
    const count = 10_000;
    const fake = await startAmazonFake({ listings: amazonCatalog(count, { stock: () => 1 }).listings });
    running.push(fake);
    const dir = tempDir();
    writeCsv(path.join(dir, 'supplier.csv'), Array.from({ length: count }, (_, k) => [`AMZ-${String(k + 1).padStart(5, '0')}`, (k % 40) + 2]));
    const config = writeJson(path.join(dir, 'invsync.config.json'), {
      stateDir: 'state',
      sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
      store: {
        type: 'amazon', sellerId: fake.options.sellerId, marketplaceId: fake.options.marketplaceId, clientId: fake.options.clientId,
        clientSecret: '${LWA_SECRET}', refreshToken: '${LWA_REFRESH}', url: fake.url, tokenUrl: `${fake.url}/auth/o2/token`,
      },
      safety: { maxZeroRatio: 1, maxStockDropRatio: 1 },
    });
    const result = await runCli(['-c', config, 'full', '--json'], {
      env: { LWA_SECRET: fake.options.clientSecret, LWA_REFRESH: fake.options.refreshToken, INVSYNC_AMAZON_POLL_MS: '10' },
    });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary.counts).toMatchObject({ changed: count, applied: count, failed: 0, pending: 0 });
    const ops = fake.requestsByOperation();
    // fetch: one report; push: one feed; read-back: one more report.
    expect(ops).toEqual({
      token: 1, createReport: 2, getReport: 6, getReportDocument: 2, 's3-get': 3,
      createFeedDocument: 1, 's3-put': 1, createFeed: 1, getFeed: 3, getFeedDocument: 1,
    });
    expect(fake.quotaRefusals()).toBe(0);
    process.stderr.write(`amazon 10k: ${JSON.stringify({ ops, requests: fake.requests.length, feeds: fake.feeds.size, wallMs: result.ms, runMs: summary.durationMs })}\n`);
  }, 120_000);
});
