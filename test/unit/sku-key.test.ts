import { describe, expect, it } from '@jest/globals';
import { looseKey, skuKey } from '../../src/domain/sku.js';
import { diffStore, SupplyAggregator } from '../../src/pipeline/match.js';
import { feed, rules, storeOf } from '../helpers/builders.js';

function plan(feedRows: Array<[string, number]>, storeRows: Array<[string, number | null]>, r = rules()) {
  const supply = new SupplyAggregator(['feed'], r);
  feed('feed', feedRows).forEach((rec) => supply.add(rec));
  return diffStore(supply, storeOf(storeRows), r, storeRows.length);
}

describe('SKU keys (SPEC §8): same SKU, however it is spelled', () => {
  it.each([
    ['NFC vs NFD', 'CAF\u00c9-1', 'CAFE\u0301-1'],
    ['a zero-width space', 'ABC-1', 'ABC\u200b-1'],
    ['a BOM and a zero-width joiner', 'ABC-1', '\ufeffAB\u200dC-1'],
    ['full-width letters', 'ABC-1', '\uff21\uff22\uff23-1'],
    ['a full-width hyphen-minus', 'ABC-1', 'ABC\uff0d1'],
    ['case and surrounding spaces', 'abc-1', '  ABC-1\u3000'],
  ])('matches %s', (_, feedSku, storeSku) => {
    expect(skuKey(feedSku, false)).toBe(skuKey(storeSku, false));
    const result = plan([[feedSku, 9]], [[storeSku, 2]]);
    expect(result.changes.map((c) => [c.sku, c.to])).toEqual([[storeSku, 9]]);
    expect(result.errors).toEqual([]);
  });

  it('folds case only without skuCaseSensitive', () => {
    expect(skuKey('\uff21bc', true)).toBe('Abc');
    expect(skuKey('\uff21bc', false)).toBe('abc');
  });

  it('a SKU of only format characters is no SKU (out of scope)', () => {
    expect(skuKey('\u200b\ufeff', false)).toBe('');
    expect(plan([['A', 1]], [['\u200b', 3], ['A', 1]]).counts.inScope).toBe(1);
  });
});

describe('near matches (SPEC §8): reported, never matched', () => {
  it.each([
    ['leading zeros dropped by a spreadsheet', '123', '00123', 'feed 123 ~ store 00123'],
    ['an en dash', 'ABC\u20131', 'ABC-1', 'feed ABC\u20131 ~ store ABC-1'],
    ['an em dash in the store', 'abc-1', 'ABC\u20141', 'feed abc-1 ~ store ABC\u20141'],
    ['a minus sign and leading zeros on both sides', '0012\u22127', '012-7', 'feed 0012\u22127 ~ store 012-7'],
  ])('%s', (_, feedSku, storeSku, report) => {
    const result = plan([[feedSku, 9], ['OTHER', 1]], [[storeSku, 2], ['OTHER', 1]], rules({ missing: 'zero' }));
    expect(result.changes).toEqual([]);
    expect(result.counts).toMatchObject({ inScope: 2, matched: 1, missing: 1 });
    expect(result.errors).toEqual([{ sku: storeSku, source: 'feed', message: expect.stringMatching(new RegExp(`^${report} \\(near match: not matched`)) }]);
    expect(result.errorCounts).toEqual({ feed: { 'near match': 1 } });
  });

  it('an exact match wins: no near-match report for a store SKU a feed lists as it is', () => {
    const result = plan([['123', 4], ['00123', 5]], [['00123', 1]]);
    expect(result.changes.map((c) => [c.sku, c.to])).toEqual([['00123', 5]]);
    expect(result.errors).toEqual([]);
  });

  it('keeps only feed SKUs that have something to fold in the side table', () => {
    expect(looseKey('abc-1')).toBe('abc-1');
    expect(looseKey('sku-0001')).toBe('sku-0001');
    expect(looseKey('0001')).toBe('1');
    expect(looseKey('0')).toBe('0');
    expect(looseKey('a\u2010b\u2011c\u2012d\u2013e\u2014f\u2015g\u2212h\ufe63i')).toBe('a-b-c-d-e-f-g-h-i');
  });
});
