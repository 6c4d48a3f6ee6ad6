/**
 * Crash points for the fault-injection suite. `INVSYNC_FAULT_KILL_AT=<point>[:<n>]` makes the
 * process SIGKILL itself the n-th time (default 1st) it reaches `<point>`, exactly like an
 * operator's kill -9 or a power cut at that instant. Unset (always, outside tests): a no-op.
 *
 * Points: fetch:item (a source record streamed), fetch:before-index-commit (the new snapshot
 * renamed into place, the staged store index not yet swapped in), full:after-fetch, push:batch-sent (journaled as
 * sent, request not yet made), push:after-apply (store confirmed, journal not yet written), push:submitted (a store's
 * submission journaled, e.g. an Amazon feed id, its outcome not yet polled).
 */
const parsed = /^(.+?)(?::(\d+))?$/.exec(process.env.INVSYNC_FAULT_KILL_AT ?? '');
const point = parsed?.[1];
const times = parsed?.[2] ? Number(parsed[2]) : 1;
let reached = 0;

export function crashPoint(name: string): void {
  if (point !== name) return;
  reached++;
  if (reached === times) process.kill(process.pid, 'SIGKILL');
}
