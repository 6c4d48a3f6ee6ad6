/**
 * Runs the BUILT invsync CLI (bin/invsync.js → dist/, the frozen copy: see build.mjs) as its own
 * process under GNU time, the way cron would, and reports wall time and peak RSS of that process alone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRoot, ROOT } from './build.mjs';

export { ROOT };
const TIME = '/usr/bin/time';

/** Throws a readable error when GNU time is missing. */
export function preflight() {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to read the CLI's peak RSS`);
}

/**
 * Run `invsync <args>`. Resolves { code, wallMs, cpuMs (user + system), peakRssMiB, stdout, stderr, startedAt, endedAt, summary }
 * (`summary`: the parsed --json document when stdout holds one). Never throws on a non-zero exit.
 */
export function runInvsync(args, { env = {}, cwd = os.tmpdir(), nodeArgs = [] } = {}) {
  const timeFile = path.join(os.tmpdir(), `invsync-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const childEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  const startedAt = Date.now();
  const t0 = process.hrtime.bigint();
  const bin = path.join(buildRoot(), 'bin/invsync.js');
  const child = spawn(TIME, ['-f', '%e %M %U %S', '-o', timeFile, process.execPath, ...nodeArgs, bin, ...args], {
    cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = [];
  const err = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => err.push(d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const endedAt = Date.now();
      let peakRssMiB = NaN;
      let cpuMs = NaN;
      try {
        const [, kib, user, sys] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ');
        peakRssMiB = Number(kib) / 1024;
        cpuMs = (Number(user) + Number(sys)) * 1000;
      } finally {
        fs.rmSync(timeFile, { force: true });
      }
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      let summary = null;
      try { summary = JSON.parse(stdout); } catch { /* not --json, or no summary */ }
      resolve({ code, wallMs, cpuMs, peakRssMiB, stdout, stderr, startedAt, endedAt, summary });
    });
  });
}

/** pino JSON lines from a run's stderr (other lines are skipped). */
export function logLines(stderr) {
  const lines = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try { lines.push(JSON.parse(line)); } catch { /* partial line */ }
  }
  return lines;
}

/** Throw with the run's own words when it did not exit as expected. */
export function expectExit(run, what, codes = [0]) {
  if (!codes.includes(run.code)) {
    const tail = run.stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`${what}: invsync exited ${run.code}\n${tail}`);
  }
  return run;
}

/**
 * A fresh work directory with an invsync config: one CSV (or other) source and the emulator
 * as the store. Returns { dir, config, env, stateDir, run(args, opts) }.
 */
export function workspace(base, name, { sources, store, extra = {} }) {
  const dir = path.join(base, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const stateDir = path.join(dir, 'state');
  const config = path.join(dir, 'invsync.config.json');
  const env = { WC_KEY: store.keys.consumerKey, WC_SECRET: store.keys.consumerSecret };
  const { keys: _keys, ...storeConfig } = store;
  fs.writeFileSync(config, `${JSON.stringify({
    stateDir, sources,
    store: { type: 'woocommerce', consumerKey: '${WC_KEY}', consumerSecret: '${WC_SECRET}', ...storeConfig },
    ...extra,
  }, null, 2)}\n`);
  return { dir, config, env, stateDir, run: (args, opts = {}) => runInvsync(['-c', config, ...args], { env, cwd: dir, ...opts }) };
}
