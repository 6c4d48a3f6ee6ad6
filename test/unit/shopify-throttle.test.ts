import { describe, expect, it } from '@jest/globals';
import { graphqlEndpoint } from '../../src/stores/shopify/index.js';
import { compareIds, gidNumber, idempotencyKey, toGid } from '../../src/stores/shopify/ids.js';
import { versionFeatures, writeCost, writeMutation } from '../../src/stores/shopify/queries.js';
import {
  availableAt, pageSizeFor, perNodeCost, reserve, throttledWaitMs, waitForCost, type BucketState,
} from '../../src/stores/shopify/throttle.js';

const at = (currentlyAvailable: number, observedAt = 0, maximumAvailable = 1000, restoreRate = 50): BucketState => ({
  status: { maximumAvailable, currentlyAvailable, restoreRate }, observedAt,
});

describe('Shopify cost bucket arithmetic', () => {
  it('sends at once when nothing is known yet or the bucket holds enough', () => {
    expect(waitForCost(undefined, 900, 0)).toBe(0);
    expect(waitForCost(at(500), 500, 0)).toBe(0);
  });

  it('waits (needed − available) / restoreRate before a request the bucket cannot pay for', () => {
    // 502 needed, 498 available, 50 points/s: 4 points take 80 ms.
    expect(waitForCost(at(498), 502, 0)).toBe(80);
    expect(waitForCost(at(0, 0, 2000, 100), 1000, 0)).toBe(10_000);
  });

  it('counts the refill since the status was observed, up to the bucket size', () => {
    expect(availableAt(at(100, 1000), 3000)).toBe(200);
    expect(availableAt(at(990, 0), 60_000)).toBe(1000);
    expect(waitForCost(at(100, 1000), 150, 3000)).toBe(0);
    expect(waitForCost(at(100, 1000), 250, 3000)).toBe(1000);
  });

  it('waits only for a full bucket when a request costs more than the bucket holds', () => {
    expect(waitForCost(at(900, 0, 1000, 50), 5000, 0)).toBe(2000);
  });

  it('makes concurrent requests see each other: a reservation delays the next one', () => {
    const after = reserve(at(600, 0), 500, 0);
    expect(after.status.currentlyAvailable).toBe(100);
    expect(waitForCost(after, 500, 0)).toBe(8000);
    expect(reserve(at(100, 0), 300, 0).status.currentlyAvailable).toBe(-200);
  });

  it('after THROTTLED waits for the requested cost to be restored, never zero', () => {
    // API_FACTS §3's example: requested 752, currently 666, restore 50/s.
    expect(throttledWaitMs(752, { maximumAvailable: 1000, currentlyAvailable: 666, restoreRate: 50 })).toBe(1720);
    expect(throttledWaitMs(10, { maximumAvailable: 1000, currentlyAvailable: 50, restoreRate: 50 })).toBe(20);
    expect(throttledWaitMs(3000, { maximumAvailable: 1000, currentlyAvailable: 0, restoreRate: 100 })).toBe(10_000);
  });

  it('sizes a page to the 1000-point query limit, at most 250', () => {
    expect(pageSizeFor(5, 2)).toBe(199);
    expect(pageSizeFor(4, 2)).toBe(249);
    expect(pageSizeFor(3, 2)).toBe(250);
    expect(pageSizeFor(5, 2, 10)).toBe(10);
    expect(pageSizeFor(5000, 2)).toBe(1);
    expect(pageSizeFor(5, 2, 250, 500)).toBe(99);
    expect(perNodeCost(1002, 2, 250)).toBe(4);
    expect(perNodeCost(10, 2, 0)).toBe(8);
  });
});

describe('Shopify ids, versions and write documents', () => {
  it('keeps gids exact and orders them numerically, not as text', () => {
    expect(toGid('Location', 42)).toBe('gid://shopify/Location/42');
    expect(toGid('Location', 'gid://shopify/Location/42')).toBe('gid://shopify/Location/42');
    expect(gidNumber('gid://shopify/Product/7000000000001')).toBe(7000000000001);
    expect(gidNumber('gid://shopify/Product/99999999999999999999')).toBe('gid://shopify/Product/99999999999999999999');
    expect(compareIds('gid://shopify/Product/9', 'gid://shopify/Product/10')).toBeLessThan(0);
    expect(compareIds('gid://shopify/Product/99999999999999999999', 'gid://shopify/Product/99999999999999999998')).toBeGreaterThan(0);
    expect(compareIds(5, 'gid://shopify/Product/5')).toBe(0);
  });

  it('derives the same idempotency key from the same parts, a different one otherwise', () => {
    const a = idempotencyKey({ seqs: [1, 2], to: [5, 6] });
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idempotencyKey({ to: [5, 6], seqs: [1, 2] })).toBe(a);
    expect(idempotencyKey({ seqs: [1, 2], to: [5, 7] })).not.toBe(a);
  });

  it('spells compare-and-set and idempotency as the pinned API version expects', () => {
    expect(versionFeatures('2026-10')).toEqual({ compareField: 'changeFromQuantity', ignoreCompareFlag: false, idempotency: true });
    expect(versionFeatures('2026-04')).toEqual({ compareField: 'changeFromQuantity', ignoreCompareFlag: false, idempotency: true });
    expect(versionFeatures('2026-01')).toEqual({ compareField: 'compareQuantity', ignoreCompareFlag: true, idempotency: true });
    expect(versionFeatures('2025-10')).toEqual({ compareField: 'compareQuantity', ignoreCompareFlag: true, idempotency: false });
  });

  it('builds one mutation with tracking fields before the set, costing 10 per field', () => {
    const doc = writeMutation({ track: 2, set: true, key: 'k-1' });
    expect(doc).toContain('mutation InvsyncSetQuantities($input: InventorySetQuantitiesInput!, $t0: ID!, $t1: ID!)');
    expect(doc.indexOf('t1: inventoryItemUpdate')).toBeLessThan(doc.indexOf('set: inventorySetQuantities'));
    expect(doc).toContain('@idempotent(key: "k-1")');
    expect(writeMutation({ track: 1, tracked: false, set: false })).toContain('mutation InvsyncUntrack($t0: ID!)');
    expect(writeMutation({ track: 0, set: true })).not.toContain('@idempotent');
    expect(writeCost(2, true)).toBe(30);
  });

  it('posts to <shop>/admin/api/<version>/graphql.json whatever the configured URL ends with', () => {
    expect(graphqlEndpoint('https://demo.myshopify.com', '2026-10')).toBe('https://demo.myshopify.com/admin/api/2026-10/graphql.json');
    expect(graphqlEndpoint('https://demo.myshopify.com/', '2026-10')).toBe('https://demo.myshopify.com/admin/api/2026-10/graphql.json');
    expect(graphqlEndpoint('https://demo.myshopify.com/admin/api/2025-01/graphql.json', '2026-10')).toBe('https://demo.myshopify.com/admin/api/2026-10/graphql.json');
  });
});
