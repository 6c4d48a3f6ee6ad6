import type { WooSeedProduct } from './woocommerce-emulator.js';

/**
 * The demo shop: simple products and variable products with variations, some with stock
 * management off (invsync turns it on when it first sets their quantity).
 */
export function demoCatalog(): WooSeedProduct[] {
  const products: WooSeedProduct[] = [];
  const names = ['Mug', 'Poster', 'Notebook', 'Sticker pack', 'Tote bag', 'Keyring', 'Pen', 'Coaster', 'Candle', 'Calendar'];
  for (let i = 1; i <= 24; i++) {
    products.push({
      type: 'simple',
      name: `${names[i % names.length]} #${i}`,
      sku: `DEMO-${String(i).padStart(3, '0')}`,
      manage_stock: i % 8 !== 0,
      stock_quantity: i % 8 !== 0 ? (i * 7) % 23 : null,
    });
  }
  for (const [sku, name, sizes] of [['TSHIRT', 'T-shirt', ['S', 'M', 'L', 'XL']], ['HOODIE', 'Hoodie', ['M', 'L']], ['CAP', 'Cap', ['RED', 'BLUE', 'BLACK']]] as const) {
    products.push({
      type: 'variable',
      name,
      sku,
      variations: sizes.map((size, k) => ({ sku: `${sku}-${size}`, name: `${name} - ${size}`, manage_stock: true, stock_quantity: 3 + k * 4 })),
    });
  }
  return products;
}

/**
 * The supplier feed for the demo: most SKUs with new levels, a few unchanged, one row the
 * rules reject (non-numeric quantity), one fractional and one negative quantity, one SKU the
 * store does not sell.
 */
export function demoFeed(catalog: WooSeedProduct[]): string {
  const rows: string[] = ['sku,qty'];
  const skus: Array<{ sku: string; qty: number | null }> = [];
  for (const p of catalog) {
    if (p.type === 'variable') for (const v of p.variations ?? []) skus.push({ sku: v.sku ?? '', qty: v.stock_quantity ?? null });
    else skus.push({ sku: p.sku ?? '', qty: p.stock_quantity ?? null });
  }
  skus.forEach(({ sku, qty }, i) => {
    if (i === 5) rows.push(`${sku},call us`);
    else if (i === 6) rows.push(`${sku},12.7`);
    else if (i === 7) rows.push(`${sku},-4`);
    else if (i % 5 === 0 && qty !== null) rows.push(`${sku},${qty}`);
    else rows.push(`${sku.toLowerCase()},${(i * 11) % 40}`);
  });
  rows.push('NOT-IN-STORE-1,9');
  return `${rows.join('\n')}\n`;
}
