import { emptyCounts, type RunSummary, type SummaryChange } from '../../src/domain/types.js';

/** A SPEC §6 run summary for tests of what is built from one (rendering, notifications, metrics). */
export function summaryOf(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    runId: '2026-11-22T02:00:00.123Z-7f3a',
    command: 'full',
    dryRun: false,
    status: 'ok',
    exitCode: 0,
    startedAt: '2026-11-22T02:00:00.123Z',
    finishedAt: '2026-11-22T02:00:01.935Z',
    durationMs: 1812,
    counts: { ...emptyCounts(), sourceItems: 300, storeItems: 300, inScope: 300, matched: 298, missing: 2, unchanged: 296, changed: 2, applied: 2 },
    safety: { missingRatio: 2 / 300, zeroRatio: 1 / 300, tripped: null },
    changes: [change('ABC-1', 4, 7, { name: 'Blue mug', status: 'applied' }), change('ABC-2', 3, 0, { status: 'applied', productId: 13, variationId: 14 })],
    errors: [],
    sources: { feed: { items: 300, rejected: 0, matched: 298 } },
    planId: 3,
    ...overrides,
  };
}

export function change(sku: string, from: number | null, to: number, overrides: Partial<SummaryChange> = {}): SummaryChange {
  return { sku, productId: 12, variationId: null, from, to, status: 'planned', error: null, reason: 'supplier', ...overrides };
}
