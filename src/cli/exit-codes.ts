import { InvsyncError, type ErrorCode } from '../domain/errors.js';
import type { RunStatus } from '../domain/types.js';

/** SPEC §2. The one table from error codes to exit codes. */
export const EXIT = { ok: 0, partial: 1, usage: 2, locked: 3, blocked: 4, failed: 5 } as const;

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  INVSYNC_USAGE: EXIT.usage,
  INVSYNC_CONFIG: EXIT.usage,
  INVSYNC_LOCKED: EXIT.locked,
  INVSYNC_SAFETY: EXIT.blocked,
  INVSYNC_BREAKER_OPEN: EXIT.blocked,
  INVSYNC_STALE_PLAN: EXIT.blocked,
  INVSYNC_UNPAIRED_FETCH: EXIT.blocked,
  INVSYNC_SOURCE: EXIT.failed,
  INVSYNC_SNAPSHOT: EXIT.failed,
  INVSYNC_STORE: EXIT.failed,
  INVSYNC_HTTP: EXIT.failed,
  INVSYNC_AUTH: EXIT.failed,
  INVSYNC_INTERNAL: EXIT.failed,
};

export function exitCodeFor(err: unknown): number {
  return err instanceof InvsyncError ? EXIT_BY_CODE[err.code] : EXIT.failed;
}

export function statusForExit(code: number): RunStatus {
  switch (code) {
    case EXIT.ok: return 'ok';
    case EXIT.partial: return 'partial';
    case EXIT.locked: return 'locked';
    case EXIT.blocked: return 'blocked';
    default: return 'failed';
  }
}
