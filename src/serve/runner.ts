import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../lib/log.js';
import type { ChildMessage, RunJob, RunProgressCounts } from './protocol.js';

const CHILD = fileURLToPath(new URL('./run-child.js', import.meta.url));

/** A served run in progress, as the server knows it. */
export interface ActiveRun {
  runId: string;
  command: RunJob['command'];
  dryRun: boolean;
  startedAt: string;
  progress: RunProgressCounts;
  child: ChildProcess;
}

/** How starting a run went: started (202), refused by the lock or a stale plan (409), bad (400), or failed (500). */
export type StartResult =
  | { kind: 'started'; runId: string }
  | { kind: 'locked'; holder: { pid: number; host: string; command: string; since: string } | null; message: string }
  | { kind: 'stale'; reason: string }
  | { kind: 'invalid'; message: string }
  | { kind: 'failed'; message: string };

/** Map a child's refusal to what the API answers. Pure. */
export function refusalResult(m: Extract<ChildMessage, { type: 'refused' }>): StartResult {
  if (m.code === 'INVSYNC_LOCKED') {
    const h = m.holder;
    return { kind: 'locked', holder: h ? { pid: h.pid, host: h.hostname, command: h.command, since: h.startedAt } : null, message: m.message };
  }
  if (m.code === 'INVSYNC_STALE_PLAN' || m.code === 'INVSYNC_SAFETY') return { kind: 'stale', reason: m.message };
  if (m.code === 'INVSYNC_USAGE' || m.code === 'INVSYNC_CONFIG') return { kind: 'invalid', message: m.message };
  return { kind: 'failed', message: m.message };
}

/**
 * Starts runs in child processes and follows them. The child takes the lock and records the run;
 * `start` resolves once it has (with the runId) or has been refused. Children are detached (their
 * own process group): a Ctrl-C meant for the server does not kill a run half-way, and a server
 * killed with -9 leaves its run to finish.
 */
export class Runner {
  private readonly active = new Map<string, ActiveRun>();
  private readonly exits = new Set<Promise<void>>();

  constructor(private readonly log: Logger, private readonly childPath: string = CHILD) {}

  get(runId: string): ActiveRun | undefined {
    return this.active.get(runId);
  }

  busy(): boolean {
    return this.active.size > 0;
  }

  start(job: RunJob): Promise<StartResult> {
    const child = fork(this.childPath, [JSON.stringify(job)], {
      detached: true,
      // The run's logs go where the server's go; its stdout (a summary on failure) too.
      stdio: ['ignore', 2, 2, 'ipc'],
      execArgv: [],
    });
    let settle: (r: StartResult) => void;
    const result = new Promise<StartResult>((resolve) => { settle = resolve; });
    let run: ActiveRun | undefined;
    let answered = false;
    const answer = (r: StartResult) => { if (!answered) { answered = true; settle(r); } };
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'started') {
        run = { runId: m.runId, command: job.command, dryRun: job.dryRun, startedAt: new Date().toISOString(), progress: { sourceItems: 0, batchesDone: 0, batchesTotal: 0 }, child };
        this.active.set(m.runId, run);
        this.log.info({ run: m.runId, pid: child.pid }, `run ${m.runId} started: ${job.command}${job.dryRun ? ' --dry-run' : ''}${job.planId !== undefined ? ` (plan ${job.planId})` : ''}`);
        answer({ kind: 'started', runId: m.runId });
      } else if (m.type === 'refused') {
        answer(refusalResult(m));
      } else if (m.type === 'progress' && run) {
        run.progress = m.progress;
      } else if (m.type === 'finished' && run) {
        this.log.info({ run: run.runId }, `run ${run.runId} finished: exit ${m.exitCode}`);
      }
    });
    const exited = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        answer({ kind: 'failed', message: `could not start the run: ${err.message}` });
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (run) {
          this.active.delete(run.runId);
          if (signal) this.log.error({ run: run.runId }, `run ${run.runId} was killed (${signal}): the next run resumes its journal`);
        }
        answer({ kind: 'failed', message: `the run process ended before it started (${signal ?? `exit ${code}`})` });
        resolve();
      });
    });
    this.exits.add(exited);
    void exited.then(() => this.exits.delete(exited));
    return result;
  }

  /** Resolves when every run started so far has ended (a clean stop lets them finish). */
  async idle(): Promise<void> {
    while (this.exits.size > 0) await Promise.all([...this.exits]);
  }
}
