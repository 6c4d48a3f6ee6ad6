/** SPEC §9: configuring several stores, per-store rules, `share`, selecting stores, and state keyed by store. */
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { configuredStores, selectStores } from '../../src/config/stores.js';
import { shareOf, targetQty } from '../../src/pipeline/match.js';
import { openDb } from '../../src/state/db.js';
import { latestPushablePlan, recordPlan } from '../../src/state/plans.js';
import { countStoreItems, getIndexMeta, iterateStoreItems } from '../../src/state/store-index.js';
import { UsageError } from '../../src/domain/errors.js';
import { tempDir, writeJson } from '../helpers/cli.js';
import { indexStore } from '../helpers/store-index.js';
import { emptyCounts } from '../../src/domain/types.js';

const env = { WC_KEY: 'ck_test_key_123', WC_SECRET: 'cs_test_secret_456' };
const woo = (name: string, extra: Record<string, unknown> = {}) => ({
  name, type: 'woocommerce', url: 'https://shop.example.com', consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', ...extra,
});
const sources = [{ name: 'a', type: 'csv', path: 'a.csv' }, { name: 'b', type: 'csv', path: 'b.csv' }, { name: 'off', type: 'csv', path: 'c.csv', enabled: false }];

async function load(raw: Record<string, unknown>) {
  const dir = tempDir();
  return loadConfig({ explicitPath: writeJson(path.join(dir, 'c.json'), { sources, ...raw }), env });
}

async function configError(raw: Record<string, unknown>): Promise<string> {
  try {
    await load(raw);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('share: the fraction of the combined quantity a store offers (floored, before the buffer)', () => {
  it('is exact for shares written in decimals, where binary floating point is not (100 × 0.29 = 29, not 28)', () => {
    expect(Math.floor(100 * 0.29)).toBe(28); // what a naive product gives
    expect(shareOf(100, 0.29)).toBe(29);
    expect(shareOf(100, 0.57)).toBe(57);
    expect(shareOf(7, 0.5)).toBe(3);
    expect(shareOf(10, 0.3)).toBe(3);
    expect(shareOf(9, 0)).toBe(0);
    expect(shareOf(9, 1)).toBe(9);
    expect(shareOf(1000, 0.001)).toBe(1);
    expect(shareOf(999, 0.001)).toBe(0);
  });

  it('stays exact for sums beyond 2^53 ÷ the share\'s digits (BigInt path)', () => {
    expect(shareOf(20 * 2_147_483_647, 0.3)).toBe(12_884_901_882);
    expect(shareOf(9_007_199_254_740, 0.123456789)).toBe(1_111_999_897_873);
  });

  it('is applied before the buffer and the cap: ⌊13 × 0.5⌋ − 2 = 4; capped by maxQty', () => {
    expect(targetQty(13, { share: 0.5, buffer: 2, maxQty: null })).toBe(4);
    expect(targetQty(3, { share: 0.5, buffer: 2, maxQty: null })).toBe(0);
    expect(targetQty(100, { share: 0.5, buffer: 2, maxQty: 10 })).toBe(10);
    expect(targetQty(13, { buffer: 2, maxQty: null })).toBe(11);
  });
});

describe('stores in the configuration', () => {
  it('`store` is the one store named "store", fed by every enabled source with the shared rules', async () => {
    const { config: single } = await load({ store: { type: 'woocommerce', url: 'https://s.example.com', consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}' }, rules: { buffer: 1 } });
    expect(configuredStores(single).map((s) => [s.name, s.sources, s.rules.buffer, s.rules.share])).toEqual([['store', ['a', 'b'], 1, 1]]);
  });

  it('each entry of `stores` gets its sources (default all enabled), its rules over the shared ones, and its safety over the shared gates', async () => {
    const { config } = await load({
      rules: { buffer: 1, missing: 'zero' },
      safety: { maxZeroRatio: 0.4, breaker: { consecutiveFailures: 5 } },
      stores: [
        woo('web'),
        woo('amazon', { sources: ['b'], rules: { share: 0.5, buffer: 2, maxQty: 50, missing: 'keep' }, safety: { maxMissingRatio: 0.6, breaker: { maxErrorRatio: 0.5 } } }),
      ],
    });
    const [web, amazon] = configuredStores(config);
    expect(web).toMatchObject({ name: 'web', sources: ['a', 'b'], rules: { buffer: 1, missing: 'zero', maxQty: null, share: 1, aggregate: 'sum' } });
    expect(web!.safety).toEqual(config.safety);
    expect(amazon).toMatchObject({ name: 'amazon', sources: ['b'], rules: { buffer: 2, missing: 'keep', maxQty: 50, share: 0.5 } });
    expect(amazon!.safety).toMatchObject({ maxMissingRatio: 0.6, maxZeroRatio: 0.4, breaker: { consecutiveFailures: 5, maxErrorRatio: 0.5 } });
    expect(amazon!.config).toEqual({ type: 'woocommerce', url: 'https://shop.example.com', consumerKey: env.WC_KEY, consumerSecret: env.WC_SECRET });
    expect(config.storeConcurrency).toBe(4);
  });

  it('rejects bad store lists with the path of the offending value', async () => {
    expect(await configError({ stores: [woo('web'), woo('web')] })).toBe('stores.1.name: duplicate store name "web"');
    expect(await configError({ stores: [woo('web', { sources: ['a', 'nope'] })] })).toBe('stores.0.sources.1: no source named "nope" (sources: a, b, off)');
    expect(await configError({ store: woo('x'), stores: [woo('web')] })).toMatch(/^store\b|^stores: give "store" or "stores", not both$/);
    expect(await configError({})).toBe('store: configure a store: "store" (one) or "stores" (several)');
    expect(await configError({ stores: [woo('web', { rules: { share: 1.5 } })] })).toMatch(/^stores\.0\.rules\.share: /);
    expect(await configError({ stores: [woo('web', { rules: { aggregate: 'min' } })] })).toMatch(/^stores\.0\.rules: .*aggregate/);
    expect(await configError({ stores: [woo('we b')] })).toMatch(/^stores\.0\.name: use letters, digits/);
    expect(await configError({ stores: [woo('web', { bogus: 1 })] })).toMatch(/^stores\.0: .*bogus/);
  });

  it('a store entry plans with its own checksum: editing one store does not make another store\'s plan stale', async () => {
    const one = await load({ stores: [woo('web'), woo('amazon', { rules: { buffer: 1 } })] });
    const dir = path.dirname(one.filePath);
    const two = await loadConfig({ explicitPath: writeJson(path.join(dir, 'c.json'), { sources, stores: [woo('web'), woo('amazon', { rules: { buffer: 2 } })] }), env });
    expect(two.storeChecksum('web')).toBe(one.storeChecksum('web'));
    expect(two.storeChecksum('amazon')).not.toBe(one.storeChecksum('amazon'));
  });
});

describe('selectStores (--store)', () => {
  const all = [{ name: 'web' }, { name: 'amazon' }, { name: 'ebay' }] as Parameters<typeof selectStores>[0];
  it('keeps config order, whatever the order on the command line', () => {
    expect(selectStores(all, ['ebay', 'web']).map((s) => s.name)).toEqual(['web', 'ebay']);
    expect(selectStores(all, undefined)).toBe(all);
  });
  it('an unknown name is a usage error naming it and the configured names', () => {
    expect(() => selectStores(all, ['web', 'etsy'])).toThrow(new UsageError('--store: no store named "etsy" (configured: web, amazon, ebay)'));
  });
});

describe('state keyed by store', () => {
  it('each store has its own index and generation; a plan for one store never supersedes another\'s', async () => {
    const db = openDb(tempDir());
    const item = (sku: string, productId: number) => ({ sku, productId, variationId: null, qty: 1, managed: true });
    await indexStore(db, 'woocommerce', [item('A', 1), item('B', 2)]);
    const web = await (async () => {
      const { stageStoreIndex } = await import('../../src/state/store-index.js');
      return (await stageStoreIndex(db, { store: 'woocommerce', fetchId: 'f', name: 'web' }, (async function* () { yield item('C', 9); })())).commit();
    })();
    expect(web.generation).toBe(1);
    expect(getIndexMeta(db)).toMatchObject({ generation: 1, itemCount: 2 });
    expect(getIndexMeta(db, 'web')).toMatchObject({ generation: 1, itemCount: 1 });
    expect(getIndexMeta(db, 'never')).toBeUndefined();
    expect([...iterateStoreItems(db, { store: 'web' })].map((i) => i.sku)).toEqual(['C']);
    expect([...iterateStoreItems(db)].map((i) => i.sku)).toEqual(['A', 'B']);
    expect([countStoreItems(db, 'web'), countStoreItems(db), countStoreItems(db, 'never')]).toEqual([1, 2, 0]);

    const match = { counts: emptyCounts(), safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: [], sources: {} };
    const plan = (store: string | undefined) => recordPlan(db, { store, runId: 'r', snapshotChecksum: 's', indexGeneration: 1, configChecksum: 'c', window: {} }, (add) => {
      add({ seq: 0, sku: 'X', productId: 1, variationId: null, from: 1, to: 2 });
      return { status: 'pending', match };
    });
    const forStore = plan(undefined);
    const forWeb = plan('web');
    expect(latestPushablePlan(db)?.id).toBe(forStore);
    expect(latestPushablePlan(db, 'web')?.id).toBe(forWeb);
    const again = plan('web');
    expect(latestPushablePlan(db, 'web')?.id).toBe(again);
    expect(latestPushablePlan(db)?.id).toBe(forStore);
    db.close();
  });
});
