import type { Command } from 'commander';
import { UsageError } from '../../domain/errors.js';
import { explainSku, type Explanation } from '../../pipeline/explain.js';
import type { RuleStep } from '../../pipeline/rules/index.js';
import { runCommand, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';

type Globals = () => GlobalOptions;

/** `invsync explain <sku>` (SPEC §13): read-only, local state only (no lock, no run recorded). */
export function registerExplainCommand(program: Command, globals: Globals, exit: (code: number) => void): void {
  program.command('explain <sku>')
    .description('why the store will show what it will show for a SKU: the source rows, each rule in order, the store item(s) and the target (local state only)')
    .option('--store <name>', 'with several stores: the store to explain for (its sources, rules and items; default the first)')
    .addHelpText('after', '\nExamples:\n  $ invsync explain ABC-1\n  $ invsync explain ABC-1 --json | jq .rules\n  $ invsync explain ABC-1 --store amazon')
    .action(async (sku: string, opts: { store?: string }) => {
      const json = Boolean(globals().json);
      const parse = () => {
        if (sku.trim() === '') throw new UsageError('give a SKU: `invsync explain ABC-1`');
        return sku;
      };
      exit(await runCommand({ ...globals(), json: false }, { name: 'explain', mutating: false, quiet: true, parse }, async (ctx, wanted) => {
        const explanation = await explainSku({ db: ctx.db, config: ctx.loaded.config, sku: wanted, ...(opts.store === undefined ? {} : { store: opts.store }) });
        process.stdout.write(json ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation));
        return EXIT.ok;
      }));
    });
}

/** The human form: sources, rules (from → to), store items, and the verdict. Pure. */
export function renderExplanation(e: Explanation): string {
  const lines: string[] = [`${e.sku}: target ${e.target ?? 'unknown'}`];
  lines.push('', 'sources:');
  if (e.sources.length === 0) lines.push('  (no source lists it)');
  for (const s of e.sources) {
    const what = s.rejected !== undefined ? `rejected: ${s.rejected}` : s.text !== undefined ? `${JSON.stringify(s.text)} (qty ${s.qty})` : `qty ${s.qty}`;
    lines.push(`  ${s.source} row ${s.row}: ${s.sku}  ${what}`);
  }
  lines.push('', 'rules, in order:');
  if (e.rules.length === 0) lines.push('  (none applied)');
  for (const r of e.rules) lines.push(`  ${ruleLine(r)}`);
  lines.push('', 'store items:');
  if (e.storeItems.length === 0) lines.push('  (none)');
  for (const i of e.storeItems) lines.push(`  ${i.store} product ${i.productId}${i.variationId === null ? '' : ` variation ${i.variationId}`}: qty ${i.qty ?? 'not managed'}`);
  lines.push('', e.notWritten === null ? 'written: yes (or already right)' : `not written: ${e.notWritten}`);
  if (e.price) {
    const p = e.price;
    const amounts = Object.entries(p.amounts).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push('', `price: ${p.target ?? 'not written'}${p.current === undefined ? '' : ` (store now: ${p.current ?? 'none'})`}`);
    lines.push(`  amounts: ${amounts || '(none)'}${p.source ? ` from ${p.source}` : ''}`);
    for (const step of p.steps) lines.push(`  ${step}`);
    if (p.why) lines.push(`  ${p.why}`);
  }
  if (e.status !== undefined) lines.push(`status: ${e.status}`);
  return `${lines.join('\n')}\n`;
}

function ruleLine(r: RuleStep): string {
  const name = r.source === undefined ? r.rule : `${r.rule} (${r.source})`;
  const from = r.from === null ? '—' : typeof r.from === 'string' ? JSON.stringify(r.from) : String(r.from);
  return `${name.padEnd(20)} ${from} → ${r.to}${r.detail === undefined ? '' : `   ${r.detail}`}`;
}
