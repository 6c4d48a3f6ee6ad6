import { once } from 'node:events';
import type { RunSummary, SummaryChange } from '../domain/types.js';
import type { Db } from '../state/db.js';
import { iteratePlanItems, summaryStatus } from '../state/plans.js';
import { renderCsv } from './render.js';

/**
 * Every change of a run's plan, streamed from the database, for summaries that list only the
 * first SUMMARY_MAX_CHANGES (huge plans). Statuses are the journal's as it stands now.
 */
export function* planChanges(db: Db, planId: number, dryRun: boolean): Generator<SummaryChange> {
  for (const i of iteratePlanItems(db, planId)) {
    yield {
      sku: i.sku, productId: i.productId, variationId: i.variationId, from: i.from, to: i.to,
      status: summaryStatus(i, dryRun), error: i.error, ...(i.name ? { name: i.name } : {}), ...(i.reason ? { reason: i.reason } : {}),
      ...(i.price ? { price: i.price } : {}),
    };
  }
}

/** True when the stored summary lists only part of its plan's changes. */
export function isTruncated(summary: RunSummary): boolean {
  return summary.planId != null && (summary.changesTotal ?? 0) > summary.changes.length;
}

/** Write, honouring back-pressure, so a million changes never pile up in memory. */
async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** The summary as one JSON document with every change of its plan. */
export async function writeSummaryJsonStreaming(stream: NodeJS.WritableStream, summary: RunSummary, changes: Iterable<SummaryChange>): Promise<void> {
  const { changes: _listed, changesTotal: _total, ...rest } = summary;
  const head = JSON.stringify({ ...rest, changes: '__CHANGES__' }, null, 2);
  const [before, after] = head.split('"__CHANGES__"') as [string, string];
  await write(stream, `${before}[`);
  let first = true;
  let chunk = '';
  for (const c of changes) {
    chunk += `${first ? '' : ','}\n    ${JSON.stringify(c)}`;
    first = false;
    if (chunk.length > 65_536) { await write(stream, chunk); chunk = ''; }
  }
  await write(stream, `${chunk}${first ? '' : '\n  '}]${after}\n`);
}

/** The diff as CSV, every change of the plan, in chunks. */
export async function writeCsvStreaming(stream: NodeJS.WritableStream, changes: Iterable<SummaryChange>): Promise<void> {
  let batch: SummaryChange[] = [];
  let header = true;
  const flush = async () => {
    const text = renderCsv(batch);
    await write(stream, header ? text : text.slice(text.indexOf('\r\n') + 2));
    header = false;
    batch = [];
  };
  for (const c of changes) {
    batch.push(c);
    if (batch.length === 5000) await flush();
  }
  if (batch.length || header) await flush();
}
