import { describe, expect, it } from '@jest/globals';
import { humanSummary, outputMode, renderCsv, renderDiffTable, useColor } from '../../src/cli/render.js';
import { lowStockItems } from '../../src/lib/low-stock.js';
import { change, summaryOf } from '../helpers/summaries.js';

const ESC = '\x1b[';

describe('the diff table', () => {
  it('shows sku, product name and ids, from → to, the signed delta and the reason', () => {
    const table = renderDiffTable([
      change('ABC-1', 4, 7, { name: 'Blue mug' }),
      change('ABC-2', 9, 0, { productId: 13, variationId: 14, reason: 'missing' }),
      change('ABC-3', null, 5, { productId: 15, reason: 'unmanaged' }),
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SKU\s+PRODUCT\s+FROM\s+TO\s+Δ\s+REASON$/);
    expect(lines[1]).toMatch(/^ABC-1\s+Blue mug \[12\]\s+4\s+→\s+7\s+\+3\s+feed$/);
    expect(lines[2]).toMatch(/^ABC-2\s+\[13\/14\]\s+9\s+→\s+0\s+-9\s+in no feed → 0$/);
    expect(lines[3]).toMatch(/^ABC-3\s+\[15\]\s+—\s+→\s+5\s+new\s+feed; starts stock tracking$/);
    expect(table).not.toContain(ESC);
  });

  it('adds a STATUS column with the store\'s error once a push has touched the plan', () => {
    const table = renderDiffTable([change('A', 1, 2, { status: 'applied' }), change('B', 1, 3, { status: 'failed', error: 'invalid id' }), change('C', 1, 4, { status: 'pending' })]);
    expect(table.split('\n')[0]).toMatch(/REASON\s+STATUS$/);
    expect(table).toMatch(/^A\s.*applied$/m);
    expect(table).toMatch(/^B\s.*failed: invalid id$/m);
    expect(table).toMatch(/^C\s.*pending$/m);
  });

  it('colours rises green, drops red and new zeros bold red only when asked', () => {
    const coloured = renderDiffTable([change('UP', 1, 5), change('DOWN', 5, 1), change('ZERO', 5, 0)], { color: true });
    expect(coloured).toContain(`${ESC}32m+4`);
    expect(coloured).toContain(`${ESC}31m-4`);
    expect(coloured).toMatch(/\x1b\[1;31m\s*0\x1b/);
    // The same cells line up with and without colour.
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(renderDiffTable([change('UP', 1, 5), change('DOWN', 5, 1), change('ZERO', 5, 0)]));
  });

  it('uses colour only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });
});

describe('where a finished run\'s result goes', () => {
  const base = { json: false, verbose: false, stdoutIsTTY: false, command: 'full', dryRun: false, exitCode: 0, quiet: false };

  it('cron: a successful run prints nothing; a failed, partial or blocked one prints its summary on stderr', () => {
    expect(outputMode(base)).toBe('none');
    for (const exitCode of [1, 3, 4, 5]) expect([exitCode, outputMode({ ...base, exitCode })]).toEqual([exitCode, 'stderr']);
    expect(outputMode({ ...base, command: 'push' })).toBe('none');
    expect(outputMode({ ...base, command: 'fetch' })).toBe('none');
  });

  it('a dry run, match, a terminal or --verbose get the diff on stdout; --json always gets JSON', () => {
    expect(outputMode({ ...base, dryRun: true })).toBe('human');
    expect(outputMode({ ...base, command: 'match' })).toBe('human');
    expect(outputMode({ ...base, stdoutIsTTY: true })).toBe('human');
    expect(outputMode({ ...base, verbose: true })).toBe('human');
    expect(outputMode({ ...base, json: true, exitCode: 5 })).toBe('json');
  });

  it('a usage or config error adds nothing to its logged message; informational commands print their own output', () => {
    expect(outputMode({ ...base, exitCode: 2, stdoutIsTTY: true })).toBe('none');
    expect(outputMode({ ...base, quiet: true, exitCode: 5, stdoutIsTTY: true })).toBe('none');
  });
});

describe('the human summary', () => {
  it('says how the store index was refreshed and why (index.incremental), per store with several', () => {
    const one = humanSummary({ ...summaryOf(), index: 'full', indexReason: 'count check failed: the merged index has 11 product(s), the store reports 10' });
    expect(one).toContain('Store index refreshed in full: count check failed: the merged index has 11 product(s), the store reports 10.');
    const several = humanSummary({ ...summaryOf(), stores: [{ ...summaryOf(), name: 'big', planId: null, index: 'incremental', indexReason: 'changes since 2026-12-06T05:00:00.000Z' }] } as never);
    expect(several).toContain('Store "big": index refreshed incrementally: changes since 2026-12-06T05:00:00.000Z.');
    expect(humanSummary(summaryOf())).not.toContain('index refreshed');
  });

  it('is a headline and one paragraph: outcome, counts, changes, safety and where to look next', () => {
    const text = humanSummary(summaryOf());
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('✔ invsync full: OK (exit 0) in 1.8 s.');
    expect(lines[1]).toContain('Read 300 supplier item(s) from 1 source(s) and 300 store item(s)');
    expect(lines[1]).toContain('2 change(s): 2 applied, 0 failed, 0 pending.');
    expect(lines[1]).toContain('Safety: 0.7% missing, 0.3% new zeros.');
    expect(lines[1]).toContain('invsync show 2026-11-22T02:00:00.123Z-7f3a');
  });

  it('names what went wrong: the tripped gate with its message, failed items, problems and low stock', () => {
    const blocked = humanSummary(summaryOf({
      status: 'blocked', exitCode: 4, counts: { ...summaryOf().counts, applied: 0 },
      safety: { missingRatio: 0.4, zeroRatio: 0, tripped: 'maxMissingRatio', message: 'safety gate maxMissingRatio tripped: 40% … limit 30%; nothing was written. If the feed is right, re-run with --force.' },
      errors: [{ sku: 'X-1', source: 'feed', row: 7, message: 'row 7: non-numeric quantity "x"' }],
      lowStock: [{ sku: 'ABC-2', qty: 0 }, { sku: 'ABC-9', qty: 1 }],
    }));
    expect(blocked).toMatch(/^■ invsync full: BLOCKED \(exit 4\)/);
    expect(blocked).toContain('TRIPPED maxMissingRatio');
    expect(blocked).toContain('re-run with --force');
    // A gate-blocked plan is no work for push: the summary must not promise a retry.
    expect(blocked).toContain('2 change(s) planned, none written: the safety gate stopped the run.');
    expect(blocked).not.toContain('retries the rest');
    expect(blocked).toContain('[feed] X-1: row 7: non-numeric quantity "x"');
    expect(blocked).toContain('Low stock: 2 item(s) at or below the threshold: ABC-2 (0), ABC-9 (1).');
    const partial = humanSummary(summaryOf({ status: 'partial', exitCode: 1, counts: { ...summaryOf().counts, applied: 1, failed: 1 } }));
    expect(partial).toContain('1 applied, 1 failed, 0 pending (`invsync push` retries the rest)');
  });

  it('says a dry run wrote nothing and how to apply exactly that plan', () => {
    const text = humanSummary(summaryOf({ dryRun: true, counts: { ...summaryOf().counts, applied: 0 } }));
    expect(text).toMatch(/^✔ invsync full --dry-run: OK/);
    expect(text).toContain('2 change(s) planned, nothing written to the store (`invsync push` applies exactly this plan).');
  });

  it('a rollback dry run says nothing is left for push (its plan is a preview push never applies)', () => {
    const text = humanSummary(summaryOf({ command: 'rollback', dryRun: true, counts: { ...summaryOf().counts, applied: 0 } }));
    expect(text).toContain('2 change(s) planned, nothing written to the store and nothing left for `invsync push`.');
    expect(text).not.toContain('applies exactly this plan');
  });

  it('names the store of each problem when the config lists stores, and ends the message with a full stop', () => {
    const text = humanSummary(summaryOf({
      message: 'rollback of run R: 1 level(s) to put back, 1 left as they are',
      errors: [
        { store: 'web', sku: 'W-1', source: null, message: 'duplicate store SKU: held by [1], [2]' },
        { store: 'amazon', sku: 'MUG', source: null, message: 'duplicate store SKU: held by [2], [3]' },
      ],
    }));
    expect(text).toContain('1 left as they are. 2 problem(s): [web] W-1: duplicate store SKU: held by [1], [2]; [amazon] MUG: duplicate store SKU: held by [2], [3].');
  });
});

describe('the diff as CSV', () => {
  it('has a header and one quoted-as-needed row per change, safe to open in a spreadsheet', () => {
    const csv = renderCsv([change('ABC-1', 4, 7, { name: 'Mug, "blue"' }), change('=cmd()', null, 2, { status: 'failed', error: 'bad\nid' })]);
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe('sku,name,product_id,variation_id,from,to,delta,reason,status,error');
    expect(rows[1]).toBe('ABC-1,"Mug, ""blue""",12,,4,7,3,supplier,planned,');
    expect(rows[2]).toBe('"\'=cmd()",,12,,,2,,supplier,failed,"bad\nid"');
    expect(csv.endsWith('\r\n')).toBe(true);
  });
});

describe('the low-stock report', () => {
  it('lists the items a run sets to at or below the threshold, lowest first, but not failed writes', () => {
    const items = lowStockItems([
      change('A', 5, 2), change('B', 5, 3), change('C', 5, 0, { name: 'Cup' }), change('D', 9, 1, { status: 'failed' }), change('E', null, 2, { status: 'applied' }),
    ], 2);
    expect(items).toEqual([{ sku: 'C', qty: 0, name: 'Cup' }, { sku: 'A', qty: 2 }, { sku: 'E', qty: 2 }]);
  });
});
