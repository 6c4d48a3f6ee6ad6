/**
 * The way older stock-sync tools work, for comparison only: for every feed row, search the
 * store for the SKU (`GET /products?sku=X`), then update that product (`PUT /products/{id}`),
 * one request each, strictly one after the other. Authenticated like invsync over plain http
 * (OAuth 1.0a one-legged, with invsync's own signer from dist/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildRoot } from './build.mjs';


/** Rows of a `sku,qty` CSV (the bench's own files: no quoting). */
export function readFeed(file) {
  return fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((line) => {
    const [sku, qty] = line.split(',');
    return { sku, qty: Number(qty) };
  });
}

/**
 * Sync `feedFile` into the store at `siteUrl`. Resolves { requests, wallMs, updated, notFound, errors }.
 */
export async function oldToolSync({ siteUrl, keys, feedFile }) {
  const { signUrl } = await import(pathToFileURL(path.join(buildRoot(), 'dist/stores/woocommerce/oauth.js')).href);
  const api = `${siteUrl}/wp-json/wc/v3`;
  const rows = readFeed(feedFile);
  let requests = 0;
  let updated = 0;
  let notFound = 0;
  const errors = [];
  const call = async (method, url, body) => {
    signUrl(method, url, keys);
    requests++;
    const res = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url.pathname}: HTTP ${res.status} ${json?.code ?? ''}`);
    return json;
  };
  const t0 = process.hrtime.bigint();
  for (const { sku, qty } of rows) {
    try {
      const search = new URL(`${api}/products`);
      search.searchParams.set('sku', sku);
      const found = await call('GET', search);
      if (!Array.isArray(found) || found.length === 0) { notFound++; continue; }
      await call('PUT', new URL(`${api}/products/${found[0].id}`), { manage_stock: true, stock_quantity: qty });
      updated++;
    } catch (err) {
      errors.push(err.message);
    }
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { requests, wallMs, updated, notFound, errors };
}
