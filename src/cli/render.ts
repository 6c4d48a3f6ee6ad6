import type { RunSummary, SummaryChange } from '../domain/types.js';

/** Output for humans (stdout) and machines (--json). Logs never come here. */
export interface Output {
  json: boolean;
  write(text: string): void;
}

export function stdoutOutput(json: boolean): Output {
  return { json, write: (text) => process.stdout.write(text) };
}

export function renderSummary(out: Output, summary: RunSummary, options: { showChanges?: boolean } = {}): void {
  if (out.json) {
    out.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  if (options.showChanges !== false && summary.changes.length > 0) out.write(renderDiffTable(summary.changes));
  out.write(`${humanSummary(summary)}\n`);
}

export function renderDiffTable(changes: SummaryChange[]): string {
  const rows = changes.map((c) => [
    c.sku,
    c.variationId === null ? String(c.productId) : `${c.productId}/${c.variationId}`,
    c.from === null ? '—' : String(c.from),
    String(c.to),
    c.from === null ? 'new' : signed(c.to - c.from),
    c.status + (c.error ? `: ${c.error}` : ''),
  ]);
  const header = ['SKU', 'PRODUCT', 'FROM', 'TO', 'Δ', 'STATUS'];
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!, i >= 2 && i <= 4))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function humanSummary(s: RunSummary): string {
  const c = s.counts;
  const what = s.dryRun ? 'dry run' : s.command;
  const parts: string[] = [];
  parts.push(`invsync ${what} ${s.status.toUpperCase()} (exit ${s.exitCode}) in ${(s.durationMs / 1000).toFixed(1)} s, run ${s.runId}.`);
  if (c.sourceItems || c.storeItems) {
    parts.push(`Supplier items ${c.sourceItems} (${c.rejected} rejected); store items ${c.storeItems}, in scope ${c.inScope}: ${c.matched} matched, ${c.missing} in no feed, ${c.unchanged} unchanged.`);
  }
  if (c.changed) {
    parts.push(s.dryRun || s.command === 'match'
      ? `${c.changed} change(s) planned, nothing written.`
      : `${c.changed} change(s): ${c.applied} applied, ${c.failed} failed, ${c.pending} pending.`);
  } else if (s.status === 'ok' && (c.inScope || s.command !== 'fetch')) {
    parts.push('Nothing to change.');
  }
  parts.push(`Safety: missing ${pct(s.safety.missingRatio)}, new zeros ${pct(s.safety.zeroRatio)}${s.safety.tripped ? `, TRIPPED ${s.safety.tripped}${s.safety.forced ? ' (overridden with --force)' : ''}` : ''}.`);
  if (s.safety.message && !s.safety.forced) parts.push(s.safety.message);
  if (s.message) parts.push(s.message);
  if (s.errors.length) parts.push(`${s.errors.length} problem(s) reported: ${s.errors.slice(0, 5).map((e) => `${e.source ? `[${e.source}] ` : ''}${e.sku ? `${e.sku}: ` : ''}${e.message}`).join('; ')}${s.errors.length > 5 ? '; …' : ''}`);
  return parts.join('\n');
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function pad(s: string, width: number, right: boolean): string {
  const cut = s.length > width ? `${s.slice(0, width - 1)}…` : s;
  return right ? cut.padStart(width) : cut.padEnd(width);
}
