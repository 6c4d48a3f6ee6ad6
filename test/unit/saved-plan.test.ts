import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { emptyCounts } from '../../src/domain/types.js';
import { readPlanFile, resolveSavedPlan, writePlanFile } from '../../src/pipeline/saved-plan.js';
import { openDb, type Db } from '../../src/state/db.js';
import { createPlan } from '../../src/state/plans.js';

let root: string;
let db: Db;
let planId: number;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-saved-plan-'));
  db = openDb(path.join(root, 'state'));
  planId = createPlan(db, {
    runId: 'run-1', status: 'pending', snapshotChecksum: 'snap', indexGeneration: 1, configChecksum: 'conf', window: {},
    match: { counts: emptyCounts(), safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: [], sources: {} },
  }, [{ seq: 1, sku: 'A-1', productId: 7, variationId: null, from: 1, to: 5 }]);
});
afterAll(() => {
  db.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let dirs = 0;
/** A directory anyone could write to, holding a file another user cares about. */
function sharedDir(): { dir: string; victim: string } {
  const dir = path.join(root, `shared-${++dirs}`);
  fs.mkdirSync(dir);
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'precious\n');
  return { dir, victim };
}

describe('plan files (match --out)', () => {
  it('are written owner-only (0600) whatever the umask, and read back as the same plan', () => {
    const { dir } = sharedDir();
    const file = path.join(dir, 'plan.json');
    const umask = process.umask(0o000);
    try {
      writePlanFile(db, planId, file);
    } finally {
      process.umask(umask);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const doc = readPlanFile(file);
    expect(doc.changes).toEqual([{ seq: 1, sku: 'A-1', productId: 7, variationId: null, from: 1, to: 5, reason: null }]);
    expect(resolveSavedPlan(db, doc, file).id).toBe(planId);
    expect(fs.readdirSync(dir).sort()).toEqual(['plan.json', 'victim.txt']);
  });

  it('replace a symlink planted at the plan path instead of overwriting the file it points to', () => {
    const { dir, victim } = sharedDir();
    const file = path.join(dir, 'plan.json');
    fs.symlinkSync(victim, file);
    writePlanFile(db, planId, file);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readPlanFile(file).planId).toBe(planId);
  });

  it('never write through a symlink planted under a guessable temporary name', () => {
    const { dir, victim } = sharedDir();
    const file = path.join(dir, 'plan.json');
    // The names the old writer used, and write-file-atomic's scheme would be guessable the same way.
    fs.symlinkSync(victim, path.join(dir, `.plan.json.${process.pid}.tmp`));
    fs.symlinkSync(victim, path.join(dir, `plan.json.${process.pid}`));
    writePlanFile(db, planId, file);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readPlanFile(file).planId).toBe(planId);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp') && !n.includes(String(process.pid)))).toEqual([]);
  });
});

describe('plan files with rules.status actions (SPEC §14)', () => {
  it('carry the status action, and an edited status action makes the file stale (exit 4)', () => {
    const id = createPlan(db, {
      runId: 'run-2', status: 'pending', snapshotChecksum: 'snap', indexGeneration: 1, configChecksum: 'conf', window: {},
      match: { counts: emptyCounts(), safety: { missingRatio: 0, zeroRatio: 0, tripped: null }, errors: [], sources: {} },
    }, [{ seq: 1, sku: 'A-1', productId: 7, variationId: null, from: 1, to: 0,
      statusAction: { to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } } }]);
    const file = path.join(root, 'status-plan.json');
    writePlanFile(db, id, file);
    const doc = readPlanFile(file);
    expect(doc.changes[0]!.statusAction).toEqual({ to: 'hide', set: { catalog_visibility: 'hidden' }, from: { catalog_visibility: 'visible' } });
    expect(resolveSavedPlan(db, doc, file).id).toBe(id);
    const edited = JSON.parse(fs.readFileSync(file, 'utf8')) as { changes: Array<{ statusAction: { set: Record<string, unknown> } }> };
    edited.changes[0]!.statusAction.set = { catalog_visibility: 'search' };
    fs.writeFileSync(file, JSON.stringify(edited));
    expect(() => resolveSavedPlan(db, readPlanFile(file), file)).toThrow(/does not match plan/);
  });
});
