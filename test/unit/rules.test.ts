import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { parseQuantity, toQtyMap } from '../../src/domain/quantity.js';
import { diffStore, SupplyAggregator, type MatchExtras, type SkuRewrite } from '../../src/pipeline/match.js';
import { bufferRule } from '../../src/pipeline/rules/buffer.js';
import { compileExclude, parseExcludeFile } from '../../src/pipeline/rules/exclude.js';
import { buildRuleList, runRules } from '../../src/pipeline/rules/index.js';
import { kitRule, type Kits } from '../../src/pipeline/rules/kits.js';
import { loadKits } from '../../src/pipeline/rules/kits-file.js';
import { maxQtyRule } from '../../src/pipeline/rules/max-qty.js';
import { minQtyRule } from '../../src/pipeline/rules/min-qty.js';
import { openOrdersRule } from '../../src/pipeline/rules/open-orders.js';
import { applyPack, parsePackSize } from '../../src/pipeline/rules/pack.js';
import { shareRule } from '../../src/pipeline/rules/share.js';
import { loadSkuMapFile } from '../../src/pipeline/sku-map.js';
import type { SnapshotRecord } from '../../src/domain/types.js';
import { feed, rules, storeOf } from '../helpers/builders.js';
import { tempDir, writeJson } from '../helpers/cli.js';

const noKits = () => ({ unknown: 'no kits' });

function plan(records: SnapshotRecord[], store: ReturnType<typeof storeOf>, options: {
  r?: ReturnType<typeof rules>; sources?: string[]; rewrites?: Map<string, SkuRewrite>; extras?: MatchExtras;
} = {}) {
  const r = options.r ?? rules();
  const supply = new SupplyAggregator(options.sources ?? ['feed'], r, options.rewrites);
  records.forEach((rec) => supply.add(rec));
  return diffStore(supply, store, r, store.length, undefined, undefined, options.extras);
}

function kitsOf(rows: Array<[string, string, number]>): Kits {
  const kits = new Map<string, { sku: string; components: Array<{ key: string; sku: string; units: number }> }>();
  for (const [kit, component, units] of rows) {
    const k = kits.get(kit.toLowerCase()) ?? { sku: kit, components: [] };
    k.components.push({ key: component.toLowerCase(), sku: component, units });
    kits.set(kit.toLowerCase(), k);
  }
  return kits;
}

describe('qtyMap (parseQuantity with a map)', () => {
  const map = toQtyMap({ 'in stock': 10, Y: 1, N: 0 });

  it('reads a listed text case-insensitively, keeping the text as listed', () => {
    expect(parseQuantity(' In Stock ', 'quantity', map)).toEqual({ ok: true, qty: 10, text: 'In Stock' });
    expect(parseQuantity('y', 'quantity', map)).toEqual({ ok: true, qty: 1, text: 'y' });
    expect(parseQuantity('N', 'quantity', map)).toEqual({ ok: true, qty: 0, text: 'N' });
  });

  it('still rejects any other text, and without a map rejects the listed ones too', () => {
    expect(parseQuantity('maybe', 'quantity', map)).toMatchObject({ ok: false, missing: false, reason: 'non-numeric quantity "maybe"' });
    expect(parseQuantity('in stock')).toMatchObject({ ok: false, reason: 'non-numeric quantity "in stock"' });
  });

  it('reads numbers as numbers, never through the map', () => {
    expect(parseQuantity('7', 'quantity', toQtyMap({ y: 1 }))).toEqual({ ok: true, qty: 7 });
    expect(parseQuantity(3, 'quantity', map)).toEqual({ ok: true, qty: 3 });
  });

  it('maps a boolean stock flag by its text', () => {
    expect(parseQuantity(true, 'quantity', toQtyMap({ true: 5, false: 0 }))).toEqual({ ok: true, qty: 5, text: 'true' });
  });
});

describe('packSize', () => {
  it('parses N and "1/N", and refuses 0, "1/0", fractions and other text', () => {
    expect(parsePackSize(6)).toEqual({ op: 'multiply', n: 6 });
    expect(parsePackSize('6')).toEqual({ op: 'multiply', n: 6 });
    expect(parsePackSize('1/4')).toEqual({ op: 'divide', n: 4 });
    for (const bad of [0, -2, 1.5, '1/0', '2/4', 'six', '', null]) expect(parsePackSize(bad)).toHaveProperty('error');
  });

  it('multiplies packs into singles and divides singles into packs rounding down (23 with 1/4 is 5)', () => {
    expect(applyPack(12, { op: 'multiply', n: 6 })).toBe(72);
    expect(applyPack(23, { op: 'divide', n: 4 })).toBe(5);
  });

  it('shows in the diff\'s reason: feed 12 → pack ×6 → 72', () => {
    const result = plan(feed('feed', [['A', 12], ['B', 23]]), storeOf([['A', 0], ['B', 0]]), {
      rewrites: new Map([['feed', { pack: { op: 'multiply', n: 6 }, packs: new Map([['b', { op: 'divide' as const, n: 4 }]]) }]]),
    });
    expect(result.changes.map((c) => [c.sku, c.to, c.reason])).toEqual([
      ['A', 72, 'feed 12 → pack ×6 → 72'],
      ['B', 5, 'feed 23 → pack ÷4 → 5'],
    ]);
  });

  it('applies per source, before aggregate: packs of 6 from one source plus singles from another', () => {
    const result = plan([...feed('feed', [['A', 2]]), ...feed('dsz', [['A', 5]])], storeOf([['A', 0]]), {
      sources: ['feed', 'dsz'], rewrites: new Map([['feed', { pack: { op: 'multiply', n: 6 } }]]),
    });
    expect(result.changes[0]).toMatchObject({ to: 17, reason: 'feed 2 → pack ×6 → 12, dsz 5 → sum 17' });
  });

  it('names every source in the reason, whichever of them a rule shaped and in whatever order they arrive', () => {
    const rewrites = new Map([['b', { pack: { op: 'multiply' as const, n: 6 } }]]);
    const records = [...feed('a', [['X', 5], ['Y', 1]]), ...feed('b', [['X', 2], ['Y', 3]]), ...feed('c', [['X', 1]]), ...feed('a', [['T', 4]])];
    const result = plan(records, storeOf([['X', 0], ['Y', 0]]), { sources: ['a', 'b', 'c'], rewrites });
    expect(result.changes.map((c) => [c.sku, c.to, c.reason])).toEqual([
      ['X', 18, 'a 5, b 2 → pack ×6 → 12, c 1 → sum 18'],
      ['Y', 19, 'a 1, b 3 → pack ×6 → 18 → sum 19'],
    ]);
    const reversed = plan([...records].reverse(), storeOf([['X', 0]]), { sources: ['a', 'b', 'c'], rewrites });
    // In the order the rows arrived (the snapshot's, so match stays deterministic).
    expect(reversed.changes[0]).toMatchObject({ to: 18, reason: 'c 1, b 2 → pack ×6 → 12, a 5 → sum 18' });
    // Sources already combined before the shaped row arrived stand together (aggregate is associative).
    const late = plan([...feed('a', [['X', 5]]), ...feed('c', [['X', 1]]), ...feed('b', [['X', 2]])], storeOf([['X', 0]]), { sources: ['a', 'b', 'c'], rewrites });
    expect(late.changes[0]).toMatchObject({ to: 18, reason: 'a+c 6, b 2 → pack ×6 → 12 → sum 18' });
  });

  it('the skuMap pack column names the file and line of a bad pack', () => {
    const dir = tempDir();
    const file = path.join(dir, 'map.csv');
    fs.writeFileSync(file, 'supplier_sku,store_sku,pack\nA,Store-A,6\n\nB,,1/0\n');
    expect(() => loadSkuMapFile(file, 'sources.0.skuMap', false)).toThrow(/^sources\.0\.skuMap: sku map .*map\.csv line 4: pack size "1\/0" is not valid/);
    fs.writeFileSync(file, 'A,Store-A,6\nB,,1/4\n');
    const { map, packs } = loadSkuMapFile(file, 'sources.0.skuMap', false);
    expect([...map]).toEqual([['a', 'Store-A']]);
    expect([...packs]).toEqual([['a', { op: 'multiply', n: 6 }], ['b', { op: 'divide', n: 4 }]]);
  });
});

describe('the rules after aggregate', () => {
  it('minQty: a quantity strictly below it is offered as 0', () => {
    const rule = minQtyRule(3);
    expect(rule.apply(2, 'a')).toMatchObject({ qty: 0 });
    expect(rule.apply(3, 'a')).toMatchObject({ qty: 3 });
  });

  it('share: floored, exact for decimals the user wrote (100 × 0.29 is 29)', () => {
    expect(shareRule(0.29).apply(100, 'a')).toMatchObject({ qty: 29 });
    expect(shareRule(0.5).apply(7, 'a')).toMatchObject({ qty: 3 });
  });

  it('buffer never goes below 0; maxQty caps, and without a cap holds to 2^31 − 1', () => {
    expect(bufferRule(5).apply(3, 'a')).toMatchObject({ qty: 0 });
    expect(maxQtyRule(50).apply(80, 'a')).toMatchObject({ qty: 50 });
    expect(maxQtyRule(null).apply(3e9, 'a')).toMatchObject({ qty: 2_147_483_647 });
  });

  it('open orders subtract, never below 0', () => {
    const rule = openOrdersRule((key) => (key === 'a' ? 4 : undefined));
    expect(rule.apply(3, 'a')).toMatchObject({ qty: 0 });
    expect(rule.apply(3, 'b')).toMatchObject({ qty: 3 });
  });

  it('kits: the minimum over components of ⌊quantity ÷ units⌋; an unlisted component makes the kit unknown', () => {
    const supply = (key: string) => (key === 'c1' ? 10 : key === 'c2' ? 7 : { unknown: 'no source lists it' });
    const rule = kitRule(kitsOf([['K', 'C1', 2], ['K', 'C2', 1], ['BAD', 'C1', 1], ['BAD', 'NOPE', 1]]), supply);
    expect(rule.apply(null, 'k')).toEqual({ qty: 5, detail: 'min(C1 10÷2, C2 7÷1)' });
    expect(rule.apply(null, 'bad')).toEqual({ unknown: 'kit component NOPE: no source lists it' });
    expect(rule.apply(4, 'c1')).toBeNull();
  });

  it('run in SPEC §14\'s order: kit, open orders, minQty, share, buffer, maxQty — open orders only when given', () => {
    const kits = kitsOf([['K', 'C', 1]]);
    const settings = { minQty: 2, buffer: 1, maxQty: 10, share: 0.5, kits };
    expect(buildRuleList(settings, noKits).map((r) => r.rule)).toEqual(['kit', 'minQty', 'share', 'buffer', 'maxQty']);
    expect(buildRuleList({ ...settings, openOrders: () => 1 }, noKits).map((r) => r.rule)).toEqual(['kit', 'openOrders', 'minQty', 'share', 'buffer', 'maxQty']);
    expect(buildRuleList({ minQty: 0, buffer: 0, maxQty: null }, noKits).map((r) => r.rule)).toEqual(['buffer', 'maxQty']);
    const outcome = runRules(buildRuleList({ minQty: 5, buffer: 2, maxQty: 30, share: 0.5 }, noKits), 'a', 100);
    expect(outcome).toEqual({ kind: 'target', qty: 30, steps: [
      { rule: 'minQty', from: 100, to: 100, detail: '< 5' },
      { rule: 'share', from: 100, to: 50, detail: '×0.5' },
      { rule: 'buffer', from: 50, to: 48, detail: '−2' },
      { rule: 'maxQty', from: 48, to: 30, detail: '≤ 30' },
    ] });
  });
});

describe('rules in match', () => {
  it('minQty offers the last few as 0, and says so in the reason', () => {
    const result = plan(feed('feed', [['A', 2], ['B', 3]]), storeOf([['A', 5], ['B', 5]]), { r: rules({ minQty: 3 }) });
    expect(result.changes.map((c) => [c.sku, c.to, c.reason])).toEqual([['A', 0, 'feed 2 → minQty < 3 → 0'], ['B', 3, 'supplier']]);
  });

  it('a kit gets the minimum of its components; a kit with an unlisted component is reported and left unchanged', () => {
    const kits = kitsOf([['KIT', 'C1', 2], ['KIT', 'C2', 1], ['KIT-X', 'C1', 1], ['KIT-X', 'GHOST', 1]]);
    const result = plan(feed('feed', [['C1', 10], ['C2', 7]]), storeOf([['KIT', 0], ['KIT-X', 4]]), { extras: { kits } });
    expect(result.changes.map((c) => [c.sku, c.to, c.reason])).toEqual([['KIT', 5, 'kit min(C1 10÷2, C2 7÷1) → 5']]);
    expect(result.errors).toEqual([{ sku: 'KIT-X', source: null, message: 'kit unknown (kit component GHOST: no source lists it): left unchanged' }]);
    expect(result.counts).toMatchObject({ inScope: 2, matched: 2, unchanged: 1, missing: 0, changed: 1 });
  });

  it('excluded items are never written and counted in counts.excluded, not in scope', () => {
    const exclude = compileExclude(['DISC-*', '*-old', 'EXACT'], false);
    const result = plan(feed('feed', [['DISC-1', 0], ['A-OLD', 0], ['exact', 0], ['B', 9]]),
      storeOf([['DISC-1', 5], ['A-OLD', 5], ['EXACT', 5], ['B', 5], ['DISCO', 5]]), { extras: { exclude } });
    expect(result.changes.map((c) => c.sku)).toEqual(['B']); // DISCO: "DISC-*" needs the dash; in no feed, kept
    expect(result.counts).toMatchObject({ excluded: 3, inScope: 2, missing: 1, matched: 1 });
  });
});

describe('exclude patterns', () => {
  it('match the whole SKU: * any run, ? one character, everything else literal, case-insensitive by default', () => {
    const m = compileExclude(['DISC-*', 'A?C', 'x.y', '(z)+'], false);
    expect(m.match('disc-42')).toBe('DISC-*');
    expect(m.match('xdisc-42')).toBeUndefined();
    expect(m.match('abc')).toBe('A?C');
    expect(m.match('abbc')).toBeUndefined();
    expect(m.match('x.y')).toBe('x.y');
    expect(m.match('xzy')).toBeUndefined();
    expect(m.match('(z)+')).toBe('(z)+');
    expect(compileExclude(['DISC-*'], true).match('disc-1')).toBeUndefined();
  });

  it('a file holds one pattern per line; blank lines and # comments are skipped', () => {
    expect(parseExcludeFile('# discontinued\nDISC-*\r\n\n  *-OLD  \n')).toEqual(['DISC-*', '*-OLD']);
  });

  it('many wildcard patterns still name the one that matched', () => {
    const patterns = Array.from({ length: 1200 }, (_, i) => `P${i}-*`);
    expect(compileExclude(patterns, false).match('p1100-x')).toBe('P1100-*');
  });
});

describe('kits file', () => {
  function kitsFile(text: string): string {
    const file = path.join(tempDir(), 'kits.csv');
    fs.writeFileSync(file, text);
    return file;
  }

  it('reads kit_sku,component_sku,units with an optional header', () => {
    const kits = loadKits(kitsFile('kit_sku,component_sku,units\nKIT,C1,2\nKIT,C2,1\n'), false);
    expect(kits.get('kit')).toEqual({ sku: 'KIT', components: [{ key: 'c1', sku: 'C1', units: 2 }, { key: 'c2', sku: 'C2', units: 1 }] });
  });

  it('a bad row is a configuration error naming the file and line', () => {
    expect(() => loadKits(kitsFile('KIT,C1,2\n\nKIT,C2,0\n'), false)).toThrow(/^rules\.kits: kits file .*kits\.csv line 3: units "0" is not a whole number/);
    expect(() => loadKits(kitsFile('KIT,C1,2\nKIT,,1\n'), false)).toThrow(/line 2: expected "kit_sku,component_sku,units"/);
    expect(() => loadKits(kitsFile('KIT,C1,2\nKIT,c1,1\n'), false)).toThrow(/line 2: component c1 is listed twice for kit KIT/);
    expect(() => loadKits(kitsFile('KIT,C1,1\nBOX,KIT,2\n'), false)).toThrow(/line 2: KIT is a kit and a component of another kit/);
    expect(() => loadKits(path.join(tempDir(), 'none.csv'), false)).toThrow(/^rules\.kits: cannot read kits file .*ENOENT/);
  });
});

describe('configuration of the rules (exit 2, naming the path)', () => {
  const base = {
    sources: [{ name: 'feed', type: 'csv', path: 'feed.csv' }],
    store: { type: 'woocommerce', url: 'https://shop.example.com', consumerKey: 'k', consumerSecret: 's' },
  };
  async function load(patch: (c: Record<string, any>) => void, files: Record<string, string> = {}) {
    const c = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    patch(c);
    const dir = tempDir();
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return loadConfig({ explicitPath: writeJson(path.join(dir, 'c.json'), c), env: {} });
  }

  it('refuses a negative minQty, a packSize of "1/0" and a qtyMap whose texts collide once folded', async () => {
    await expect(load((c) => { c.rules = { minQty: -1 }; })).rejects.toThrow(/^rules\.minQty: /);
    await expect(load((c) => { c.sources[0].packSize = '1/0'; })).rejects.toThrow(/^sources\.0\.packSize: pack size "1\/0" is not valid/);
    await expect(load((c) => { c.sources[0].qtyMap = { Y: 1, y: 2 }; })).rejects.toThrow(/^sources\.0\.qtyMap\.y: "y" and "Y" are the same text/);
    await expect(load((c) => { c.sources[0].qtyMap = { 5: 1 }; })).rejects.toThrow(/^sources\.0\.qtyMap\.5: "5" is a number/);
    await expect(load((c) => { c.sources[0].qtyMap = { Y: -1 }; })).rejects.toThrow(/^sources\.0\.qtyMap\.Y: /);
    await expect(load((c) => { c.rules = { exclude: 'DISC-*' }; })).rejects.toThrow(/^rules\.exclude: expected an array of SKU patterns/);
  });

  it('reads the kits and exclude files with the config: a bad kits row or a missing file is a configuration error', async () => {
    await expect(load((c) => { c.rules = { kits: 'kits.csv' }; }, { 'kits.csv': 'KIT,C1,2\nKIT,C2,x\n' }))
      .rejects.toThrow(/^rules\.kits: kits file .*kits\.csv line 2: units "x"/);
    await expect(load((c) => { c.rules = { exclude: { file: 'none.txt' } }; })).rejects.toThrow(/^rules\.exclude\.file: cannot read exclude file .*none\.txt: ENOENT/);
  });

  it('resolves the kits and exclude files against the config file\'s directory', async () => {
    const { config, filePath } = await load((c) => { c.rules = { kits: 'kits.csv', exclude: { file: 'lists/exclude.txt' } }; },
      { 'kits.csv': 'KIT,C1,1\n', 'lists/exclude.txt': 'DISC-*\n' });
    const dir = path.dirname(filePath!);
    expect(config.rules.kits).toBe(path.join(dir, 'kits.csv'));
    expect(config.rules.exclude).toEqual({ file: path.join(dir, 'lists', 'exclude.txt') });
  });
});
