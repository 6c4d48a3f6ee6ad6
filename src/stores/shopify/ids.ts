import crypto from 'node:crypto';
import type { StoreId } from '../../domain/types.js';

/** Shopify global ids (`gid://shopify/<Type>/<number>`) and the idempotency keys derived for writes. */

const GID = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?.*)?$/;

/** `gid://shopify/<type>/<id>` for a number or a numeric string; any other string is returned as given. */
export function toGid(type: string, id: StoreId): string {
  const s = String(id);
  return /^\d+$/.test(s) ? `gid://shopify/${type}/${s}` : s;
}

/**
 * The numeric part of a gid as a number when it is a safe integer (Shopify ids are well below
 * 2^53 today), else the gid itself, so a store id is never rounded.
 */
export function gidNumber(gid: string): StoreId {
  const m = GID.exec(gid);
  if (!m) return gid;
  const n = Number(m[2]);
  return Number.isSafeInteger(n) ? n : gid;
}

/** Exact numeric order of two gids (or plain ids) of the same type; non-numeric ids sort last, by text. */
export function compareIds(a: StoreId, b: StoreId): number {
  const na = numericPart(a);
  const nb = numericPart(b);
  if (na !== null && nb !== null) return na < nb ? -1 : na > nb ? 1 : 0;
  if (na !== null) return -1;
  if (nb !== null) return 1;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function numericPart(id: StoreId): bigint | null {
  if (typeof id === 'number') return Number.isInteger(id) ? BigInt(id) : null;
  const m = GID.exec(id) ?? /^(\d+)$/.exec(id);
  const digits = m ? m[m.length - 1] : undefined;
  return digits ? BigInt(digits) : null;
}

/**
 * A deterministic idempotency key (UUID-formatted SHA-256) for a write: the same parts give the
 * same key, so a batch re-sent after a crash is recognised by Shopify as a retry of the original
 * request and answered with its original result instead of being applied again.
 */
export function idempotencyKey(parts: unknown): string {
  const hex = crypto.createHash('sha256').update(stableJson(parts)).digest('hex');
  // RFC 4122 layout with version 8 ("custom") and the RFC variant bits.
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** JSON with object keys sorted, so equal values always serialise to equal text. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
