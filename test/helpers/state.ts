import { afterEach } from '@jest/globals';
import { emptyCounts } from '../../src/domain/types.js';
import { openDb, type Db } from '../../src/state/db.js';
import type { MatchOutcome } from '../../src/state/plans.js';
import { tempDir } from './cli.js';

/**
 * A fresh state database per call, in a temp dir, closed after each test of the file that
 * calls this at its top level (it registers the afterEach).
 */
export function stateDbs(): () => Db {
  const open: Db[] = [];
  afterEach(() => { for (const db of open.splice(0)) db.close(); });
  return () => {
    const db = openDb(tempDir());
    open.push(db);
    return db;
  };
}

/** The match outcome of a run that found nothing: what a plan records when the test only needs its changes. */
export const emptyMatch: MatchOutcome = { counts: emptyCounts(), safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: [], sources: {} };
