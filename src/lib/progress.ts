/**
 * Progress on stderr for people watching a run in a terminal: supplier items read (count and
 * rate) during fetch, batches sent (bar and ETA) during push. In cron (stderr not a TTY) or
 * with `--no-progress` every method is a no-op, so the hooks cost nothing there.
 *
 * One line, redrawn in place (`\r` + erase line) at most every `intervalMs`. A log line that
 * arrives meanwhile first erases the bar (see `clearProgressLine`, called from the logger), and
 * the bar is drawn again on the next tick or timer.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface RunProgress {
  readonly enabled: boolean;
  /** One supplier item arrived (fetch). Cheap: called once per item. */
  sourceItem(): void;
  /** `done` of `total` push batches have finished (applied or failed). */
  batch(done: number, total: number): void;
  /** Finish the current bar with a final line, e.g. before the summary is printed. Idempotent. */
  stop(): void;
}

export interface ProgressOptions {
  enabled: boolean;
  stream?: ProgressStream;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Minimum time between redraws. */
  intervalMs?: number;
}

const NOOP: RunProgress = { enabled: false, sourceItem() {}, batch() {}, stop() {} };

/** The bar currently on screen, so a log line can erase it first. */
let onScreen: { clear(): void } | null = null;

/** Erase a progress line that is on screen (the next tick redraws it). Safe to call any time. */
export function clearProgressLine(): void {
  onScreen?.clear();
}

/** Progress for one run. Disabled: a shared no-op object. */
export function createRunProgress(options: ProgressOptions): RunProgress {
  if (!options.enabled) return NOOP;
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;

  type Phase = { kind: 'fetch'; items: number; started: number } | { kind: 'push'; done: number; total: number; started: number };
  let phase: Phase | null = null;
  let drawn = false;
  let lastDraw = 0;
  let timer: NodeJS.Timeout | null = null;

  // A pseudo-terminal may report 0 columns: treat that as unknown.
  const width = () => Math.max(40, Math.min(120, stream.columns || 80));
  const erase = () => { if (drawn) { stream.write('\r\x1b[2K'); drawn = false; } };
  const draw = (force = false) => {
    if (!phase) return;
    const t = now();
    if (!force && drawn && t - lastDraw < interval) return;
    lastDraw = t;
    const line = fitLine(phase.kind === 'fetch' ? fetchLine(phase.items, t - phase.started) : pushLine(phase.done, phase.total, t - phase.started, width()), width());
    stream.write(`\r\x1b[2K${line}`);
    drawn = true;
    onScreen = screenHandle;
  };
  const screenHandle = { clear: erase };

  const begin = (next: Phase) => {
    finish();
    phase = next;
    // A slow batch or a silent source still gets a fresh rate/ETA, and a bar erased by a log line comes back.
    timer = setInterval(() => draw(true), Math.max(interval, 250));
    timer.unref();
  };

  function finish(): void {
    if (!phase) return;
    if (timer) clearInterval(timer);
    timer = null;
    const t = now();
    const final = phase.kind === 'fetch'
      ? `fetch: ${fmtInt(phase.items)} supplier item(s) in ${fmtDuration(t - phase.started)} (${fmtInt(rate(phase.items, t - phase.started))}/s)`
      : `push: ${phase.done}/${phase.total} batch(es) in ${fmtDuration(t - phase.started)}`;
    erase();
    stream.write(`${fitLine(final, width())}\n`);
    phase = null;
    if (onScreen === screenHandle) onScreen = null;
  }

  let pending = 0;
  return {
    enabled: true,
    sourceItem() {
      if (phase?.kind !== 'fetch') begin({ kind: 'fetch', items: 0, started: now() });
      (phase as { items: number }).items++;
      // Reading the clock for every one of a million rows is wasted work: look every 64 items.
      if (++pending >= 64) { pending = 0; draw(); }
    },
    batch(done, total) {
      if (phase?.kind !== 'push') begin({ kind: 'push', done: 0, total, started: now() });
      const p = phase as { done: number; total: number };
      p.done = done;
      p.total = total;
      draw(done === total);
    },
    stop: finish,
  };
}

function fetchLine(items: number, elapsedMs: number): string {
  const spin = SPINNER[Math.floor(elapsedMs / 100) % SPINNER.length];
  return `fetch ${spin} ${fmtInt(items)} supplier item(s) · ${fmtInt(rate(items, elapsedMs))} items/s · ${fmtDuration(elapsedMs)}`;
}

function pushLine(done: number, total: number, elapsedMs: number, width: number): string {
  const share = total === 0 ? 1 : done / total;
  const barWidth = Math.max(10, Math.min(30, width - 50));
  const full = Math.round(share * barWidth);
  const bar = `${'█'.repeat(full)}${'░'.repeat(barWidth - full)}`;
  const eta = done === 0 ? 'ETA …' : done >= total ? 'done' : `ETA ${fmtDuration((elapsedMs / done) * (total - done))}`;
  return `push  ${bar} ${done}/${total} batches · ${Math.round(share * 100)}% · ${eta}`;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function rate(n: number, ms: number): number {
  return ms <= 0 ? 0 : Math.round((n * 1000) / ms);
}

function fitLine(line: string, width: number): string {
  return line.length < width ? line : `${line.slice(0, width - 2)}…`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `850 ms`, `4.2 s`, `3 min 05 s`, `1 h 02 min`. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
