/**
 * Finding the refused items of an all-or-nothing batch write (Magento's source-items POST,
 * BigCommerce's absolute adjustments): those APIs refuse the whole request when one item is bad,
 * often without saying which. Pure control flow: the request itself is the caller's.
 */

export interface IsolateOptions {
  /** The store's message when `err` is a refusal of the request's content; null for anything else (rethrown). */
  rejection(err: unknown): string | null;
  /** Called before a refused part is split (for a log line). */
  onSplit?(size: number, message: string): void;
  /** Most requests to spend, the first included (default: enough to isolate about 4 bad items). */
  maxRequests?: number;
}

export interface Refused<T> {
  item: T;
  message: string;
}

/** Requests needed to isolate ~4 bad items among `n` by halving. */
export function defaultRequestBudget(n: number): number {
  return 1 + 8 * Math.max(1, Math.ceil(Math.log2(Math.max(2, n))));
}

/**
 * Send `items` in one request. When it is refused as a whole, split the items in halves and send
 * each half, recursively, so that every acceptable item is applied and each refused item is
 * reported alone with the store's message. Nothing extra is sent when the first request
 * succeeds. When the request budget runs out, the parts not yet sent are reported refused with
 * the last message (they stay retryable). Other errors (auth, exhausted retries) are thrown as
 * they are; items applied before such an error stay applied (absolute writes are idempotent).
 */
export async function sendIsolating<T>(
  items: T[],
  send: (part: T[]) => Promise<void>,
  options: IsolateOptions,
): Promise<Array<Refused<T>>> {
  let budget = options.maxRequests ?? defaultRequestBudget(items.length);
  const refused: Array<Refused<T>> = [];
  let lastMessage = 'refused by the store';

  async function attempt(part: T[]): Promise<void> {
    if (part.length === 0) return;
    if (budget <= 0) {
      for (const item of part) refused.push({ item, message: `not sent: ${lastMessage} (too many refused items in this batch to isolate them all)` });
      return;
    }
    budget--;
    try {
      await send(part);
      return;
    } catch (err) {
      const message = options.rejection(err);
      if (message === null) throw err;
      lastMessage = message;
      if (part.length === 1) {
        refused.push({ item: part[0] as T, message });
        return;
      }
      options.onSplit?.(part.length, message);
      const mid = Math.ceil(part.length / 2);
      await attempt(part.slice(0, mid));
      await attempt(part.slice(mid));
    }
  }

  await attempt(items);
  return refused;
}
