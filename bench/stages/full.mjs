/**
 * Stage "full": `invsync full` (fetch, match, push under one lock) on N SKUs with every 10th
 * changed, against the emulator without rate limit or latency. The share of each stage comes
 * from the CLI's own pino log lines (their `time`) and the emulator's request log.
 */
import { expectExit, logLines, workspace } from '../lib/cli.mjs';
import { changedCount } from '../lib/dataset.mjs';
import { fmt, max, mbFromMiB, median, repeat, seconds } from '../lib/stats.mjs';
import { startWoo } from '../lib/woo.mjs';

/** Stage boundaries of one `full` run (ms since epoch) from its log lines. */
export function stageTimes(run, stats) {
  const lines = logLines(run.stderr);
  const at = (re) => lines.filter((l) => re.test(l.msg ?? '')).map((l) => l.time);
  const fetchEnd = Math.max(...at(/^(snapshot written|store index refreshed)/));
  const matchEnd = Math.max(...at(/^plan \d+: /));
  const writesEnd = Math.max(stats.lastWriteAt ?? matchEnd, matchEnd);
  // Read-back verification (when the build has it) logs one line when done.
  const readBackEnd = Math.max(writesEnd, ...at(/^read-back/));
  if (!Number.isFinite(fetchEnd) || !Number.isFinite(matchEnd)) throw new Error('full: stage log lines not found on stderr');
  return {
    fetch: fetchEnd - run.startedAt,
    match: matchEnd - fetchEnd,
    push: writesEnd - matchEnd,
    readBack: readBackEnd - writesEnd,
    finish: run.endedAt - readBackEnd,
  };
}

export async function fullStage(ctx) {
  const size = ctx.smoke ? 1_000 : 100_000;
  const changeEvery = 10;
  const expected = changedCount(size, changeEvery);
  const csv = await ctx.feed(size);
  const runs = await repeat(ctx.reps, async (rep) => {
    const woo = await startWoo({ seed: { count: size, changeEvery } });
    try {
      const ws = workspace(ctx.tmp, `full-${rep}`, { sources: [{ name: 'feed', type: 'csv', path: csv }], store: { url: woo.url, keys: woo.keys } });
      const run = expectExit(await ws.run(['--log-level', 'info', 'full', '--json'], ctx.measured('full')), `full ${size}`);
      if (run.summary?.counts?.applied !== expected) throw new Error(`full: expected ${expected} applied, got ${run.summary?.counts?.applied}`);
      const stats = await woo.stats();
      return { run, stats, stages: stageTimes(run, stats) };
    } finally {
      await woo.close();
    }
  });
  const wallMs = median(runs.map((r) => r.run.wallMs));
  const part = (k) => median(runs.map((r) => r.stages[k]));
  const parts = { fetch: part('fetch'), match: part('match'), push: part('push'), readBack: part('readBack'), finish: part('finish') };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  const share = (k) => `${seconds(parts[k])} s (${fmt((parts[k] / total) * 100)} %)`;
  const writes = max(runs.map((r) => r.stats.writes));
  ctx.log(`full ${size}: ${seconds(wallMs)} s`);
  return {
    id: 'full',
    title: `full — ${fmt(size)} SKUs, 10 % changed`,
    workload: `\`invsync full --json\`, ${fmt(size)}-row CSV, ${fmt(size)}-product store, ${fmt(expected)} changes, emulator without rate limit or latency (http, OAuth). Stage boundaries: fetch = process start → last of "snapshot written"/"store index refreshed"; match → "plan N: …"; push = → last write request's arrival at the emulator; read-back = → the "read-back: …" line (verification reads of the applied items); finish = → process exit (run record, --json summary with every change).`,
    table: {
      columns: ['SKUs', 'changes', 'runs', 'wall s (median)', 'fetch', 'match', 'push (writes)', 'read-back', 'finish (run record, summary)', 'write requests', 'list requests', 'other requests', 'peak RSS MB (max)'],
      rows: [[fmt(size), fmt(expected), String(runs.length), seconds(wallMs), share('fetch'), share('match'), share('push'), share('readBack'), share('finish'),
        fmt(writes), fmt(max(runs.map((r) => r.stats.listPages))), fmt(max(runs.map((r) => r.stats.total - r.stats.writes - r.stats.listPages))),
        fmt(mbFromMiB(max(runs.map((r) => r.run.peakRssMiB))), 1)]],
    },
    targets: [
      { what: `full ${fmt(size)}: wall time and stage shares`, target: 'report', measured: `${seconds(wallMs)} s`, ok: null },
      { what: `full ${fmt(size)}: write requests`, target: `= minimum (${fmt(Math.ceil(expected / 100))})`, measured: fmt(writes), ok: writes === Math.ceil(expected / 100) },
    ],
  };
}
