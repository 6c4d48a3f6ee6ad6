/**
 * `npm run test:pack`: the published package, as a user gets it. `npm pack` → a global install
 * into an empty prefix → `invsync --version`, `--help` (every command with an example), `init`
 * and the demo, run from the installed copy. Not part of `npm test`: installing compiles
 * better-sqlite3 where no prebuilt binary can be downloaded (≈ 2–3 min on 2 cores).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

describe('the npm package', () => {
  it('installs globally into a clean prefix and runs --version, --help, init and the demo', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'invsync-pack-'));
    const timings: Record<string, number> = {};
    const timed = <T>(label: string, fn: () => T): T => { const t = Date.now(); const r = fn(); timings[label] = Date.now() - t; return r; };

    const tarball = timed('pack', () => execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!);
    expect(tarball).toBe(`${pkg.name}-${pkg.version}.tgz`);
    const files = execFileSync('tar', ['tzf', path.join(work, tarball)], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/bin/invsync.js');
    expect(files).toContain('package/dist/cli/main.js');
    expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);

    const prefix = path.join(work, 'prefix');
    timed('install', () => execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(work, tarball)], {
      cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    }));
    const bin = path.join(prefix, 'bin', 'invsync');
    const env = { PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`, HOME: work };
    const run = (args: string[], cwd = work) => spawnSync(bin, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });

    const version = run(['--version']);
    expect([version.status, version.stdout.trim()]).toEqual([0, pkg.version]);
    const help = run(['--help']);
    expect(help.status).toBe(0);
    const commands = ['fetch', 'match', 'push', 'full', 'status', 'runs', 'show', 'check', 'init', 'demo'];
    for (const c of commands) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    for (const c of commands) {
      const h = run([c, '--help']);
      expect([c, h.status, /Examples?:\n {2}\$ invsync /.test(h.stdout)]).toEqual([c, 0, true]);
    }

    const initDir = fs.mkdtempSync(path.join(work, 'init-'));
    expect(run(['init', '--source', 'csv', '--store', 'woocommerce'], initDir).status).toBe(0);
    expect(fs.existsSync(path.join(initDir, '.invsyncrc.yaml'))).toBe(true);

    const demo = timed('demo', () => run(['demo', '--dir', path.join(work, 'demo')]));
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(/✔ invsync full: OK \(exit 0\)/);
    expect(demo.stderr).toMatch(/the emulator received \d+ request\(s\), [1-9]\d* of them write\(s\)/);
    process.stderr.write(`pack timings (ms): ${JSON.stringify(timings)}\n`);
    fs.rmSync(work, { recursive: true, force: true }); // kept on failure, for a look
  }, 600_000);
});
