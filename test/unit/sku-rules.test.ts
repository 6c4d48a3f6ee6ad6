import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { shrinkFailure } from '../../src/pipeline/fetch.js';
import { diffStore, rewriteSku, SupplyAggregator } from '../../src/pipeline/match.js';
import { loadSkuMap } from '../../src/pipeline/sku-map.js';
import { feed, rules, storeOf } from '../helpers/builders.js';
import { tempDir } from '../helpers/cli.js';

describe('per-source SKU rewriting', () => {
  const map = new Map([['dsz-001', 'SHIRT-RED']]);

  it('strips a supplier prefix and adds the store prefix', () => {
    expect(rewriteSku(' DSZ-42 ', { stripPrefix: 'DSZ-', skuPrefix: 'AU-' }, false)).toBe('AU-42');
    expect(rewriteSku('dsz-42', { stripPrefix: 'DSZ-' }, false)).toBe('42');
    expect(rewriteSku('dsz-42', { stripPrefix: 'DSZ-' }, true)).toBe('dsz-42');
    expect(rewriteSku('OTHER-1', { stripPrefix: 'DSZ-' }, false)).toBe('OTHER-1');
  });

  it('uses an explicit skuMap entry as given, before any prefix rule', () => {
    expect(rewriteSku('DSZ-001', { map, stripPrefix: 'DSZ-', skuPrefix: 'X' }, false)).toBe('SHIRT-RED');
  });

  it('matches rewritten supplier SKUs to store SKUs in match', () => {
    const r = rules();
    const supply = new SupplyAggregator(['dsz', 'csv'], r, new Map([['dsz', { map, stripPrefix: 'DSZ-' }]]));
    [...feed('dsz', [['DSZ-001', 4], ['DSZ-7', 2]]), ...feed('csv', [['7', 3]])].forEach((rec) => supply.add(rec));
    const diff = diffStore(supply, storeOf([['shirt-red', 0], ['7', 0]]), r, 2);
    expect(diff.changes.map((c) => [c.sku, c.to])).toEqual([['shirt-red', 4], ['7', 5]]);
  });
});

describe('sku map file', () => {
  it('reads supplier_sku,store_sku with or without a header', () => {
    const dir = tempDir();
    const file = path.join(dir, 'map.csv');
    fs.writeFileSync(file, '\uFEFFsupplier_sku,store_sku\r\nA-1, Store-A\nB-2,Store-B\n');
    expect([...loadSkuMap(file, 'sources.0.skuMap', false)]).toEqual([['a-1', 'Store-A'], ['b-2', 'Store-B']]);
  });

  it('names the config path and the line of a conflicting entry', () => {
    const dir = tempDir();
    const file = path.join(dir, 'map.csv');
    fs.writeFileSync(file, 'A,X\nB,Y\na,Z\n');
    expect(() => loadSkuMap(file, 'sources.1.skuMap', false)).toThrow(/^sources\.1\.skuMap: .*line 3: "a" is mapped twice/);
    expect(() => loadSkuMap(path.join(dir, 'nope.csv'), 'sources.1.skuMap', false)).toThrow(/sources\.1\.skuMap: cannot read sku map.*ENOENT/);
  });
});

describe('shrink gate', () => {
  it('fails a source that returns fewer than minItemsRatio of its last successful fetch', () => {
    expect(shrinkFailure('dsz', 400, 1000, 0.5)).toMatch(/400 item\(s\), 40% of its usual count \(1000.*--force/);
    expect(shrinkFailure('dsz', 500, 1000, 0.5)).toBeNull();
    expect(shrinkFailure('dsz', 10, undefined, 0.5)).toBeNull();
    expect(shrinkFailure('dsz', 10, 1000, 0)).toBeNull();
  });
});
