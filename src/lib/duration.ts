/**
 * A duration for settings such as `index.fullEvery`: a number of hours (`24`, `0.5`), or a
 * string of whole units `d`, `h`, `m`, `s` (`"24h"`, `"1d"`, `"90m"`, `"1h30m"`). Pure.
 * Returns milliseconds, or null when the value is not a positive duration.
 */
export function parseDuration(value: number | string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * 3_600_000 : null;
  const text = value.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?[dhms])+$/.test(text)) return null;
  const unit: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) ms += Number(m[1]) * unit[m[2]!]!;
  return ms > 0 ? ms : null;
}
