/** SPEC §14 `prices`: the read-back checks the price written, and rollback puts back only a price the store still shows. */
import { describe, expect, it } from '@jest/globals';
import { rollbackDecision } from '../../src/pipeline/rollback.js';
import { readBackMismatch } from '../../src/pipeline/verify.js';

const price = { from: '12.00', to: '13.99' };

describe('read-back of a price write', () => {
  it('passes when the store shows the price (and the stock, when stock was written)', () => {
    expect(readBackMismatch({ from: 1, to: 5, price }, { qty: 5, managed: true, price: '13.99' })).toBeNull();
  });

  it('fails when the price did not land, naming both', () => {
    expect(readBackMismatch({ from: 1, to: 5, price }, { qty: 5, managed: true, price: '12.00' })).toBe('read-back: the store reports the price 12.00, expected 13.99');
    expect(readBackMismatch({ from: 1, to: 5, price }, { qty: 5, managed: true, price: null })).toBe('read-back: the store reports the price none, expected 13.99');
  });

  it('a price-only change does not check the level (a sale since the fetch is no mismatch)', () => {
    expect(readBackMismatch({ from: 5, to: 5, price }, { qty: 3, managed: true, price: '13.99' })).toBeNull();
    expect(readBackMismatch({ from: 5, to: 6 }, { qty: 3, managed: true })).toBe('read-back: the store reports 3, expected 6');
  });
});

describe('rollback of a price write', () => {
  const applied = { sku: 'A', productId: 1, variationId: null };

  it('puts the old price back with the old stock while the store still shows what the run wrote', () => {
    expect(rollbackDecision({ ...applied, from: 1, to: 5, price }, { qty: 5, managed: true, price: '13.99' }))
      .toEqual({ restore: 1, price: { from: '13.99', to: '12.00' } });
  });

  it('puts back the price alone (no stock write) for a price-only change, or when the stock moved since', () => {
    expect(rollbackDecision({ ...applied, from: 5, to: 5, price }, { qty: 4, managed: true, price: '13.99' }))
      .toEqual({ restore: 4, from: 4, price: { from: '13.99', to: '12.00' } });
    expect(rollbackDecision({ ...applied, from: 1, to: 5, price }, { qty: 3, managed: true, price: '13.99' }))
      .toEqual({ restore: 3, from: 3, price: { from: '13.99', to: '12.00' } });
  });

  it('leaves a price changed since the run, or one the item did not have before', () => {
    expect(rollbackDecision({ ...applied, from: 5, to: 5, price }, { qty: 5, managed: true, price: '14.50' }))
      .toEqual({ skip: 'nothing to put back; price: changed since that run (the run set 13.99, the store now has 14.50): left as it is' });
    expect(rollbackDecision({ ...applied, from: 5, to: 5, price: { from: null, to: '13.99' } }, { qty: 5, managed: true, price: '13.99' }))
      .toEqual({ skip: 'nothing to put back; price: the item had no price before that run: left as it is' });
  });
});
