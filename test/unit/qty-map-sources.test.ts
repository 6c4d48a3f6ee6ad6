/**
 * SPEC §14 qtyMap is read where every source parses its quantities (parseQuantity), and the text
 * it read travels in the snapshot to the diff and `explain`.
 */
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { toQtyMap } from '../../src/domain/quantity.js';
import type { SnapshotRecord, SourceRecord } from '../../src/domain/types.js';
import { writeSnapshot } from '../../src/pipeline/snapshot.js';
import { productRecord } from '../../src/sources/dropshipzone/products.js';
import { partRecord } from '../../src/sources/inventree/parts.js';
import { itemRecord } from '../../src/sources/json/items.js';
import { parseDotPath } from '../../src/sources/json/paths.js';
import { ItemAggregator } from '../../src/sources/netsuite/aggregate.js';
import { tempDir } from '../helpers/cli.js';
import { readSnapshot } from '../helpers/snapshot.js';

const qtyMap = toQtyMap({ 'in stock': 10, Y: 1, N: 0 });

describe('qtyMap in every source', () => {
  it('json: a listed text becomes its quantity; other text is still a rejected row', () => {
    const paths = { sku: parseDotPath('sku'), qty: parseDotPath('stock'), skuLabel: 'sku', qtyLabel: 'stock', qtyMap };
    expect(itemRecord({ sku: 'A', stock: 'In stock' }, 1, paths)).toEqual({ kind: 'item', sku: 'A', qty: 10, row: 1, text: 'In stock' });
    expect(itemRecord({ sku: 'B', stock: 'soon' }, 2, paths)).toMatchObject({ kind: 'rejected', reason: 'non-numeric quantity "soon"' });
  });

  it('inventree, dropshipzone and netsuite read the map too', () => {
    expect(partRecord({ pk: 1, IPN: 'A', unallocated_stock: 'y' }, 1, { skuField: 'IPN', qtyField: 'unallocated_stock', qtyMap }))
      .toEqual({ kind: 'item', sku: 'A', qty: 1, row: 1, text: 'y' });
    expect(productRecord({ sku: 'A', in_stock: '1', stock_qty: 'In Stock' }, 1, qtyMap)).toEqual({ kind: 'item', sku: 'A', qty: 10, row: 1, text: 'In Stock' });
    expect(productRecord({ sku: 'A', in_stock: '1', stock_qty: 'In Stock' }, 1)).toMatchObject({ kind: 'rejected' });
    const agg = new ItemAggregator({ skuField: 'itemid', qtyField: 'quantityavailable', locationField: 'location', order: 'grouped', qtyMap });
    const out: SourceRecord[] = [];
    agg.push({ id: 1, itemid: 'A', location: '1', quantityavailable: 'in stock' }, out);
    agg.push({ id: 1, itemid: 'A', location: '2', quantityavailable: '3' }, out);
    agg.finish(out);
    expect(out).toEqual([{ kind: 'item', sku: 'A', qty: 13, row: 1 }]);
  });

  it('the snapshot keeps the text a qtyMap read, for the diff and explain', async () => {
    const file = path.join(tempDir(), 'snapshot.json');
    async function* records(): AsyncGenerator<SnapshotRecord> {
      yield { kind: 'item', source: 'feed', sku: 'A', qty: 10, row: 2, text: 'In "stock"' };
      yield { kind: 'item', source: 'feed', sku: 'B', qty: 3, row: 3 };
    }
    await writeSnapshot(file, { sources: ['feed'] }, records());
    const back: SnapshotRecord[] = [];
    for await (const r of readSnapshot(file)) back.push(r);
    expect(back).toEqual([
      { kind: 'item', source: 'feed', sku: 'A', qty: 10, row: 2, text: 'In "stock"' },
      { kind: 'item', source: 'feed', sku: 'B', qty: 3, row: 3 },
    ]);
  });
});
