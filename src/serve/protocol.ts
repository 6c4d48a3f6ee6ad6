import { z } from 'zod';

/**
 * What the server and its run children say to each other, and the API's request bodies.
 * Pure: types and schemas only.
 */

/** A run the server asks a child to do (passed as the child's one argument, JSON). */
export const RunJob = z.object({
  configFile: z.string().min(1),
  command: z.enum(['fetch', 'match', 'push', 'full']),
  dryRun: z.boolean(),
  limit: z.number().int().min(1).optional(),
  offset: z.number().int().min(0).optional(),
  stores: z.array(z.string()).optional(),
  /** push exactly this plan (POST /api/plans/<id>/apply). */
  planId: z.number().int().positive().optional(),
  logLevel: z.string().optional(),
}).strict();
export type RunJob = z.infer<typeof RunJob>;

export interface RunProgressCounts {
  /** Supplier items read so far (fetch). */
  sourceItems: number;
  /** Push batches finished so far, of `batchesTotal`. */
  batchesDone: number;
  batchesTotal: number;
}

/** Child → server, over the IPC channel. `started` or `refused` comes first, exactly one of them. */
export type ChildMessage =
  | { type: 'started'; runId: string }
  | { type: 'refused'; code: string | null; exitCode: number; message: string; holder?: { pid: number; hostname: string; command: string; startedAt: string } }
  | { type: 'progress'; progress: RunProgressCounts }
  | { type: 'finished'; exitCode: number };

/** POST /api/runs (SPEC §13). */
export const RunRequestBody = z.object({
  command: z.enum(['fetch', 'match', 'push', 'full']),
  dryRun: z.boolean().default(false),
  limit: z.number().int().min(1).optional(),
  offset: z.number().int().min(0).optional(),
  store: z.string().min(1).optional(),
}).strict().superRefine((b, ctx) => {
  // The same options the CLI's commands take: anything else would be silently ignored.
  if (b.dryRun && b.command !== 'push' && b.command !== 'full') {
    ctx.addIssue({ code: 'custom', path: ['dryRun'], message: `"${b.command}" writes nothing to the store: dryRun applies to push and full` });
  }
  for (const key of ['limit', 'offset'] as const) {
    if (b[key] !== undefined && b.command !== 'match' && b.command !== 'full') {
      ctx.addIssue({ code: 'custom', path: [key], message: `applies to match and full, not ${b.command}` });
    }
  }
});
export type RunRequestBody = z.infer<typeof RunRequestBody>;

export const LoginBody = z.object({ token: z.string().min(1) }).strict();
export const ScheduleBody = z.object({ enabled: z.boolean() }).strict();

/** The first problem of a zod error as `{ error, field }`: the message names the field. */
export function bodyError(error: z.ZodError): { error: string; field: string } {
  const issue = error.issues[0]!;
  const field = issue.path.join('.') || '(body)';
  const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  return { error: `${field}: ${message}`, field: issue.code === 'unrecognized_keys' ? issue.keys[0] ?? field : field };
}

/** A `?limit=N` query value: `fallback` when absent, else a whole number from 1 to `max`, or the error message naming it. */
export function parseLimit(text: string | undefined, fallback: number, max: number): number | string {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) return `limit: expected a whole number from 1 to ${max}, got "${text}"`;
  return Number(text);
}
