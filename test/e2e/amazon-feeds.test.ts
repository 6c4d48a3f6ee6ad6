/**
 * SPEC §10 end to end (the built CLI against the SP-API fake): a feed's id is journaled before
 * anything else, a push killed after submitting resumes by polling that feed and never submits it
 * again, and a feed still processing after feedWaitMinutes leaves its items pending (exit 0) for
 * the next run, which settles them first and never re-sends an item whose feed is in flight.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { RunSummary } from '../../src/domain/types.js';
import { amazonCatalog, startAmazonFake, type AmazonFake } from '../fakes/amazon.js';
import { runCli, tempDir, writeCsv, writeJson } from '../helpers/cli.js';

const running: AmazonFake[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((f) => f.close())); });

const COUNT = 30;

async function setup(storeOverrides: Record<string, unknown> = {}, fakeOptions: { feedPolls?: number; roles?: string[] } = {}) {
  const fake = await startAmazonFake({ listings: amazonCatalog(COUNT, { fba: 2, stock: () => 1 }).listings, ...fakeOptions });
  running.push(fake);
  const dir = tempDir();
  const supply = (target: (i: number) => number) => writeCsv(path.join(dir, 'supplier.csv'),
    [...Array.from({ length: COUNT }, (_, k) => [`AMZ-${String(k + 1).padStart(5, '0')}`, target(k + 1)] as [string, number]), ['FBA-00001', 50]]);
  supply((i) => i + 10);
  const config = writeJson(path.join(dir, 'invsync.config.json'), {
    stateDir: 'state',
    sources: [{ name: 'feed', type: 'csv', path: 'supplier.csv' }],
    store: {
      type: 'amazon', sellerId: fake.options.sellerId, marketplaceId: fake.options.marketplaceId, clientId: '${LWA_ID}', clientSecret: '${LWA_SECRET}',
      refreshToken: '${LWA_REFRESH}', url: fake.url, tokenUrl: `${fake.url}/auth/o2/token`, ...storeOverrides,
    },
  });
  const env = { LWA_ID: fake.options.clientId, LWA_SECRET: fake.options.clientSecret, LWA_REFRESH: fake.options.refreshToken, INVSYNC_AMAZON_POLL_MS: '10' };
  const run = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const result = await runCli(['-c', config, ...args], { env: { ...env, ...extraEnv } });
    for (const secret of [fake.options.clientSecret, fake.options.refreshToken, ...fake.issuedTokens]) {
      expect(result.stdout.includes(secret) || result.stderr.includes(secret)).toBe(false);
    }
    return result;
  };
  const creates = () => fake.requestsByOperation().createFeed ?? 0;
  const expectStock = (target: (i: number) => number) => {
    const stock = fake.stockBySku();
    for (let i = 1; i <= COUNT; i++) expect([i, stock.get(`AMZ-${String(i).padStart(5, '0')}`)]).toEqual([i, target(i)]);
    expect(stock.get('FBA-00001')).toBeNull();
  };
  return { fake, run, supply, creates, expectStock };
}

describe('amazon feeds survive a crash and slow processing', () => {
  it('kill -9 right after the feed id is journaled: the next push polls that feed and submits nothing', async () => {
    const t = await setup();
    const crashed = await t.run(['full'], { INVSYNC_FAULT_KILL_AT: 'push:submitted' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(t.creates()).toBe(1);
    const pollsBefore = t.fake.requestsByOperation().getFeed ?? 0;

    const resumed = await t.run(['push', '--json']);
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout) as RunSummary;
    expect(summary.counts).toMatchObject({ applied: COUNT, failed: 0, pending: 0 });
    expect(t.creates()).toBe(1);
    expect(t.fake.requestsByOperation().getFeed ?? 0).toBeGreaterThan(pollsBefore);
    t.expectStock((i) => i + 10);
  });

  it('a feed still processing after feedWaitMinutes: exit 0 with pending, no re-send while in flight, settled first next time', async () => {
    // feedPolls 0: a released feed is done at its first poll, so the 30 ms wait never races a busy machine.
    const t = await setup({ feedWaitMinutes: 0.0005 }, { feedPolls: 0 });
    t.fake.faults.holdFeeds = true;
    const first = await t.run(['full', '--json']);
    expect(first.code).toBe(0);
    const s1 = JSON.parse(first.stdout) as RunSummary;
    expect(s1.counts).toMatchObject({ changed: COUNT, applied: 0, failed: 0, pending: COUNT, missing: 0, notWritten: { 'fulfilled by Amazon': 2 } });
    expect(first.stderr).toMatch(/still being processed by the store/);
    expect(t.creates()).toBe(1);

    // A new plan while the feed is in flight sends nothing for its items.
    t.supply((i) => i + 20);
    const second = await t.run(['full', '--json']);
    expect(second.code).toBe(0);
    expect((JSON.parse(second.stdout) as RunSummary).counts).toMatchObject({ applied: 0, pending: COUNT });
    expect(t.creates()).toBe(1);

    // Amazon finishes: the next push settles the old feed first, then sends the new plan.
    t.fake.faults.holdFeeds = false;
    const third = await t.run(['push', '--json']);
    expect(third.code).toBe(0);
    expect((JSON.parse(third.stdout) as RunSummary).counts).toMatchObject({ applied: COUNT, failed: 0, pending: 0 });
    expect(t.creates()).toBe(2);
    t.expectStock((i) => i + 20);
  });

  it('invalid_grant: exit 5 at once, nothing written, no secret printed', async () => {
    const t = await setup();
    const result = await t.run(['full', '--json'], { LWA_REFRESH: 'Atzr|revoked-refresh-token-0000000000' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/invalid_grant/);
    expect(result.stderr).not.toContain('Atzr|revoked-refresh-token');
    expect(t.fake.writeRequests()).toBe(0);
  });

  it('an app without the Product Listing role: check names the role and exits 5; full stops at its first call with exit 5', async () => {
    const t = await setup({}, { roles: [] });
    const check = await t.run(['check']);
    expect(check.code).toBe(5);
    expect(check.stdout + check.stderr).toMatch(/HTTP 403 Access to requested resource is denied\. \[Unauthorized\]; if the credentials are right, the app lacks the Product Listing role/);
    const before = t.fake.requests.length;
    const full = await t.run(['full', '--json']);
    expect(full.code).toBe(5);
    expect(full.stderr).toMatch(/lacks the Product Listing role/);
    // One refused createReport, never retried: a 403 is not a passing fault.
    expect(t.fake.requests.slice(before).filter((r) => r.status === 403)).toHaveLength(1);
    expect(t.fake.writeRequests()).toBe(0);
  });
});
