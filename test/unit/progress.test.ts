import { describe, expect, it } from '@jest/globals';
import { clearProgressLine, createRunProgress, fmtDuration } from '../../src/lib/progress.js';

function fakeTerminal() {
  const writes: string[] = [];
  return { stream: { isTTY: true, columns: 100, write: (t: string) => { writes.push(t); return true; } }, writes, text: () => writes.join('') };
}

describe('progress on stderr', () => {
  it('disabled (cron, --no-progress): writes nothing at all', () => {
    const term = fakeTerminal();
    const progress = createRunProgress({ enabled: false, stream: term.stream });
    for (let i = 0; i < 1000; i++) progress.sourceItem();
    progress.batch(1, 2);
    progress.stop();
    expect(term.writes).toEqual([]);
  });

  it('fetch: the item count and items/s, redrawn in place, then a final line', () => {
    const term = fakeTerminal();
    let now = 0;
    const progress = createRunProgress({ enabled: true, stream: term.stream, now: () => now });
    for (let i = 0; i < 5000; i++) { now += 0.5; progress.sourceItem(); }
    const live = term.text();
    expect(live).toContain('\r\x1b[2Kfetch');
    expect(term.writes.at(-1)).toMatch(/^\r\x1b\[2Kfetch \S 4,9\d\d supplier item\(s\) · 2,000 items\/s · 2\.5 s$/);
    // Throttled: a redraw at most every 100 ms of the 2.5 s, not one per item.
    expect(term.writes.length).toBeLessThanOrEqual(30);
    progress.stop();
    expect(term.text().endsWith('fetch: 5,000 supplier item(s) in 2.5 s (2,000/s)\n')).toBe(true);
    progress.stop();
    expect(term.text().match(/fetch: 5,000/g)).toHaveLength(1);
  });

  it('push: a bar with batches done, percentage and an ETA from the pace so far', () => {
    const term = fakeTerminal();
    let now = 1000;
    const progress = createRunProgress({ enabled: true, stream: term.stream, now: () => now });
    progress.batch(0, 10);
    now += 4000;
    progress.batch(4, 10);
    expect(term.writes.at(-1)).toMatch(/^\r\x1b\[2Kpush  █+░+ 4\/10 batches · 40% · ETA 6\.0 s$/);
    now += 6000;
    progress.batch(10, 10);
    expect(term.writes.at(-1)).toMatch(/10\/10 batches · 100% · done$/);
    progress.stop();
    expect(term.writes.at(-1)).toBe('push: 10/10 batch(es) in 10.0 s\n');
  });

  it('a log line first erases the bar, so the two never share a line', () => {
    const term = fakeTerminal();
    const progress = createRunProgress({ enabled: true, stream: term.stream, now: () => 0 });
    progress.batch(1, 3);
    const before = term.writes.length;
    clearProgressLine();
    expect(term.writes.slice(before)).toEqual(['\r\x1b[2K']);
    clearProgressLine();
    expect(term.writes.length).toBe(before + 1);
    progress.stop();
  });

  it('durations read naturally', () => {
    expect(fmtDuration(850)).toBe('850 ms');
    expect(fmtDuration(4200)).toBe('4.2 s');
    expect(fmtDuration(185_000)).toBe('3 min 05 s');
    expect(fmtDuration(3_720_000)).toBe('1 h 02 min');
  });
});
