/**
 * Loads the WooCommerce emulator the way the benchmark needs it: the BUILT module
 * (dist/demo/woocommerce-emulator.js of the build under test), with a bench-only overlay when it is still needed.
 *
 * NOTE (why an overlay): the emulator's product listing copies, filters and sorts the WHOLE
 * catalog on every page request (`[...catalog.records.values()].filter(…)` + `sortRecords`),
 * ≈ 300 ms per page at 1,000,000 products: a 10,000-page listing would take ≈ 50 min and measure
 * the fake, not invsync. The overlay answers the unfiltered id/date-ordered listing (what the
 * adapter sends) from an id-ordered array cached until the catalog's membership changes: same
 * records, same order, same headers, O(page) per request. Everything else (auth, OAuth checks,
 * faults, the request log, writes) is the emulator's own code, untouched. When the emulator gets
 * an index of its own the anchor disappears and the module is used as built (`patched: false`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildRoot, ROOT } from './build.mjs';

const CACHE = path.join(ROOT, 'node_modules/.cache/invsync-bench');

const LIST_ANCHOR = "let all = [...catalog.records.values()].filter((r) => (p.skus ? p.skus.includes(r.sku) : r.type !== 'variation'));";
const FAST_PATH = "if (!p.skus && !p.type && !p.include && !p.stockStatus && (p.orderby === 'id' || p.orderby === 'date' || p.orderby === 'modified')) " +
  "return pageReply(__benchProductsById(catalog.records, p.order), p, ctx.query, ctx.origin, 'products', (r) => productJson(r, ctx.origin));\n        " +
  // `include` (read-back): look the ids up instead of testing every record against the list.
  "if (p.include && !p.skus && !p.type && !p.stockStatus) " +
  "return pageReply(sortRecords(__benchIncluded(catalog.records, p.include), p), p, ctx.query, ctx.origin, 'products', (r) => productJson(r, ctx.origin));\n        ";
const MEMBERSHIP = [['records.set(v.id, v);', 'records.set(v.id, v); __benchGeneration++;'], ['records.set(p.id, p);', 'records.set(p.id, p); __benchGeneration++;'], ['records.delete(id);', 'records.delete(id); __benchGeneration++;'], ['records.delete(vid);', 'records.delete(vid); __benchGeneration++;']];
const HELPERS = `
// ---- invsync bench overlay (bench/lib/load-emulator.mjs) ----
let __benchGeneration = 0;
const __benchCache = new WeakMap();
/** Products (no variations) of one catalog by id, ascending or descending; rebuilt when membership changed. */
function __benchProductsById(records, order) {
  let c = __benchCache.get(records);
  if (!c || c.generation !== __benchGeneration) {
    const asc = [];
    for (const r of records.values()) if (r.type !== 'variation') asc.push(r);
    for (let i = 1; i < asc.length; i++) if (asc[i - 1].id > asc[i].id) { asc.sort((a, b) => a.id - b.id); break; }
    c = { generation: __benchGeneration, asc, desc: null };
    __benchCache.set(records, c);
  }
  if (order === 'asc') return c.asc;
  return (c.desc ??= [...c.asc].reverse());
}
/** The products (no variations) among \`ids\`, each once, in catalog order. */
function __benchIncluded(records, ids) {
  const wanted = new Set(ids);
  return [...wanted].map((id) => records.get(id)).filter((r) => r !== undefined && r.type !== 'variation').sort((a, b) => a.id - b.id);
}
`;

/** Import the emulator module; `patched` says whether the listing overlay was applied. */
export async function loadEmulator() {
  const DIST = path.join(buildRoot(), 'dist/demo/woocommerce-emulator.js');
  if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
  const source = fs.readFileSync(DIST, 'utf8');
  const anchors = [LIST_ANCHOR, ...MEMBERSHIP.map(([from]) => from)];
  if (!anchors.every((a) => source.split(a).length === 2)) {
    return { module: await import(pathToFileURL(DIST).href), patched: false };
  }
  let patched = source.replace(LIST_ANCHOR, FAST_PATH + LIST_ANCHOR);
  for (const [from, to] of MEMBERSHIP) patched = patched.replace(from, to);
  patched = patched.replace(/^(import .*\n)+/m, (imports) => imports + HELPERS);
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `woocommerce-emulator.bench-${process.pid}.mjs`);
  fs.writeFileSync(file, patched);
  try {
    return { module: await import(pathToFileURL(file).href), patched: true };
  } finally {
    fs.rmSync(file, { force: true });
  }
}
