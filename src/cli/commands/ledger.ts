import { once } from 'node:events';
import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../domain/errors.js';
import { offered } from '../../sources/ledger/balance.js';
import { parseAt } from '../../sources/ledger/rows.js';
import type { Db } from '../../state/db.js';
import {
  appliedSince, appliedSinceTotals, lastCount, movementsOf, movementTotals, type AppliedCount, type AppliedMovement,
} from '../../state/ledger.js';
import { runCommand, type GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';

type Globals = () => GlobalOptions;

/** `invsync ledger <sku>` / `invsync ledger --since <date>`: read-only views of the applied ledger (no lock, no run recorded). */
export function registerLedgerCommand(program: Command, globals: Globals, exit: (code: number) => void): void {
  program.command('ledger [sku]')
    .description('a SKU\'s ledger balance, last count and the movements since (or, with --since, the movements applied since a date, per input); read-only')
    .option('--since <date>', 'list the movements applied since this date (YYYY-MM-DD or an ISO date-time), per input')
    .option('--source <name>', 'only this ledger source (default: every ledger source in the configuration)')
    .addHelpText('after', '\nExamples:\n  $ invsync ledger ABC-1\n  $ invsync ledger ABC-1 --json | jq .ledgers[0].balance\n  $ invsync ledger --since 2026-03-01')
    .action(async (sku: string | undefined, opts: { since?: string; source?: string }) => {
      const json = Boolean(globals().json);
      exit(await runCommand({ ...globals(), json: false }, { name: 'ledger', mutating: false, quiet: true }, async (ctx) => {
        const request = parseLedgerArgs(sku, opts, ctx.loaded.config);
        const write = streamWriter(process.stdout);
        if (request.kind === 'sku') await writeSkuReport(write, ctx.db, request.sources, request.sku, json);
        else await writeSinceReport(write, ctx.db, request.sources, request.since, json);
        await write.end();
        return EXIT.ok;
      }));
    });
}

export type LedgerRequest =
  | { kind: 'sku'; sku: string; sources: string[] }
  | { kind: 'since'; since: string; sources: string[] };

/** Pure: the command line → what to show. Throws UsageError naming the bad option. */
export function parseLedgerArgs(sku: string | undefined, opts: { since?: string; source?: string }, config: Pick<Config, 'sources'>): LedgerRequest {
  const ledgers = config.sources.filter((s) => s.type === 'ledger').map((s) => s.name);
  if (ledgers.length === 0) throw new UsageError('no source of type "ledger" in the configuration');
  if (opts.source !== undefined && !ledgers.includes(opts.source)) {
    throw new UsageError(`--source: "${opts.source}" is not a ledger source (ledger sources: ${ledgers.join(', ')})`);
  }
  const sources = opts.source === undefined ? ledgers : [opts.source];
  const trimmed = sku?.trim();
  if (opts.since !== undefined) {
    if (trimmed) throw new UsageError('give a SKU or --since, not both');
    const at = parseAt(opts.since);
    if (!at.ok) throw new UsageError(`--since: ${at.reason}`);
    return { kind: 'since', since: new Date(at.value).toISOString(), sources };
  }
  if (!trimmed) throw new UsageError('give a SKU (`invsync ledger ABC-1`) or --since <date>');
  return { kind: 'sku', sku: trimmed, sources };
}

interface Writer { (text: string): Promise<void>; end(): Promise<void> }

/** Writes honouring backpressure, so a long listing streams with flat memory. */
function streamWriter(stream: NodeJS.WritableStream): Writer {
  let buffer = '';
  const flush = async () => {
    if (buffer === '') return;
    const text = buffer;
    buffer = '';
    if (!stream.write(text)) await once(stream, 'drain');
  };
  const write = (async (text: string) => {
    buffer += text;
    if (buffer.length >= 64 * 1024) await flush();
  }) as Writer;
  write.end = flush;
  return write;
}

const iso = (ms: number) => new Date(ms).toISOString();
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const origin = (file: string | null, row: number | null) => (file ? `${file}${row ? `:${row}` : ''}` : '');

/** Whether a ledger source has ever counted or moved `sku`. */
function knows(db: Db, source: string, sku: string): boolean {
  return lastCount(db, source, sku) !== undefined || movementTotals(db, source, sku, undefined).n > 0;
}

async function writeSkuReport(write: Writer, db: Db, sources: string[], sku: string, json: boolean): Promise<void> {
  // A SKU no ledger knows is most often a typo (SKUs are kept exactly as written, case included):
  // an error, not a report of zero stock.
  if (!sources.some((source) => knows(db, source, sku))) {
    const where = sources.length === 1 ? `ledger "${sources[0]}"` : `any ledger (${sources.join(', ')})`;
    throw new UsageError(`SKU ${JSON.stringify(sku)}: no count and no movement applied in ${where} (SKUs match exactly, case included; \`invsync ledger --since <date>\` lists what was applied)`);
  }
  if (json) await write(`{"sku":${JSON.stringify(sku)},"ledgers":[`);
  let first = true;
  for (const source of sources) {
    const count: AppliedCount | undefined = lastCount(db, source, sku);
    const totals = movementTotals(db, source, sku, count?.at);
    // With no count, `totals` already covers every movement: the same answer as `knows`, without its two queries again.
    const known = count !== undefined || totals.n > 0;
    const balance = (count?.qty ?? 0) + totals.sum;
    const offer = offered(balance);
    if (json) {
      const head = {
        source, known, balance: known ? balance : null, offered: known ? offer.qty : null,
        lastCount: count ? { qty: count.qty, at: iso(count.at), file: count.file, row: count.row, appliedAt: count.appliedAt } : null,
        movementsSince: totals.n, netSince: totals.sum,
      };
      await write(`${first ? '' : ','}\n${JSON.stringify(head).slice(0, -1)},"movements":[`);
      let n = 0;
      for (const m of movementsOf(db, source, sku, count?.at)) await write(`${n++ ? ',' : ''}\n${JSON.stringify(movementJson(m))}`);
      await write(']}');
      first = false;
      continue;
    }
    await write(`${first ? '' : '\n'}ledger "${source}" · SKU ${sku}\n`);
    first = false;
    if (!known) { await write('  no count and no movement recorded for this SKU\n'); continue; }
    await write(`  balance     ${balance}${offer.negative ? ` (below 0: offered to the store as 0)` : ''}\n`);
    await write(`  last count  ${count ? `${count.qty} at ${iso(count.at)}${count.file ? ` (${origin(count.file, count.row)})` : ''}` : 'none (movements count from 0)'}\n`);
    await write(`  movements ${count ? 'since the count' : 'in all'}: ${totals.n} (net ${signed(totals.sum)})\n`);
    if (totals.n === 0) continue;
    await write(`  ${'DATE'.padEnd(24)}  ${'INPUT'.padEnd(12)}  ${'ID'.padEnd(14)}  ${'QTY'.padStart(7)}  FROM\n`);
    for (const m of movementsOf(db, source, sku, count?.at)) {
      await write(`  ${iso(m.at)}  ${m.input.padEnd(12)}  ${m.id.padEnd(14)}  ${signed(m.delta).padStart(7)}  ${origin(m.file, m.row)}\n`);
    }
  }
  if (json) await write('\n]}\n');
}

async function writeSinceReport(write: Writer, db: Db, sources: string[], since: string, json: boolean): Promise<void> {
  const groups = sources.flatMap((s) => appliedSinceTotals(db, since, s));
  if (json) {
    await write(`{"since":${JSON.stringify(since)},"inputs":[`);
    let g = 0;
    for (const t of groups) {
      await write(`${g++ ? ',' : ''}\n{"source":${JSON.stringify(t.source)},"input":${JSON.stringify(t.input)},"count":${t.movements},"net":${t.net},"movements":[`);
      let n = 0;
      for (const m of appliedSince(db, since, t.source, t.input)) await write(`${n++ ? ',' : ''}\n${JSON.stringify(movementJson(m))}`);
      await write(']}');
    }
    await write('\n]}\n');
    return;
  }
  await write(`movements applied since ${since}\n`);
  if (groups.length === 0) { await write('  none\n'); return; }
  for (const t of groups) {
    await write(`\n${t.source} / ${t.input}: ${t.movements} movement(s), net ${signed(t.net)}\n`);
    await write(`  ${'APPLIED'.padEnd(24)}  ${'ID'.padEnd(14)}  ${'SKU'.padEnd(14)}  ${'QTY'.padStart(7)}  ${'DATE'.padEnd(24)}  FROM\n`);
    for (const m of appliedSince(db, since, t.source, t.input)) {
      await write(`  ${m.appliedAt.padEnd(24)}  ${m.id.padEnd(14)}  ${m.sku.padEnd(14)}  ${signed(m.delta).padStart(7)}  ${iso(m.at)}  ${origin(m.file, m.row)}\n`);
    }
  }
}

function movementJson(m: AppliedMovement) {
  return { input: m.input, id: m.id, sku: m.sku, qty: m.delta, at: iso(m.at), file: m.file, row: m.row, appliedAt: m.appliedAt };
}
