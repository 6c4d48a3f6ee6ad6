/**
 * Stage "incremental" (issue 19, point 4): is the incremental store-index refresh exact, and what
 * does it save? One shop on the emulator (simple products plus variable products with 3 variations
 * each), two work directories fetching from it: one with `index: { incremental: true }`, one with
 * the default full refresh. After a first (full) refresh, rounds of random edits through the REST
 * API (stock changes, new products, variation edits; round 2 also deletes products), each followed
 * by a fetch of both: the two store indexes must hold identical rows (order, SKU, ids, stock,
 * managed, name), and the requests and wall time of both are reported. A round with deletions
 * must fall back to a full refresh (the count check), and still be exact.
 *
 * Wall times are local (no rate limit); the store-side cost is the request count, shown as the
 * time it takes at 5 req/s too. Runs once whatever --reps says (a round changes the shop).
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { expectExit, workspace } from '../lib/cli.mjs';
import { fmt, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

const RATE = 5;

/** Rows of both indexes compared in order, one pair at a time; returns the count and the first difference. */
function compareIndexes(fileA, fileB) {
  const a = new Database(fileA, { readonly: true });
  const b = new Database(fileB, { readonly: true });
  const sql = 'SELECT ord, sku, product_id, variation_id, qty, managed, name, ref, not_written, price, visibility FROM store_items ORDER BY ord';
  try {
    const ia = a.prepare(sql).raw(true).iterate();
    const ib = b.prepare(sql).raw(true).iterate();
    let rows = 0;
    for (;;) {
      const x = ia.next();
      const y = ib.next();
      if (x.done && y.done) return { rows, identical: true };
      if (x.done !== y.done || JSON.stringify(x.value) !== JSON.stringify(y.value)) {
        ia.return?.(); ib.return?.();
        return { rows, identical: false, first: { incremental: x.value ?? null, full: y.value ?? null } };
      }
      rows++;
    }
  } finally {
    a.close();
    b.close();
  }
}

export async function incrementalStage(ctx) {
  const simple = ctx.smoke ? 300 : 100_000;
  const variable = ctx.smoke ? 5 : 200;
  const csv = await ctx.feed(ctx.smoke ? 50 : 100);
  const woo = await startWoo({ seed: { count: simple } });
  try {
    await woo.call('seedVariable', { count: variable, variations: 3 });
    const sources = [{ name: 'feed', type: 'csv', path: csv }];
    const incr = workspace(ctx.tmp, 'incremental-on', { sources, store: { url: woo.url, keys: woo.keys, index: { incremental: true } } });
    const full = workspace(ctx.tmp, 'incremental-off', { sources, store: { url: woo.url, keys: woo.keys } });
    const fetch = async (ws, what) => {
      await woo.clearLog();
      const run = expectExit(await ws.run(['fetch', '--json'], ctx.measured(`incremental-${what}`)), `incremental: fetch (${what})`);
      const stats = await woo.stats();
      return { wallMs: run.wallMs, requests: stats.total, index: run.summary?.index ?? 'full', reason: run.summary?.indexReason ?? '', items: run.summary?.counts?.storeItems };
    };
    const first = await fetch(incr, 'first');
    ctx.log(`incremental: first refresh ${first.index} (${first.requests} requests, ${seconds(first.wallMs, 1)} s)`);
    const share = ctx.smoke ? 0.05 : 0.01;
    const edits = { stock: Math.round(simple * share), creates: Math.max(1, Math.round(simple * share / 20)), variationEdits: Math.max(1, Math.round(variable / 4)) };
    const rounds = [
      { label: 'stock edits, new products, variation edits', edits, expect: 'incremental' },
      { label: '… and deleted products', edits: { ...edits, deletes: Math.max(1, Math.round(simple / 10_000)) }, expect: 'full' },
      { label: 'stock edits, new products, variation edits', edits, expect: 'incremental' },
    ];
    const rows = [];
    let exact = 0;
    let asExpected = 0;
    const results = [];
    for (const [i, round] of rounds.entries()) {
      const done = await woo.call('randomEdits', { seed: 1000 + i, createFrom: 9_000_000 + i * 100_000, ...round.edits });
      const a = await fetch(incr, `round${i + 1}`);
      const b = await fetch(full, `round${i + 1}-full`);
      const cmp = compareIndexes(path.join(incr.stateDir, 'invsync.db'), path.join(full.stateDir, 'invsync.db'));
      if (cmp.identical) exact++;
      else ctx.log(`incremental: round ${i + 1} differs after ${cmp.rows} rows: ${JSON.stringify(cmp.first)}`);
      if (a.index === round.expect) asExpected++;
      ctx.log(`incremental: round ${i + 1}: ${a.index} ${a.requests} req ${seconds(a.wallMs, 1)} s vs full ${b.requests} req ${seconds(b.wallMs, 1)} s; ${cmp.identical ? 'identical' : 'DIFFERENT'} (${cmp.rows} rows)`);
      results.push({ a, b, cmp });
      const edits = `${fmt(done.stock)} stock, ${fmt(done.creates)} new, ${fmt(done.deletes)} deleted, ${fmt(done.variationEdits)} variation`;
      rows.push([
        `${i + 1}: ${round.label}`, edits,
        `${a.index}${a.index === 'full' ? ` (${a.reason.split(':')[0]})` : ''}`,
        `${fmt(a.requests)} · ${seconds(a.wallMs, 1)} s · ${seconds((a.requests / RATE) * 1000, 0)} s at ${RATE}/s`,
        `${fmt(b.requests)} · ${seconds(b.wallMs, 1)} s · ${seconds((b.requests / RATE) * 1000, 0)} s at ${RATE}/s`,
        cmp.identical ? `yes (${fmt(cmp.rows)} rows)` : `**NO** (first difference after ${fmt(cmp.rows)} rows)`,
      ]);
    }
    const incrementalRounds = results.filter((r) => r.a.index === 'incremental');
    const saved = incrementalRounds.length
      ? `${fmt(incrementalRounds[0].a.requests)} vs ${fmt(incrementalRounds[0].b.requests)} requests`
      : 'no incremental round';
    return {
      id: 'incremental',
      title: `incremental store index refresh — ${fmt(simple)} simple + ${fmt(variable)} variable products (× 3 variations)`,
      workload: `\`invsync fetch\` with \`index: { incremental: true }\` against the same emulator shop as a plain full \`invsync fetch\`, after a first full refresh and after each round of random REST edits (${fmt(share * 100, 0)} % of the simple products' stock, new products, a quarter of the variable products' variations; round 2 also deletes products, which the \`modified_after\` filter cannot show, so the count check must force a full refresh). Requests are everything the emulator received during the fetch; "at 5/s" is the store-side time at 5 req/s. Identical: every store_items row (position, SKU, ids, stock, managed, name) equal in both state databases. First refresh (full, with index.incremental): ${fmt(first.requests)} requests, ${seconds(first.wallMs, 1)} s.`,
      table: {
        columns: ['round', 'edits', 'refresh', 'incremental on: requests · wall · at 5/s', 'full refresh: requests · wall · at 5/s', 'identical rows'],
        rows,
      },
      targets: [
        {
          what: 'incremental index refresh, exact against a full refresh after random edits',
          target: 'identical rows every round; full on deletions',
          measured: `${exact}/${rounds.length} rounds identical, ${asExpected}/${rounds.length} refreshed as expected; ${saved}`,
          ok: exact === rounds.length && asExpected === rounds.length,
        },
      ],
    };
  } finally {
    await woo.close();
  }
}
