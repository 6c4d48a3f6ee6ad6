/** Small numeric helpers for the report. */

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Highest finite value (NaN when none); folded, not spread, so any number of values is fine. */
export function max(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((m, x) => Math.max(m, x), -Infinity) : NaN;
}

/** Lowest finite value (NaN when none). */
export function min(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((m, x) => Math.min(m, x), Infinity) : NaN;
}

/** Run `fn(rep)` `reps` times in sequence; resolves with the results. */
export async function repeat(reps, fn) {
  const out = [];
  for (let rep = 0; rep < reps; rep++) out.push(await fn(rep));
  return out;
}

/** MiB (what GNU time reports, in KiB) → MB of 10^6 bytes, the unit the targets use. */
export function mbFromMiB(mib) {
  return (mib * 1048576) / 1e6;
}

export function fmt(n, digits = 0) {
  if (!Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function seconds(ms, digits = 2) {
  return fmt(ms / 1000, digits);
}

export function met(ok) {
  return ok === null || ok === undefined ? 'n/a' : ok ? '**met**' : '**NOT met**';
}
