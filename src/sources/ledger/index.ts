import crypto from 'node:crypto';
import fs from 'node:fs';
import type { LedgerSourceConfig } from '../../config/schema.js';
import { InvsyncError } from '../../domain/errors.js';
import type { SourceRecord } from '../../domain/types.js';
import { connectionOptions, createHttpClient, type HttpClient } from '../../lib/http.js';
import { logger } from '../../lib/log.js';
import { safeUrl } from '../../lib/redact.js';
import {
  COUNTS_INPUT, LedgerStager, computeBalances, discardStaleStaging, inputDigest, readBalances, stageInputDigest, type LedgerConflict,
} from '../../state/ledger.js';
import { fileError } from '../file-error.js';
import type { SourceAdapter, SourceContext } from '../types.js';
import { offered } from './balance.js';
import { expandGlob, fileSha256, openInput, type RawRow, type ReadSpec } from './inputs.js';
import { movementDelta, movementDigest, parseAt, parseSignedQty, type Parsed } from './rows.js';
import type { LedgerMovementInput, MovementKind } from './schema.js';

/**
 * The `ledger` source (SPEC §11): stock counts plus purchases, sales and adjustments, each
 * movement applied exactly once.
 *
 * `stream()` reads every input (counts first, then the movement inputs in config order, files
 * by name), appends its rows to the staging tables of `ctx.db` under the fetch's id
 * (`ctx.fetchId`), in chunks, and sorts them out in bulk (new / already known / conflict); then it
 * yields one item per SKU: its balance as it will stand once the fetch commits (applied rows +
 * this fetch's new ones), computed in SQL. Nothing is applied here: the fetch applies
 * the staged rows in its commit (applyStagedLedger), so a failed or killed fetch applies none.
 *
 * Reported as rejected rows (never fatal): a row that cannot be read (no id, no SKU, a bad
 * quantity or date; it names its SKU, which match then leaves unchanged); a conflict (an id
 * already read with other content: the first stands; no SKU, so the SKU keeps its balance); a
 * balance below 0 (offered as 0; no SKU). An input file whose digest (size, mtime, sha256 and
 * the settings it is read with) is unchanged since the last successful fetch that read it
 * cleanly is skipped: its movements are already applied and count in the balance.
 *
 * Throws SourceError (a folder or file that does not exist or cannot be read, a missing column,
 * malformed CSV or JSON), HttpError (a URL input that failed after retries) or the signal's reason.
 */
export function createLedgerSource(config: LedgerSourceConfig, ctx: SourceContext): SourceAdapter {
  const log = logger('ledger').child({ source: config.name });
  const countGlobs = config.counts === undefined ? [] : typeof config.counts === 'string' ? [config.counts] : config.counts;
  const clients = new Map<string, HttpClient>();
  const clientFor = (input: LedgerMovementInput): HttpClient => {
    let client = clients.get(input.name);
    if (!client) {
      client = createHttpClient({
        name: `source ${config.name} (${input.name})`,
        ...connectionOptions(config),
        headers: { accept: 'text/csv, application/json;q=0.9, text/plain;q=0.8, */*;q=0.5', ...input.headers },
      });
      clients.set(input.name, client);
    }
    return client;
  };

  function readSpec(input: LedgerMovementInput | undefined, location: ReadSpec['location']): ReadSpec {
    const where = input?.path ?? input?.url ?? '';
    const format = input?.format ?? (/\.json$/i.test(where.split('?')[0] ?? '') ? 'json' : 'csv');
    return {
      source: config.name,
      location,
      format,
      delimiter: config.delimiter,
      columns: { id: input ? config.columns.id : undefined, sku: config.columns.sku, qty: config.columns.qty, at: config.columns.at },
      ...(input && format === 'json' ? {
        json: { itemsPath: input.itemsPath, idPath: input.idPath, skuPath: input.skuPath, qtyPath: input.qtyPath, atPath: input.atPath },
      } : {}),
    };
  }

  /** What an input's rows mean besides its bytes: changing any of it re-reads an unchanged file. */
  function settingsOf(spec: ReadSpec, kind: MovementKind | 'count'): string {
    const what = JSON.stringify({ kind, format: spec.format, delimiter: spec.delimiter, columns: spec.columns, json: spec.json ?? null });
    return crypto.hash('sha256', what, 'base64').slice(0, 12);
  }

  return {
    name: config.name,
    type: 'ledger',

    async *stream(signal?: AbortSignal): AsyncIterable<SourceRecord> {
      const { db, fetchId } = ctx;
      if (db === undefined || fetchId === undefined) {
        throw new InvsyncError('INVSYNC_INTERNAL', `source "${config.name}": the ledger is read only within a fetch (no database or fetch id given)`);
      }
      discardStaleStaging(db, fetchId);
      const stager = new LedgerStager(db, config.name, fetchId);
      const fetchTime = Date.now();
      const stats = { files: 0, skipped: 0, rejected: 0 };

      /** Read one input (a file or a URL), staging its rows; yields its rejected rows. */
      async function* readOne(inputKey: string, kind: MovementKind | 'count', spec: ReadSpec): AsyncGenerator<SourceRecord> {
        const file = 'file' in spec.location ? spec.location.file : undefined;
        const where = file ?? safeUrl((spec.location as { url: string }).url);
        let prefix: string | undefined;
        let defaultAt = fetchTime;
        if (file !== undefined) {
          let st: fs.Stats;
          try { st = await fs.promises.stat(file); } catch (err) { throw fileError(config.name, file, err, 'a file'); }
          defaultAt = Math.floor(st.mtimeMs);
          prefix = `${settingsOf(spec, kind)}:${st.size}:${defaultAt}:`;
          const known = inputDigest(db!, config.name, inputKey, file);
          if (known?.startsWith(prefix) && known === prefix + await fileSha256(config.name, file)) {
            stats.skipped++;
            return;
          }
        }
        stats.files++;
        const opened = await openInput(spec, signal);
        let rejected = 0;
        for await (const raw of opened.rows) {
          let full: boolean;
          if (kind === 'count') {
            const parsed = parseCount(raw, opened.hasAt(), defaultAt);
            if (parsed.ok) full = stager.addCount({ ...parsed.value, file: where, row: raw.row });
            else { rejected++; stats.rejected++; yield rejectedRow(where, raw, parsed); continue; }
          } else {
            const parsed = parseMovement(raw, opened.hasAt(), defaultAt, kind);
            if (parsed.ok) full = stager.addMovement({ ...parsed.value, input: inputKey, file: where, row: raw.row });
            else { rejected++; stats.rejected++; yield rejectedRow(where, raw, parsed); continue; }
          }
          if (full) stager.flush();
        }
        // An input with problems is read again next time, so they stay reported until fixed
        // (classify() forgets the digests of files holding a conflict).
        if (prefix !== undefined && file !== undefined && rejected === 0) stageInputDigest(db!, fetchId!, config.name, inputKey, file, prefix + opened.sha256());
      }

      for (const pattern of countGlobs) {
        for (const file of await expandGlob(config.name, pattern)) yield* readOne(COUNTS_INPUT, 'count', readSpec(undefined, { file }));
      }
      for (const input of config.movements) {
        if (input.url !== undefined) {
          yield* readOne(input.name, input.kind, readSpec(input, { url: input.url, http: clientFor(input) }));
          continue;
        }
        for (const file of await expandGlob(config.name, input.path!)) yield* readOne(input.name, input.kind, readSpec(input, { file }));
      }

      const t = stager.classify();
      for (const c of stager.conflicts()) yield conflictRecord(c);
      const skus = computeBalances(db, config.name, fetchId);
      log.info({ ...stats, skus, new: t.fresh, repeated: t.repeated, conflicts: t.conflicts },
        `ledger "${config.name}": ${stats.files} input(s) read, ${stats.skipped} unchanged and skipped; ${t.fresh} new row(s) to apply, ${t.repeated} already known, ${t.conflicts} conflict(s), ${stats.rejected} rejected; ${skus} SKU(s)`);
      let seq = 0;
      for (const b of readBalances(db, config.name, fetchId)) {
        seq++;
        const offer = offered(b.balance);
        if (offer.negative) {
          yield { kind: 'rejected', row: 0, reason: `SKU ${JSON.stringify(b.sku)}: ledger balance ${b.balance} is below 0: offered as 0 (the ledger keeps ${b.balance}; \`invsync ledger ${b.sku}\` shows its movements)` };
        }
        yield { kind: 'item', sku: b.sku, qty: offer.qty, row: seq };
      }
    },

    async check(): Promise<string> {
      let files = 0;
      let urls = 0;
      for (const pattern of countGlobs) files += (await expandGlob(config.name, pattern)).length;
      for (const input of config.movements) {
        if (input.url === undefined) { files += (await expandGlob(config.name, input.path!)).length; continue; }
        const opened = await openInput(readSpec(input, { url: input.url, http: clientFor(input) }));
        for await (const _ of opened.rows) break;
        urls++;
      }
      return `${files} file(s) found${urls ? `, ${urls} URL(s) answering` : ''}`;
    },
  } satisfies SourceAdapter;
}

type RowResult<T> = { ok: true; value: T } | { ok: false; reason: string; sku?: string };

interface ParsedMovement { id: string; sku: string; delta: number; at: number; digest: string }
interface ParsedCount { sku: string; qty: number; at: number }

function text(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

function common(raw: RawRow, hasAt: boolean, defaultAt: number): RowResult<{ sku: string; qty: number; at: number; atFromRow?: number }> {
  const sku = text(raw.sku);
  if (raw.short) return { ok: false, reason: raw.short, ...(sku ? { sku } : {}) };
  if (sku === '') return { ok: false, reason: 'no SKU' };
  const qty = parseSignedQty(raw.qty);
  if (!qty.ok) return { ok: false, reason: qty.reason, sku };
  if (!hasAt) return { ok: true, value: { sku, qty: qty.value, at: defaultAt } };
  const at: Parsed<number> = parseAt(raw.at);
  if (!at.ok) return { ok: false, reason: at.reason, sku };
  return { ok: true, value: { sku, qty: qty.value, at: at.value, atFromRow: at.value } };
}

function parseMovement(raw: RawRow, hasAt: boolean, defaultAt: number, kind: MovementKind): RowResult<ParsedMovement> {
  const c = common(raw, hasAt, defaultAt);
  if (!c.ok) return c;
  const id = text(raw.id);
  if (id === '') return { ok: false, reason: 'no movement id', sku: c.value.sku };
  const delta = movementDelta(kind, c.value.qty);
  return { ok: true, value: { id, sku: c.value.sku, delta, at: c.value.at, digest: movementDigest(c.value.sku, delta, c.value.atFromRow) } };
}

function parseCount(raw: RawRow, hasAt: boolean, defaultAt: number): RowResult<ParsedCount> {
  const c = common(raw, hasAt, defaultAt);
  if (!c.ok) return c;
  if (c.value.qty < 0) return { ok: false, reason: `a count cannot be negative (${c.value.qty}): correct stock with an adjustment`, sku: c.value.sku };
  return { ok: true, value: { sku: c.value.sku, qty: c.value.qty, at: c.value.at } };
}

function rejectedRow(where: string, raw: RawRow, r: { reason: string; sku?: string }): SourceRecord {
  return { kind: 'rejected', row: raw.row, reason: `${where}: ${r.reason}`, ...(r.sku ? { sku: r.sku } : {}) };
}

function conflictRecord(c: LedgerConflict): SourceRecord {
  const first = `${c.first.applied ? 'applied first' : 'read first'}${c.first.file ? ` from ${c.first.file}${c.first.row ? ` line ${c.first.row}` : ''}` : ''}`;
  const reason = c.kind === 'movement'
    ? `${c.file}: conflict: movement id ${JSON.stringify(c.id)} of input "${c.input}" was ${first} as SKU ${JSON.stringify(c.first.sku)} ${signed(c.first.value)}; this row says SKU ${JSON.stringify(c.sku)} ${signed(c.value)}: not applied (the first stands; correct it with an adjustment)`
    : `${c.file}: conflict: SKU ${JSON.stringify(c.sku)} was counted ${c.first.value} at ${new Date(c.at).toISOString()} (${first}); this row says ${c.value}: not applied (the first stands)`;
  return { kind: 'rejected', row: c.row, reason };
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
