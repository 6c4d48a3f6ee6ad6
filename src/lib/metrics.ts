import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { RunStatus, RunSummary } from '../domain/types.js';

/**
 * `metrics.textfile`: the last run as Prometheus text-format metrics, for node_exporter's
 * textfile collector (`--collector.textfile.directory`; the file name must end in `.prom`).
 * Alert on `time() - invsync_last_success_timestamp_seconds` to notice a sync that stopped.
 */

const STATUSES: RunStatus[] = ['ok', 'partial', 'blocked', 'failed', 'locked'];
const ITEM_STATES = ['applied', 'failed', 'pending', 'changed', 'unchanged', 'missing', 'rejected'] as const;

/** The commands whose success means the store was brought in line: the "last success" clock. */
const SYNC_COMMANDS = new Set(['full', 'push']);

/**
 * When the store was last synced successfully: the newest finished, non-dry-run `full` or
 * `push` with status ok among `runs`, or null.
 */
export function lastSuccessAt(runs: Array<{ command: string; dryRun: boolean; status: string; finishedAt: string | null }>): Date | null {
  let best: number | null = null;
  for (const r of runs) {
    if (r.status !== 'ok' || r.dryRun || !SYNC_COMMANDS.has(r.command) || !r.finishedAt) continue;
    const t = Date.parse(r.finishedAt);
    if (Number.isFinite(t) && (best === null || t > best)) best = t;
  }
  return best === null ? null : new Date(best);
}

/** The last-success time a previous run wrote to `file`, or null (keeps the clock across a long failure streak). */
export function readLastSuccess(file: string): Date | null {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return null; }
  const m = /^invsync_last_success_timestamp_seconds\s+([0-9.e+]+)\s*$/m.exec(text);
  const seconds = m ? Number(m[1]) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}

/** The metrics text (Prometheus exposition format 0.0.4) for one finished run. Pure. */
export function renderMetrics(summary: RunSummary, lastSuccess: Date | null): string {
  const out: string[] = [];
  const metric = (name: string, help: string, samples: Array<[labels: Record<string, string> | null, value: number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) out.push(`${name}${fmtLabels(labels)} ${fmtValue(value)}`);
  };
  metric('invsync_last_run_timestamp_seconds', 'When the last invsync run finished (Unix time).', [[null, Date.parse(summary.finishedAt) / 1000]]);
  metric('invsync_last_run_status', 'Status of the last run: 1 for its status, 0 for the others.',
    STATUSES.map((s) => [{ status: s }, s === summary.status ? 1 : 0]));
  metric('invsync_last_run_exit_code', 'Exit code of the last run (0 ok, 1 some items failed, 2 config, 3 locked, 4 safety/breaker, 5 source/store failed).', [[null, summary.exitCode]]);
  metric('invsync_last_run_duration_seconds', 'Duration of the last run.', [[null, summary.durationMs / 1000]]);
  metric('invsync_last_run_info', 'The last run\'s command.', [[{ command: summary.command }, 1]]);
  metric('invsync_items', 'Items of the last run by state.', ITEM_STATES.map((s) => [{ state: s }, summary.counts[s]]));
  metric('invsync_source_items', 'Supplier items in the last run\'s fetch, per source.', [
    [{ source: '_all' }, summary.counts.sourceItems],
    ...Object.entries(summary.sources ?? {}).map(([source, c]) => [{ source }, c.items] as [Record<string, string>, number]),
  ]);
  metric('invsync_store_items', 'Sellable store items in the store index.', [[null, summary.counts.storeItems]]);
  metric('invsync_safety_ratio', 'Safety ratios measured by the last match (missing: in no feed; zero: newly set to 0).', [
    [{ gate: 'missing' }, summary.safety.missingRatio],
    [{ gate: 'zero' }, summary.safety.zeroRatio],
    ...(summary.safety.stockDropRatio !== undefined ? [[{ gate: 'stock_drop' }, summary.safety.stockDropRatio] as [Record<string, string>, number]] : []),
  ]);
  metric('invsync_safety_tripped', '1 when a safety gate or the circuit breaker stopped the last run.', [[null, summary.safety.tripped && !summary.safety.forced ? 1 : 0]]);
  if (summary.lowStock) metric('invsync_low_stock_items', 'Items the last run set to at or below alerts.lowStock.', [[null, summary.lowStock.length]]);
  if (lastSuccess) {
    metric('invsync_last_success_timestamp_seconds', 'When a full or push run last finished with status ok (Unix time).', [[null, lastSuccess.getTime() / 1000]]);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Replace `file` atomically with write-file-atomic (temp file in the same directory, fsync,
 * rename): the collector never reads a half-written file. Creates the directory if needed.
 * NOTE: mode 0644, not the state files' 0600: node_exporter runs as its own user and must read
 * it (it holds counts and statuses, no catalog or secret). write-file-atomic's temp name is
 * `<file>.<number>`, which does not end in ".prom", so the collector never picks it up.
 */
export function writeTextfileAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic.sync(file, text, { mode: 0o644, fsync: true });
}

function fmtLabels(labels: Record<string, string> | null): string {
  if (!labels) return '';
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}
