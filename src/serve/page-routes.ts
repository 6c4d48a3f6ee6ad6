/**
 * Two read-only routes the page's pictures need beyond SPEC §13's list (mounted under /api, behind
 * the same auth): `GET /api/stats/runs?limit=N`, the recent runs with the counts the runs chart
 * draws (GET /api/runs carries no counts, and fetching every summary would cost a request and a
 * whole diff per bar); `GET /api/skus/<sku>/history?limit=N`, the SKU's changes in the newest N
 * plans, for the stock-level chart in its explanation.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { Db } from '../state/db.js';
import { MAX_STATS, runStats, skuLevels } from '../state/run-stats.js';
import { parseLimit } from './protocol.js';

export function pageRoutes(db: Db, options: { skuCaseSensitive: boolean }): Hono {
  const app = new Hono();
  app.get('/stats/runs', (c) => {
    const limit = readLimit(c.req.query('limit'));
    if (typeof limit === 'string') return c.json({ error: limit, field: 'limit' }, 400);
    return c.json(runStats(db, limit));
  });
  app.get('/skus/:sku/history', (c) => {
    const sku = c.req.param('sku');
    if (sku.trim() === '') return c.json({ error: 'sku: empty', field: 'sku' }, 400);
    const limit = readLimit(c.req.query('limit'));
    if (typeof limit === 'string') return c.json({ error: limit, field: 'limit' }, 400);
    return c.json(skuLevels(db, sku, { limit, caseSensitive: options.skuCaseSensitive }));
  });
  return app;
}

const readLimit = (text: string | undefined) => parseLimit(text, 30, MAX_STATS);

/**
 * The page's files are served with a strict Content-Security-Policy: the page has no inline script,
 * handler or style attribute and reaches only its own server, so injected markup could run nothing
 * even if some store text ever slipped past textContent.
 */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const pageHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
};
