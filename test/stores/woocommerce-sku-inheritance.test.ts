/**
 * The emulator reports variation SKUs as WooCommerce does (API_FACTS §13): a variation without a
 * SKU of its own shows its parent's in the default `view` context, its stored "" with `context=edit`.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { startWooEmulator, variableProduct, variableWithoutOwnSkus, wooRequest, type WooEmulator } from '../fakes/woocommerce.js';

const running: WooEmulator[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((e) => e.close())); });

async function shop() {
  const emu = await startWooEmulator({ products: [variableWithoutOwnSkus('VAR-1', 2), variableProduct('OWN', [{ sku: 'OWN-1', stock_quantity: 1 }, { sku: '', stock_quantity: 2 }])] });
  running.push(emu);
  return emu;
}

describe('WooCommerce emulator: variation SKU inheritance', () => {
  it('lists a SKU-less variation under its parent\'s SKU in the default (view) context', async () => {
    const emu = await shop();
    const res = await wooRequest(emu, { path: 'products/1/variations', query: { orderby: 'id', order: 'asc', _fields: 'id,sku' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ id: 2, sku: 'VAR-1' }, { id: 3, sku: 'VAR-1' }]);
    const own = await wooRequest(emu, { path: 'products/4/variations', query: { orderby: 'id', order: 'asc', _fields: 'id,sku' } });
    expect(own.body).toEqual([{ id: 5, sku: 'OWN-1' }, { id: 6, sku: 'OWN' }]);
    expect((await wooRequest(emu, { path: 'products/1/variations/3', query: { _fields: 'sku' } })).body).toEqual({ sku: 'VAR-1' });
  });

  it('shows the stored, empty SKU with context=edit', async () => {
    const emu = await shop();
    const res = await wooRequest(emu, { path: 'products/1/variations', query: { context: 'edit', orderby: 'id', order: 'asc', _fields: 'id,sku' } });
    expect(res.body).toEqual([{ id: 2, sku: '' }, { id: 3, sku: '' }]);
    expect((await wooRequest(emu, { path: 'products/1/variations/3', query: { context: 'edit', _fields: 'sku' } })).body).toEqual({ sku: '' });
  });

  it('refuses an unknown context like WordPress does', async () => {
    const emu = await shop();
    const res = await wooRequest(emu, { path: 'products/1/variations', query: { context: 'embedx' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'rest_invalid_param', data: { status: 400, params: { context: 'context is not one of view and edit.' } } });
  });

  it('a write answers in view context too: the written variation comes back with the inherited SKU', async () => {
    const emu = await shop();
    const res = await wooRequest(emu, { method: 'POST', path: 'products/1/variations/batch', body: { update: [{ id: 2, stock_quantity: 9 }] } });
    expect(res.status).toBe(200);
    expect((res.body as { update: Array<{ id: number; sku: string; stock_quantity: number }> }).update[0]).toMatchObject({ id: 2, sku: 'VAR-1', stock_quantity: 9 });
    expect(emu.get(2)!.sku).toBe('');
  });
});
