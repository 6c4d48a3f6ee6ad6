/**
 * JSON_LISTINGS_FEED documents and their processing reports (API_FACTS §11.3). Pure.
 */
import type { Change } from '../../domain/types.js';
import { FEED_MAX_MESSAGES, type PatchResponse, type ProcessingReport } from './schema.js';

/**
 * The one patch invsync sends: `merge` on fulfillment_availability changes only the quantity, so
 * the handling time (`lead_time_to_ship_max_days`) and restock date survive (`replace` drops them).
 */
export function quantityPatch(qty: number): Array<{ op: 'merge'; path: string; value: Array<Record<string, unknown>> }> {
  return [{ op: 'merge', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: qty }] }];
}

/**
 * The feed body for a batch: message ids are 1-based positions in the batch, so the processing
 * report's `messageId` leads back to the change. Throws RangeError above 25,000 messages.
 */
export function buildFeed(sellerId: string, productType: string, batch: Change[]): string {
  if (batch.length === 0 || batch.length > FEED_MAX_MESSAGES) throw new RangeError(`a JSON_LISTINGS_FEED takes 1–${FEED_MAX_MESSAGES} messages, got ${batch.length}`);
  // Built line by line: a 25,000-message feed is ~5 MB; one JSON.stringify of a nested object would hold it twice.
  const lines = batch.map((c, i) => JSON.stringify({
    messageId: i + 1, sku: c.sku, operationType: 'PATCH', productType, patches: quantityPatch(c.to),
  }));
  return `{"header":${JSON.stringify({ sellerId, version: '2.0', issueLocale: 'en_US' })},"messages":[\n${lines.join(',\n')}\n]}\n`;
}

/**
 * Pure: the items a processing report fails. An ERROR issue with a messageId fails that message's
 * change with Amazon's message; an ERROR without one is about the whole feed (`Item 'Feed' cannot
 * be parsed.`) and fails every change. WARNING/INFO issues fail nothing. A report that processed
 * fewer messages than were sent, without saying why, fails the ones it does not account for
 * (never assume a silent success).
 */
export function feedFailures(report: ProcessingReport, batch: Change[]): Array<{ seq: number; message: string }> {
  const failed = new Map<number, string>();
  const add = (seq: number, message: string) => {
    const before = failed.get(seq);
    failed.set(seq, before ? `${before}; ${message}` : message);
  };
  const feedLevel: string[] = [];
  for (const issue of report.issues) {
    if (issue.severity !== 'ERROR') continue;
    const text = `${issue.code ? `${issue.code}: ` : ''}${issue.message}`;
    if (issue.messageId === undefined) { feedLevel.push(text); continue; }
    const change = batch[issue.messageId - 1];
    if (change) add(change.seq, text);
  }
  if (feedLevel.length > 0) {
    for (const c of batch) if (!failed.has(c.seq)) failed.set(c.seq, `feed refused: ${feedLevel.join('; ')}`);
  }
  const { messagesProcessed } = report.summary;
  if (failed.size === 0 && messagesProcessed < batch.length) {
    const message = `the feed's processing report accounts for ${messagesProcessed} of ${batch.length} messages`;
    for (const c of batch) failed.set(c.seq, message);
  }
  return [...failed].map(([seq, message]) => ({ seq, message }));
}

/** Pure: what a patchListingsItem answer means for its change; null when accepted. */
export function patchFailure(res: PatchResponse): string | null {
  if (res.status === 'ACCEPTED') return null;
  const errors = res.issues.filter((i) => i.severity === 'ERROR').map((i) => `${i.code}: ${i.message}`);
  return `${res.status}${errors.length ? `: ${errors.join('; ')}` : ''}`;
}
