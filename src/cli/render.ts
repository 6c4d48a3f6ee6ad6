import type { RunSummary, SummaryChange, SummaryError } from '../domain/types.js';
import { fmtDuration } from '../lib/progress.js';

/** Output for humans (stdout) and machines (--json). Logs never come here. */
export interface Output {
  json: boolean;
  /** ANSI colours in human output (stdout is a terminal and NO_COLOR is not set). */
  color: boolean;
  write(text: string): void;
}

export function stdoutOutput(json: boolean): Output {
  return { json, color: useColor(process.stdout), write: (text) => process.stdout.write(text) };
}

/** A human line for stderr (cron mail), never coloured: mail readers show escape codes raw. */
export function stderrOutput(): Output {
  return { json: false, color: false, write: (text) => process.stderr.write(text) };
}

/** Colour only for a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

/**
 * Where a finished run's result goes. The rule an operator relies on: in cron (stdout not a
 * terminal, no --json) a successful sync prints NOTHING, so cron mails only arrive when
 * something is wrong; then the human summary goes to stderr next to the error log lines.
 * A dry run and `match` were asked for by a person: their diff is always printed on stdout.
 */
export function outputMode(o: {
  json: boolean; verbose: boolean; stdoutIsTTY: boolean; command: string; dryRun: boolean; exitCode: number; quiet: boolean;
}): 'json' | 'human' | 'stderr' | 'none' {
  if (o.json) return 'json';
  if (o.exitCode === 2) return 'none'; // the usage/config error was logged; a summary would only repeat it
  if (o.quiet) return 'none'; // informational commands print their own output; their errors are logged
  if (o.stdoutIsTTY || o.verbose || o.dryRun || o.command === 'match') return 'human';
  return o.exitCode === 0 ? 'none' : 'stderr';
}

export function renderSummary(out: Output, summary: RunSummary, options: { showChanges?: boolean } = {}): void {
  if (out.json) {
    out.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  if (options.showChanges !== false && summary.changes.length > 0) {
    out.write(`${renderDiffTable(summary.changes, { color: out.color })}\n`);
    const more = (summary.changesTotal ?? 0) - summary.changes.length;
    if (more > 0) out.write(`… and ${more} more change(s): \`invsync show ${summary.runId} --format csv\` lists them all\n`);
  }
  out.write(`${humanSummary(summary, { color: out.color })}\n`);
}

/**
 * The REASON cell. Starting stock tracking is said only of a change a feed asked for: an item in
 * no feed never gets tracking switched on (SPEC §8). "unmanaged" is how plans recorded by earlier
 * versions spelled a tracking start.
 */
export function reasonText(ch: Pick<SummaryChange, 'reason' | 'from' | 'statusAction'>): string {
  // A status write alone touches no stock: it starts no tracking either.
  if (ch.statusAction?.alone) return ch.reason ?? '';
  // Rule notes follow the reason after "; " (`supplier; open orders −2`): kept as written.
  const cut = ch.reason?.indexOf('; ') ?? -1;
  if (cut > 0) return `${reasonText({ reason: ch.reason!.slice(0, cut), from: ch.from })}; ${ch.reason!.slice(cut + 2)}`;
  switch (ch.reason) {
    case undefined: case null: case '': return '';
    case 'supplier': return ch.from === null ? 'feed; starts stock tracking' : 'feed';
    case 'missing': return 'in no feed → 0';
    case 'unmanaged': return 'feed; starts stock tracking';
    // The rules that shaped a feed's level (`feed 12 → pack ×6 → 72`).
    default: return ch.from === null ? `${ch.reason}; starts stock tracking` : ch.reason;
  }
}

/**
 * The diff as a table: SKU, PRODUCT (name and ids), FROM → TO, Δ, REASON, and STATUS once a
 * push has touched the plan. Colours (when `color`): rises green, drops red, new zeros bold red.
 */
export function renderDiffTable(changes: SummaryChange[], options: { color?: boolean; maxNameWidth?: number } = {}): string {
  const c = palette(options.color ?? false);
  const withStatus = changes.some((ch) => ch.status !== 'planned');
  // SPEC §9: a multi-store run's changes carry their store, shown first.
  const withStore = changes.some((ch) => ch.store !== undefined);
  const o = withStore ? 1 : 0;
  const nameWidth = options.maxNameWidth ?? 32;
  const header = [...(withStore ? ['STORE'] : []), 'SKU', 'PRODUCT', 'FROM', '', 'TO', 'Δ', 'REASON', ...(withStatus ? ['STATUS'] : [])];
  const rows = changes.map((ch) => [
    ...(withStore ? [ch.store ?? ''] : []),
    ch.sku,
    productCell(ch, nameWidth),
    ch.from === null ? '—' : String(ch.from),
    '→',
    // A status write alone leaves the level as it is.
    ch.statusAction?.alone ? (ch.from === null ? '—' : String(ch.from)) : String(ch.to),
    delta(ch),
    reasonText(ch),
    ...(withStatus ? [ch.status === 'failed' ? `failed: ${ch.error ?? 'unknown error'}` : ch.status] : []),
  ]);
  // A loop, not Math.max(...rows): the number of rows is the input's to decide.
  const widths = header.map((h, i) => Math.min(i === 1 + o ? nameWidth + 12 : 40, rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length)));
  const rightAligned = new Set([2 + o, 4 + o, 5 + o]);
  const cells = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i]!, rightAligned.has(i))));
  const lines = [c.bold(cells(header).join('  ').trimEnd())];
  rows.forEach((row, k) => {
    const ch = changes[k]!;
    const out = cells(row);
    out[o] = c.cyan(out[o]!);
    out[1 + o] = c.dim(out[1 + o]!);
    out[4 + o] = ch.to === 0 && ch.from !== 0 && !ch.statusAction?.alone ? c.boldRed(out[4 + o]!) : out[4 + o]!;
    out[5 + o] = ch.from === null ? c.yellow(out[5 + o]!) : ch.to > ch.from ? c.green(out[5 + o]!) : ch.to < ch.from ? c.red(out[5 + o]!) : out[5 + o]!;
    if (withStatus) {
      const last = out.length - 1;
      out[last] = ch.status === 'applied' ? c.green(out[last]!) : ch.status === 'failed' ? c.boldRed(out[last]!) : c.yellow(out[last]!);
    }
    lines.push(out.join('  ').trimEnd());
  });
  return `${lines.join('\n')}\n`;
}

/**
 * One paragraph a person reads at the end of a run: a headline (outcome, exit code, time),
 * then what was read, what changed, safety, low stock and problems, and where to look next.
 */
export function humanSummary(s: RunSummary, options: { color?: boolean } = {}): string {
  const c = palette(options.color ?? false);
  const k = s.counts;
  const what = s.dryRun ? `${s.command} --dry-run` : s.command;
  const mark = { ok: c.green('✔'), partial: c.yellow('▲'), blocked: c.yellow('■'), failed: c.boldRed('✖'), locked: c.yellow('■') }[s.status] ?? '•';
  const status = s.status === 'ok' ? c.green('OK') : s.status === 'failed' ? c.boldRed(s.status.toUpperCase()) : c.yellow(s.status.toUpperCase());
  const headline = `${mark} invsync ${what}: ${status} (exit ${s.exitCode}) in ${fmtDuration(s.durationMs)}.`;

  const parts: string[] = [];
  if (k.sourceItems || k.storeItems) {
    const sources = s.sources ? Object.keys(s.sources).length : 0;
    parts.push(`Read ${k.sourceItems} supplier item(s)${sources ? ` from ${sources} source(s)` : ''}${k.rejected ? ` (${k.rejected} row(s) rejected)` : ''} and ${k.storeItems} store item(s)`
      + (k.inScope ? `; of the ${k.inScope} in scope, ${k.matched} matched a feed, ${k.missing} ${k.missing === 1 ? 'is' : 'are'} in no feed and ${k.unchanged} ${k.unchanged === 1 ? 'was' : 'were'} already right${k.excluded ? `; ${k.excluded} excluded by rules.exclude` : ''}.` : '.'));
  }
  if (s.index) parts.push(`Store index refreshed ${s.index === 'incremental' ? 'incrementally' : 'in full'}: ${s.indexReason ?? ''}.`);
  for (const st of s.stores ?? []) {
    if (st.index) parts.push(`Store "${st.name}": index refreshed ${st.index === 'incremental' ? 'incrementally' : 'in full'}: ${st.indexReason ?? ''}.`);
  }
  if (s.openOrders) {
    parts.push(`Open orders since ${s.openOrders.since}: ${s.openOrders.units} unit(s) on ${s.openOrders.lines} order line(s), subtracted from the supply (the supplier has not seen those sales yet).`);
  }
  if (k.changed) {
    // A rollback's dry run records a preview that push never applies (SPEC §8): promising otherwise would mislead.
    if (s.dryRun && s.command === 'rollback') parts.push(`${k.changed} change(s) planned, nothing written to the store and nothing left for \`invsync push\`.`);
    else if (s.dryRun) parts.push(`${k.changed} change(s) planned, nothing written to the store${s.status === 'ok' ? ' (`invsync push` applies exactly this plan)' : ''}.`);
    else if (s.command === 'match') parts.push(`${k.changed} change(s) planned${s.planId ? ` in plan ${s.planId}` : ''}${s.status === 'ok' ? '; `invsync push` applies them' : ''}.`);
    // A plan a safety gate blocked is no work for `push` (only --force applies it): saying "push retries" would mislead.
    else if (s.status === 'blocked' && s.safety.tripped && s.safety.tripped !== 'breaker' && !s.safety.forced && k.applied === 0 && k.failed === 0) parts.push(`${k.changed} change(s) planned, none written: the safety gate stopped the run.`);
    else parts.push(`${k.changed} change(s): ${k.applied} applied, ${k.failed} failed, ${k.pending} pending${k.failed || k.pending ? ' (`invsync push` retries the rest)' : ''}.`);
  } else if (s.status === 'ok' && s.command !== 'fetch' && (k.inScope || s.command !== 'push')) {
    parts.push('Nothing to change: the store already matches the feeds.');
  }
  if (k.inScope || s.safety.tripped) {
    parts.push(`Safety: ${pct(s.safety.missingRatio)} missing, ${pct(s.safety.zeroRatio)} new zeros${s.safety.tripped ? `, ${c.boldRed(`TRIPPED ${s.safety.tripped}`)}${s.safety.forced ? ' (overridden with --force)' : ''}` : ''}.`);
  }
  if (s.safety.message && !s.safety.forced) parts.push(s.safety.message);
  if (s.stores) {
    parts.push(`Stores: ${s.stores.map((st) => `${st.name} ${st.status} (exit ${st.exitCode}; ${st.counts.changed} change(s)${s.dryRun || s.command === 'match' ? '' : `, ${st.counts.applied} applied`}${st.planId ? `, plan ${st.planId}` : ''})`).join('; ')}.`);
  }
  if (s.lowStock?.length) {
    parts.push(`Low stock: ${s.lowStock.length} item(s) at or below the threshold: ${s.lowStock.slice(0, 8).map((i) => `${i.sku} (${i.qty})`).join(', ')}${s.lowStock.length > 8 ? ', …' : ''}.`);
  }
  if (s.message && s.message !== s.safety.message) parts.push(/[.!?]$/.test(s.message) ? s.message : `${s.message}.`);
  const problems = Math.max(s.errorsTotal ?? 0, s.errors.length);
  if (problems) {
    const listed = s.errors.length < problems ? `, the first ${s.errors.length} listed by \`invsync show ${s.runId} --format json\`` : '';
    parts.push(`${problems} problem(s)${listed}: ${s.errors.slice(0, 5).map(renderProblem).join('; ')}${problems > 5 ? '; …' : ''}.`);
  }
  parts.push(`Run ${s.runId}${s.status !== 'locked' ? ` (details: invsync show ${s.runId})` : ''}.`);
  return `${c.bold(headline)}\n${parts.join(' ')}`;
}

/**
 * One problem in the summary line: `[store · source] SKU: message`. With several stores a source's
 * rejected row is each store's problem (it leaves that store's SKU unchanged), so naming the store
 * tells the two apart instead of printing what looks like one problem twice.
 */
export function renderProblem(e: SummaryError): string {
  const where = [e.store, e.source].filter((x) => x !== undefined && x !== null && x !== '').join(' · ');
  return `${where ? `[${where}] ` : ''}${e.sku ? `${e.sku}: ` : ''}${e.message}`;
}

/** The diff as CSV (RFC 4180 quoting), one row per change. */
export function renderCsv(changes: SummaryChange[]): string {
  const withStore = changes.some((ch) => ch.store !== undefined);
  const header = [...(withStore ? ['store'] : []), 'sku', 'name', 'product_id', 'variation_id', 'from', 'to', 'delta', 'reason', 'status', 'error'];
  const rows = changes.map((ch) => [
    ...(withStore ? [ch.store ?? ''] : []),
    ch.sku, ch.name ?? '', String(ch.productId), ch.variationId === null ? '' : String(ch.variationId),
    ...(ch.statusAction?.alone
      ? [ch.from === null ? '' : String(ch.from), ch.from === null ? '' : String(ch.from), '']
      : [ch.from === null ? '' : String(ch.from), String(ch.to), ch.from === null ? '' : String(ch.to - ch.from)]),
    ch.reason ?? '', ch.status, ch.error ?? '',
  ]);
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function csvCell(v: string): string {
  // A leading = + - @ would be run as a formula by spreadsheets; quote-and-prefix keeps the text.
  const safe = /^[=+\-@]/.test(v) && !/^-?\d+$/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) || safe !== v ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function productCell(ch: SummaryChange, nameWidth: number): string {
  const ids = ch.variationId === null ? `[${ch.productId}]` : `[${ch.productId}/${ch.variationId}]`;
  if (!ch.name) return ids;
  const name = ch.name.length > nameWidth ? `${ch.name.slice(0, nameWidth - 1)}…` : ch.name;
  return `${name} ${ids}`;
}

function delta(ch: SummaryChange): string {
  if (ch.statusAction?.alone) return '';
  if (ch.from === null) return 'new';
  const d = ch.to - ch.from;
  return d > 0 ? `+${d}` : String(d);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function pad(s: string, width: number, right: boolean): string {
  const cut = s.length > width ? `${s.slice(0, width - 1)}…` : s;
  return right ? cut.padStart(width) : cut.padEnd(width);
}

interface Palette {
  bold(s: string): string; dim(s: string): string; red(s: string): string; boldRed(s: string): string;
  green(s: string): string; yellow(s: string): string; cyan(s: string): string;
}

function palette(color: boolean): Palette {
  const wrap = (open: string, close: string) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    bold: wrap('1', '22'), dim: wrap('2', '22'), red: wrap('31', '39'), boldRed: wrap('1;31', '22;39'),
    green: wrap('32', '39'), yellow: wrap('33', '39'), cyan: wrap('36', '39'),
  };
}
