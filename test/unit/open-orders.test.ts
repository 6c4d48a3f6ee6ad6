import { describe, expect, it } from '@jest/globals';
import { Config } from '../../src/config/schema.js';
import { diffStore, SupplyAggregator } from '../../src/pipeline/match.js';
import { openOrdersReads, recheckChange } from '../../src/pipeline/open-orders.js';
import { openOrdersRole, openOrdersUnsupported } from '../../src/stores/open-orders.js';
import { openOrdersSince } from '../../src/pipeline/steps.js';
import { feed, rules, storeOf } from '../helpers/builders.js';

const woo = { type: 'woocommerce', url: 'https://shop.example.com', consumerKey: 'ck', consumerSecret: 'cs' };
const source = { name: 'feed', type: 'csv', path: 'feed.csv' };

function configWith(openOrders: unknown, store: Record<string, unknown> = woo) {
  return Config.safeParse({ sources: [source], store, rules: { openOrders } });
}

describe('rules.openOrders (config)', () => {
  it('accepts "ignore", "subtract" and the object form; the window defaults to 48 hours', () => {
    expect(Config.parse({ sources: [source], store: woo }).rules.openOrders).toEqual({ mode: 'ignore', lookbackHours: 48 });
    expect(configWith('subtract').data?.rules.openOrders).toEqual({ mode: 'subtract', lookbackHours: 48 });
    expect(configWith({ mode: 'subtract' }).data?.rules.openOrders).toEqual({ mode: 'subtract', lookbackHours: 48 });
    expect(configWith({ mode: 'subtract', lookbackHours: 6 }).data?.rules.openOrders).toEqual({ mode: 'subtract', lookbackHours: 6 });
  });

  it('rejects a bad mode or window, naming the path', () => {
    for (const bad of ['always', { mode: 'subtract', lookbackHours: 0 }, { mode: 'subtract', lookbackHours: 9000 }, { mode: 'subtract', hours: 2 }]) {
      const res = configWith(bad);
      expect(res.success).toBe(false);
      expect(res.error?.issues[0]?.path.slice(0, 2)).toEqual(['rules', 'openOrders']);
    }
  });

  it('a store that cannot tell open orders refuses subtract, naming the store type; ignore is always fine', () => {
    const legacy = { type: 'magento2', url: 'https://m.example.com', token: 't', msi: false };
    const res = configWith('subtract', legacy);
    expect(res.success).toBe(false);
    expect(res.error?.issues[0]).toMatchObject({ path: ['rules', 'openOrders'], message: expect.stringContaining('"magento2" with msi: false') });
    expect(configWith('ignore', legacy).success).toBe(true);
    const amazon = { type: 'amazon', sellerId: 'A1', marketplaceId: 'ATVPDKIKX0DER', clientId: 'c', clientSecret: 's', refreshToken: 'r' };
    for (const store of [woo, amazon, { type: 'bigcommerce', storeHash: 'abc', accessToken: 't' }, { type: 'shift4shop', secureUrl: 'https://shop.example.com', privateKey: 'k', token: 't' }, { type: 'shopify', url: 'https://x.myshopify.com', accessToken: 't', locationId: 'gid://shopify/Location/1' }, { type: 'vendure', url: 'http://127.0.0.1:3000/admin-api', username: 'u', password: 'p' },
      { type: 'medusa', url: 'http://127.0.0.1:9000', email: 'a@b.c', password: 'p', locationId: 'sloc_1' },
      { type: 'magento2', url: 'https://m.example.com', token: 't' }]) {
      expect(configWith('subtract', store).success).toBe(true);
    }
  });

  it('reads orders at fetch only for stores whose orders invsync subtracts, from now − lookbackHours', () => {
    const now = Date.UTC(2026, 11, 6, 4, 0, 0);
    expect(openOrdersSince(Config.parse({ sources: [source], store: woo, rules: { openOrders: 'subtract' } }), now)).toBe('2026-12-04T04:00:00.000Z');
    expect(openOrdersSince(Config.parse({ sources: [source], store: woo, rules: { openOrders: { mode: 'subtract', lookbackHours: 3 } } }), now)).toBe('2026-12-06T01:00:00.000Z');
    expect(openOrdersSince(Config.parse({ sources: [source], store: woo }), now)).toBeUndefined();
    const vendure = { type: 'vendure', url: 'http://127.0.0.1:3000/admin-api', username: 'u', password: 'p' };
    expect(openOrdersSince(Config.parse({ sources: [source], store: vendure, rules: { openOrders: 'subtract' } }), now)).toBeUndefined();
    expect(openOrdersUnsupported({ type: 'amazon' })).toBeNull();
    expect(openOrdersUnsupported({ type: 'nosuch' })).toMatch(/"nosuch" cannot tell open orders yet/);
  });

  it('with several stores, reads every store\'s: orders through the orders API, a platform store\'s held units with its listing', () => {
    const vendure = { name: 'v', type: 'vendure', url: 'http://127.0.0.1:3000/admin-api', username: 'u', password: 'p' };
    const medusa = { name: 'm', type: 'medusa', url: 'http://127.0.0.1:9000', email: 'a@b.c', password: 'p', locationId: 'sloc_1' };
    const several = (stores: unknown[], openOrders: unknown = 'subtract') => Config.safeParse({ sources: [source], stores, rules: { openOrders } });
    const config = several([{ name: 'web', ...woo }, vendure]);
    expect(openOrdersReads(config.data!)).toEqual(new Map([['web', 'orders'], ['v', 'listing']]));
    expect(openOrdersReads(several([{ name: 'web', ...woo }, vendure], 'ignore').data!).size).toBe(0);
    // One store alone: Vendure holds its orders back itself, nothing to read.
    expect(openOrdersReads(Config.parse({ sources: [source], store: { type: vendure.type, url: vendure.url, username: 'u', password: 'p' }, rules: { openOrders: 'subtract' } })).size).toBe(0);
    // Medusa holds its orders back itself; its reserved units are read with its listing for the other stores.
    const withMedusa = several([{ name: 'web', ...woo }, medusa]);
    expect(withMedusa.success).toBe(true);
    expect(openOrdersReads(withMedusa.data!)).toEqual(new Map([['web', 'orders'], ['m', 'listing']]));
    expect(openOrdersRole('medusa', true)).toEqual({ read: 'listing', subtractOwn: false });
    // One Medusa alone: nothing to read (it already holds its reservations back).
    expect(openOrdersReads(Config.parse({ sources: [source], store: { type: 'medusa', url: medusa.url, email: 'a@b.c', password: 'p', locationId: 'sloc_1' }, rules: { openOrders: 'subtract' } })).size).toBe(0);
    // Magento holds its orders back, but invsync does not read its reservations for the other stores yet.
    const magento = { name: 'mag', type: 'magento2', url: 'https://m.example.com', token: 't' };
    const refused = several([{ name: 'web', ...woo }, magento]);
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['stores', 1, 'type'], message: expect.stringContaining('store "mag": store type "magento2" holds its open orders back itself') });
    // Amazon's open orders come from its orders API, for itself and for the other stores.
    const withAmazon = several([{ name: 'web', ...woo }, { name: 'amz', ...{ type: 'amazon', sellerId: 'A1', marketplaceId: 'ATVPDKIKX0DER', clientId: 'c', clientSecret: 's', refreshToken: 'r' } }]);
    expect(openOrdersReads(withAmazon.data!)).toEqual(new Map([['web', 'orders'], ['amz', 'orders']]));
    expect(several([{ name: 'web', ...woo }, medusa], 'ignore').success).toBe(true);
  });
});

describe('the open-orders step of the rule list (pure)', () => {
  it('in match, applies before the buffer, and each affected change says it; unaffected SKUs are untouched', () => {
    const r = rules({ buffer: 1 });
    const supply = new SupplyAggregator(['feed'], r);
    feed('feed', [['A', 10], ['B', 10], ['C', 2]]).forEach((rec) => supply.add(rec));
    const store = storeOf([['A', 0], ['B', 0], ['C', 5]]);
    const open = new Map([['a', 3], ['c', 4]]);
    const diff = diffStore(supply, store, r, store.length, undefined, undefined, { openOrders: (key) => open.get(key) });
    expect(diff.changes.map((c) => [c.sku, c.to, c.reason])).toEqual([
      ['A', 6, 'feed 10 → open orders −3 → 7 → buffer −1 → 6'],
      ['B', 9, 'feed 10 → buffer −1 → 9'],
      ['C', 0, 'feed 2 → open orders −4 → 0'],
    ]);
  });

  it('an item already at the reduced target gets no write (the oversell case: sold to 0, supplier still says 2)', () => {
    const r = rules();
    const supply = new SupplyAggregator(['feed'], r);
    feed('feed', [['MUG', 2]]).forEach((rec) => supply.add(rec));
    const store = storeOf([['MUG', 0]]);
    expect(diffStore(supply, store, r, 1).changes.map((c) => c.to)).toEqual([2]);
    const diff = diffStore(supply, store, r, 1, undefined, undefined, { openOrders: (key) => (key === 'mug' ? 2 : undefined) });
    expect(diff.changes).toEqual([]);
    expect(diff.counts.unchanged).toBe(1);
  });
});

describe('a sale between match and push (pure recheck)', () => {
  const reading = (qty: number | null, managed = qty !== null) => ({ qty, managed });

  it('sends as planned when the level is what the fetch saw', () => {
    expect(recheckChange({ from: 4, to: 7 }, reading(4))).toEqual({ action: 'send' });
    expect(recheckChange({ from: null, to: 7 }, reading(null))).toEqual({ action: 'send' });
  });

  it('lowers the target by the units sold since, never below 0, and rebases `from` on the level seen', () => {
    expect(recheckChange({ from: 4, to: 7 }, reading(3))).toEqual({ action: 'lower', from: 3, to: 6, sold: 1, note: 'sold since the fetch −1' });
    expect(recheckChange({ from: 4, to: 1 }, reading(0))).toMatchObject({ action: 'lower', from: 0, to: 0, sold: 4 });
  });

  it('a level equal to the target is a sale unless an earlier push may have written it', () => {
    expect(recheckChange({ from: 5, to: 3 }, reading(3))).toMatchObject({ action: 'lower', to: 1 });
    expect(recheckChange({ from: 5, to: 3 }, reading(3), true)).toEqual({ action: 'send' });
  });

  it('skips (never overwrites) a level that rose, tracking switched on or off, or an item gone', () => {
    expect(recheckChange({ from: 2, to: 6 }, reading(3))).toMatchObject({ action: 'skip', message: expect.stringContaining('level 2 → 3') });
    expect(recheckChange({ from: null, to: 6 }, reading(3))).toMatchObject({ action: 'skip', message: expect.stringContaining('switched on') });
    expect(recheckChange({ from: 2, to: 6 }, reading(null))).toMatchObject({ action: 'skip', message: expect.stringContaining('switched off') });
    expect(recheckChange({ from: 2, to: 6 }, undefined)).toMatchObject({ action: 'skip', message: expect.stringContaining('no longer there') });
  });
});
