import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { logger } from '../lib/log.js';

/**
 * Write caps a server reveals only by refusing an oversize request (Magento's "Web API input
 * limits": `400 Maximum items of type "…" is N`; WooCommerce's filterable batch limit: `413
 * Unable to accept more than N items`). The adapter starts at the largest sensible batch; the
 * first refusal tells the shop's cap, which is used from then on and remembered in the state
 * dir, so each shop pays for the discovery once (per `CAP_TTL_MS`, so a raised cap is found again).
 */

/** A remembered cap is trusted this long; then the largest batch is tried again once. */
export const CAP_TTL_MS = 7 * 24 * 3600 * 1000;
export const CAPS_FILE = 'store-caps.json';

/**
 * Where learned caps are kept. `load` is synchronous (a small file read once when the adapter
 * is made, so `limits.maxBatch` is right before the first batch is cut) and never throws for a
 * missing or unreadable file (it warns).
 */
export interface CapMemory {
  load(key: string): number | undefined;
  save(key: string, cap: number): Promise<void>;
}

interface CapEntry { max: number; learnedAt: string }

/** Serialises read-modify-write of the caps file within this process (several stores may learn at once). */
let writeChain: Promise<unknown> = Promise.resolve();

/**
 * Caps in `<stateDir>/store-caps.json` (0600, replaced atomically with write-file-atomic),
 * keyed by shop and route. NOTE: a run holds the state dir's lock, so no other process writes it.
 */
export function stateDirCapMemory(stateDir: string, now: () => number = Date.now): CapMemory {
  const file = path.join(stateDir, CAPS_FILE);
  const log = logger('batch-cap');

  function readAll(): Record<string, CapEntry> {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ file }, `cannot read ${file} (${(err as Error).message}); starting at the largest batch`);
      return {};
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, CapEntry>;
    } catch { /* reported below */ }
    log.warn({ file }, `${file} is not a JSON object; ignoring it (it is rewritten when a cap is learned)`);
    return {};
  }

  return {
    load(key) {
      const entry = readAll()[key];
      if (!entry || !Number.isInteger(entry.max) || entry.max < 1) return undefined;
      const age = now() - Date.parse(entry.learnedAt);
      return Number.isFinite(age) && age >= 0 && age < CAP_TTL_MS ? entry.max : undefined;
    },
    save(key, cap) {
      const write = writeChain.then(async () => {
        const all = readAll();
        all[key] = { max: cap, learnedAt: new Date(now()).toISOString() };
        await fs.promises.mkdir(stateDir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(file, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600, fsync: true });
      });
      writeChain = write.catch(() => undefined);
      return write;
    },
  };
}

export interface BatchCapOptions {
  /** The largest batch to try (the configured batch size, or the adapter's ceiling). */
  start: number;
  /** Shop + route, e.g. `magento2 https://shop/rest/V1 inventory/source-items`. */
  key: string;
  memory?: CapMemory;
  /** The cap a refusal announces, or null when `err` is anything else. */
  capOf(err: unknown): number | null;
}

export interface BatchCap {
  /** The batch size in use now: the start, or the shop's cap once remembered or announced. */
  current(): number;
  /**
   * Send `items` in chunks of the current cap, one `send` per chunk, in order. A chunk refused
   * for its size (which applies nothing) is resent in chunks of the announced cap, and the cap
   * is remembered; so every item is sent in exactly one accepted request. While a size has not
   * been accepted yet, only one request of that size is in flight (the others wait for its
   * answer), so concurrent batches cost one refusal, not one each. Other errors are thrown as
   * they are (chunks already sent stay applied).
   */
  run<T>(items: T[], send: (chunk: T[]) => Promise<void>): Promise<void>;
}

export function createBatchCap(options: BatchCapOptions): BatchCap {
  const log = logger('batch-cap');
  let cap = options.start;
  const remembered = options.memory?.load(options.key);
  if (remembered !== undefined && remembered < cap) cap = remembered;
  /** The largest request size the server accepted so far (requests up to it need no probing). */
  let accepted = 0;
  let probe: Promise<void> | null = null;

  async function sendOne<T>(chunk: T[], send: (chunk: T[]) => Promise<void>): Promise<'sent' | 'capped'> {
    while (chunk.length > accepted && probe) await probe;
    if (chunk.length > cap) return 'capped';
    // NOTE: the waiters are released only after this probe's outcome (a new cap included) is
    // recorded, in `finally`; releasing them when the request settles would let them spin.
    let release = (): void => undefined;
    const mine = chunk.length > accepted ? new Promise<void>((resolve) => { release = resolve; }) : null;
    if (mine) probe = mine;
    try {
      await send(chunk);
      accepted = Math.max(accepted, chunk.length);
      return 'sent';
    } catch (err) {
      const announced = options.capOf(err);
      // A cap at or above what was sent would loop: that refusal is not about the size.
      if (announced === null || !Number.isInteger(announced) || announced < 1 || announced >= chunk.length) throw err;
      if (announced < cap) {
        cap = announced;
        log.warn({ key: options.key, cap }, `the store accepts at most ${cap} items per request; continuing with batches of ${cap} (remembered in the state dir)`);
        await options.memory?.save(options.key, cap).catch((saveErr: unknown) => {
          log.warn({ key: options.key }, `could not remember the batch cap: ${(saveErr as Error).message}`);
        });
      }
      return 'capped';
    } finally {
      if (mine && probe === mine) probe = null;
      release();
    }
  }

  return {
    current: () => cap,
    async run(items, send) {
      let at = 0;
      while (at < items.length) {
        const chunk = items.slice(at, at + cap);
        if ((await sendOne(chunk, send)) === 'sent') at += chunk.length;
      }
    },
  };
}
