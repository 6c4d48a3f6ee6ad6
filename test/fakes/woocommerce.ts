/**
 * The WooCommerce emulator (src/demo/woocommerce-emulator.ts) plus test conveniences:
 * catalog builders, a TLS key pair for https runs, and a raw request helper for tests that
 * check the emulator's own fidelity.
 */
import { signUrl } from '../../src/stores/woocommerce/oauth.js';
import {
  DEFAULT_WOO_KEY,
  type WooEmulator,
  type WooEmulatorOptions,
  type WooSeedProduct,
  type WooSeedVariation,
  startWooEmulator,
} from '../../src/demo/woocommerce-emulator.js';

export * from '../../src/demo/woocommerce-emulator.js';

/** `n` managed simple products SKU-0001… with stock = `stock(i)` (default i % 7). */
export function simpleProducts(
  n: number,
  options: { skuPrefix?: string; start?: number; stock?: (i: number) => number | null; managed?: boolean } = {},
): WooSeedProduct[] {
  const prefix = options.skuPrefix ?? 'SKU-';
  const start = options.start ?? 1;
  return Array.from({ length: n }, (_, k) => {
    const i = start + k;
    const qty = options.stock ? options.stock(i) : i % 7;
    const managed = options.managed ?? qty !== null;
    return {
      type: 'simple' as const,
      name: `Product ${i}`,
      sku: `${prefix}${String(i).padStart(4, '0')}`,
      manage_stock: managed,
      stock_quantity: managed ? qty : null,
    };
  });
}

/** A variable product with `variations` (a count → managed variations `${sku}-1`…, or explicit seeds). */
export function variableProduct(sku: string, variations: number | WooSeedVariation[], options: { stock?: (i: number) => number } = {}): WooSeedProduct {
  const list = typeof variations === 'number'
    ? Array.from({ length: variations }, (_, k) => ({ sku: `${sku}-${k + 1}`, name: `${sku} - ${k + 1}`, manage_stock: true, stock_quantity: options.stock ? options.stock(k + 1) : k + 2 }))
    : variations;
  return { type: 'variable', name: `Variable ${sku}`, sku, variations: list };
}

/**
 * A variable product whose `count` variations have no SKU of their own (managed, stock `stock(i)`):
 * the API reports each under the parent's SKU in the default view context (API_FACTS §13).
 */
export function variableWithoutOwnSkus(sku: string, count: number, options: { stock?: (i: number) => number } = {}): WooSeedProduct {
  return variableProduct(sku, Array.from({ length: count }, (_, k) => ({
    sku: '', name: `${sku} option ${k + 1}`, manage_stock: true, stock_quantity: options.stock ? options.stock(k + 1) : k + 1,
  })));
}

/**
 * A realistic catalog with exactly `count` stock-carrying items (simple products and variations),
 * plus a grouped and an external product that carry none. Every 4th product is variable with
 * 2 variations; one simple product in 10 is unmanaged. Returns the seeds and the stock-carrying
 * SKUs in store order (product id, then variation id).
 */
export function mixedCatalog(count: number, skuPrefix = 'M-'): { products: WooSeedProduct[]; skus: string[] } {
  const products: WooSeedProduct[] = [];
  const skus: string[] = [];
  let n = 0;
  for (let p = 1; n < count; p++) {
    const sku = `${skuPrefix}${String(p).padStart(4, '0')}`;
    if (p % 4 === 0 && count - n >= 2) {
      const v = variableProduct(sku, 2, { stock: (i) => (p + i) % 9 });
      products.push(v);
      for (const s of v.variations ?? []) skus.push(s.sku as string);
      n += 2;
    } else {
      const managed = p % 10 !== 3;
      products.push({ type: 'simple', name: `Product ${sku}`, sku, manage_stock: managed, stock_quantity: managed ? p % 11 : null });
      skus.push(sku);
      n += 1;
    }
    if (p === 2) products.push({ type: 'grouped', name: 'A grouped product', sku: `${skuPrefix}GROUPED` });
    if (p === 5) products.push({ type: 'external', name: 'An external product', sku: `${skuPrefix}EXTERNAL` });
  }
  return { products, skus };
}

/** Start an emulator seeded with `mixedCatalog(count)`. */
export async function startSeededWoo(count: number, options: WooEmulatorOptions = {}): Promise<{ emu: WooEmulator; skus: string[] }> {
  const { products, skus } = mixedCatalog(count);
  const emu = await startWooEmulator({ ...options, products: [...(options.products ?? []), ...products] });
  return { emu, skus };
}

/**
 * Self-signed P-256 key pair for 127.0.0.1/localhost, for https runs of the emulator (clients
 * must set insecureTls). Test-only material: it protects nothing.
 */
export const TEST_TLS = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+zWrUV6Y22w/FAq6
VjSWSqit1larftG/TL0H/neih3ChRANCAASBZV9Z1Yxj3+rIutCLHQYwBn+pvoj7
u1cVYgDtVnbtCoo7Q9qv0daOhZlG2QwWqSBZD4PE8AEFffNIEADRHI/3
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUC4FoePFOo3Dy0r69gYpboxTdeFYwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjA3MTUyOVoYDzIxMjYxMDI5
MDcxNTI5WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASBZV9Z1Yxj3+rIutCLHQYwBn+pvoj7u1cVYgDtVnbtCoo7Q9qv0daO
hZlG2QwWqSBZD4PE8AEFffNIEADRHI/3o28wbTAdBgNVHQ4EFgQUk0LBJ58kDQaZ
W1u5pD4qqBkcL/8wHwYDVR0jBBgwFoAUk0LBJ58kDQaZW1u5pD4qqBkcL/8wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAJperPy7CAKDXIpsHBlRvG8iAS11VwQPEPWOCe/xrgRSAiAJ
jZOQZej/3NqrO8ZQoh/HlaHQgkJLXKs2sOdJikjhSg==
-----END CERTIFICATE-----
`,
};

export interface WooRawRequest {
  method?: 'GET' | 'POST' | 'PUT';
  /** Path under /wp-json/wc/v3/, e.g. "products/batch". */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  /** 'oauth' (default): signed query; 'basic': Authorization header; 'none'. */
  auth?: 'oauth' | 'basic' | 'none';
  consumerKey?: string;
  consumerSecret?: string;
  /** Fixed OAuth nonce/timestamp (for replay tests). */
  nonce?: string;
  timestamp?: number;
  /** Change the signed URL before sending (for tamper tests). */
  tamper?: (url: URL) => void;
}

export interface WooRawResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One raw request to the emulator over plain http (global fetch), bypassing the adapter. */
export async function wooRequest(emu: WooEmulator, request: WooRawRequest): Promise<WooRawResponse> {
  const method = request.method ?? 'GET';
  const url = new URL(`${emu.apiUrl}/${request.path}`);
  for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, String(v));
  const consumerKey = request.consumerKey ?? DEFAULT_WOO_KEY.consumerKey;
  const consumerSecret = request.consumerSecret ?? DEFAULT_WOO_KEY.consumerSecret;
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = request.auth ?? 'oauth';
  if (auth === 'oauth') {
    signUrl(method, url, { consumerKey, consumerSecret }, { nonce: request.nonce, timestamp: request.timestamp });
  } else if (auth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`).toString('base64')}`;
  }
  request.tamper?.(url);
  const init: RequestInit = { method, headers };
  if (request.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(request.body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
  return { status: res.status, headers: res.headers, body };
}
