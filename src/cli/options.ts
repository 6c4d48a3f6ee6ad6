import { UsageError } from '../domain/errors.js';
import type { Window } from '../pipeline/plan.js';

/** Parse a whole, non-negative number option; a bad value is a usage error naming the option. */
export function parseCount(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--${name}: expected a whole number ≥ 0, got "${value}"`);
  return Number(value);
}

export function parseWindow(opts: { limit?: string; offset?: string }): Window {
  const limit = parseCount('limit', opts.limit);
  const offset = parseCount('offset', opts.offset);
  if (limit === 0) throw new UsageError('--limit: must be at least 1');
  return { ...(limit !== undefined ? { limit } : {}), ...(offset !== undefined ? { offset } : {}) };
}
