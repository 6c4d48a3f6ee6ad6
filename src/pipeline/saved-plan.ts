import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { SafetyError, StalePlanError, UsageError } from '../domain/errors.js';
import { replaceFileSync } from '../lib/replace-file.js';
import type { Db } from '../state/db.js';
import { getPlan, planItems, type PlanItem, type PlanRecord } from '../state/plans.js';

/**
 * A plan saved to a file (`invsync match --out plan.json`) and applied exactly
 * (`invsync push plan.json`). The file records what the plan was built from; the database keeps
 * the journal, so the file names its plan and proves, by checksums, that it is that plan unedited.
 */
const Id = z.union([z.number(), z.string()]);
export const SavedPlan = z.object({
  invsyncPlan: z.literal(1),
  planId: z.number().int().positive(),
  createdAt: z.string(),
  builtFrom: z.object({
    snapshotChecksum: z.string(),
    indexGeneration: z.number().int(),
    configChecksum: z.string(),
    window: z.object({ offset: z.number().int().optional(), limit: z.number().int().optional() }),
  }),
  itemsChecksum: z.string(),
  changes: z.array(z.object({
    seq: z.number().int(), sku: z.string(), productId: Id, variationId: Id.nullable(),
    from: z.number().nullable(), to: z.number(), reason: z.string().nullable().optional(),
    /** SPEC §14: the status action the change writes (shown; checksummed like the levels). */
    statusAction: z.record(z.string(), z.unknown()).optional(),
  })),
});
export type SavedPlan = z.infer<typeof SavedPlan>;

/** A checksum of what a plan would write, independent of journal state. */
export function itemsChecksum(items: ReadonlyArray<Pick<PlanItem, 'seq' | 'sku' | 'productId' | 'variationId' | 'from' | 'to'> & { statusAction?: unknown }>): string {
  const hash = crypto.createHash('sha256');
  // A status action joins the line only when there is one: checksums of plans without any are unchanged.
  for (const i of items) hash.update(JSON.stringify([i.seq, i.sku, i.productId, i.variationId, i.from, i.to, ...(i.statusAction ? [i.statusAction] : [])])).update('\n');
  return hash.digest('hex');
}

/**
 * Write plan `planId` to `file` atomically (a reader never sees half a plan), owner-only (0600),
 * flushed to disk. A symlink planted at `file` is replaced, never written through (replaceFileSync).
 */
export function writePlanFile(db: Db, planId: number, file: string): SavedPlan {
  const plan = getPlan(db, planId);
  if (!plan) throw new UsageError(`no plan ${planId}`);
  const items = planItems(db, planId);
  const doc: SavedPlan = {
    invsyncPlan: 1,
    planId,
    createdAt: plan.createdAt,
    builtFrom: { snapshotChecksum: plan.snapshotChecksum, indexGeneration: plan.indexGeneration, configChecksum: plan.configChecksum, window: plan.window },
    itemsChecksum: itemsChecksum(items),
    changes: items.map((i) => ({
      seq: i.seq, sku: i.sku, productId: i.productId, variationId: i.variationId, from: i.from, to: i.to, reason: i.reason,
      ...(i.statusAction ? { statusAction: { ...i.statusAction } } : {}),
    })),
  };
  replaceFileSync(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  return doc;
}

export function readPlanFile(file: string): SavedPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read plan file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const parsed = SavedPlan.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file} is not an invsync plan: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The database plan a saved file stands for. Throws StalePlanError (exit 4) when the file does
 * not match it (edited, or from another state dir), SafetyError when the plan was blocked.
 */
export function resolveSavedPlan(db: Db, doc: SavedPlan, file: string): PlanRecord {
  const plan = getPlan(db, doc.planId);
  if (!plan) throw new StalePlanError(`${file}: plan ${doc.planId} is not in this state directory's database (built with another config or state dir?)`);
  const sameSource = plan.snapshotChecksum === doc.builtFrom.snapshotChecksum && plan.indexGeneration === doc.builtFrom.indexGeneration
    && plan.configChecksum === doc.builtFrom.configChecksum;
  if (!sameSource || itemsChecksum(planItems(db, plan.id)) !== doc.itemsChecksum || itemsChecksum(doc.changes) !== doc.itemsChecksum) {
    throw new StalePlanError(`${file} does not match plan ${doc.planId} in the database: the file was edited or comes from another state dir; run \`invsync match --out ${file}\` again`);
  }
  if (plan.status === 'blocked') {
    throw new SafetyError(`plan ${plan.id} was blocked by a safety gate (${plan.match.safety.tripped}): ${plan.match.safety.message ?? ''} Re-run \`invsync match --force --out ${file}\` to override.`, plan.match.safety.tripped ?? 'safety');
  }
  return plan;
}
